"""Request body parsers for every API of the project."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

JSON_TOO_DEEP = "The JSON body is nested too deeply."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested deeper than Python can parse with a 400.

    `json` raises RecursionError (not ValueError) for, say, 1000 nested arrays: DRF lets it
    through as a 500, and a stranger could fill error reports with one small request.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(JSON_TOO_DEEP) from error
