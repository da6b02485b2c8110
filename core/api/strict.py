"""Refuse query parameters an endpoint does not take, naming each one, instead of ignoring them.

`?type=test` on a key list that knows only `mode` used to return every key: the client
believed it had the test keys. A view declares the parameters each operation takes in one
attribute, `query_serializers`; `StrictInput` refuses every other name (with a hint where
it is another vendor's spelling, `core.api.aliases`), validates the values, and documents
exactly those parameters in the OpenAPI schema. Bodies are closed by their serializers
(`core.api.serializers.ClosedSerializer`).

The check is set arithmetic on the parsed query string: no I/O, after authentication and
permissions (a stranger learns nothing about parameters before a 401 or 403).
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.api import aliases

PARAMETER_REPEATED = "Give this parameter once."

QuerySerializers = dict[str, type[serializers.Serializer]]


def operation_of(view: Any, method: str) -> str:
    """Name a view's operation: a viewset's action (`list`, `rotate`), else the HTTP method
    (HEAD is GET's, as DRF serves it)."""
    method = method.lower()
    return getattr(view, "action", None) or ("get" if method == "head" else method)


class StrictSchema(AutoSchema):
    """Document each operation's declared query parameters (`StrictInput.query_serializers`)."""

    def get_override_parameters(self) -> list[Any]:
        parameters = super().get_override_parameters()
        declared = getattr(self.view, "query_serializers", {}).get(
            operation_of(self.view, self.method)
        )
        return [declared, *parameters] if declared else parameters


class StrictInput:
    """A DRF view mixin refusing undeclared query parameters with a 400 naming each one.

    Every operation takes `format` (answered by `core.api.negotiation`); list operations
    (`list`, or a paginated view's `get`) take their paginator's parameters; each operation
    takes the fields of its serializer in `query_serializers`, keyed by action or method.
    The validated values are `self.validated_query`.
    """

    # Read by `organizations.api.permissions`: this view refuses other vendors' spellings of
    # `organization_id` itself, together with every other unknown name.
    refuses_unknown_input = True
    query_serializers: ClassVar[QuerySerializers] = {}
    schema = StrictSchema()
    validated_query: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # A method the view does not offer is DRF's 405, whatever its query string says.
        offered = hasattr(self, request.method.lower())
        self.validated_query = self.validate_query(request) if offered else {}

    def query_serializer_class(self) -> type[serializers.Serializer] | None:
        return self.query_serializers.get(operation_of(self, self.request.method))

    def accepted_query_parameters(self) -> set[str]:
        accepted = {api_settings.URL_FORMAT_OVERRIDE}
        operation = operation_of(self, self.request.method)
        paginator = getattr(self, "paginator", None)
        if paginator is not None and operation in ("list", "get"):
            accepted.update(p["name"] for p in paginator.get_schema_operation_parameters(self))
        serializer_class = self.query_serializer_class()
        if serializer_class is not None:
            accepted.update(
                name for name, field in serializer_class().fields.items() if not field.read_only
            )
        return accepted

    def validate_query(self, request: Request) -> dict[str, Any]:
        query = request.query_params
        if not query and self.query_serializer_class() is None:
            return {}  # the common case: nothing to check
        errors = aliases.unknown_names(
            query, self.accepted_query_parameters(), kind=aliases.PARAMETER
        )
        errors.update(
            (name, [PARAMETER_REPEATED])
            for name in query
            if name not in errors and len(query.getlist(name)) > 1
        )
        if errors:
            raise ValidationError(errors)
        serializer_class = self.query_serializer_class()
        if serializer_class is None:
            return {}
        fields = serializer_class().fields
        serializer = serializer_class(data={name: query[name] for name in query if name in fields})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
