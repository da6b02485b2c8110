"""Django's error reports, with every key-shaped value masked.

A request that fails while it holds a key (authenticating it, say) would otherwise show the
plaintext in the report's frame variables. Marking each function `sensitive_variables`
costs a wrapper call per request on the authentication path; this filter costs nothing
until a report is made, and masks a key wherever it shows up: any frame, any variable,
inside lists and dicts too, and in the request's query string.
"""

from __future__ import annotations

from pprint import pformat
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

from apikeys import conf, keys


class KeyRedactingFilter(SafeExceptionReporterFilter):
    """Django's safe filter, plus: every value whose text holds a genuine key is masked."""

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        brand = conf.brand()
        variables = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            text = value if isinstance(value, str) else pformat(value)
            if keys.redact(text, brand) != text:
                value = keys.redact(text, brand)
            variables.append((name, value))
        return variables

    def get_safe_request_meta(self, request: Any) -> dict[str, Any]:
        brand = conf.brand()
        return {
            name: keys.redact(value, brand) if isinstance(value, str) else value
            for name, value in super().get_safe_request_meta(request).items()
        }
