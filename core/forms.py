"""Form helpers every page of the project shares."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from core.errors import DomainError


def add_domain_error(
    form: forms.Form, error: DomainError, aliases: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on `form`: under its field when the form has one.

    `aliases` maps a service's field name to the form's, where the two differ.
    """
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)
