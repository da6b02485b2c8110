"""Admin forms for API keys: they shape input; the lifecycle services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin import widgets

from apikeys import conf, validation
from apikeys.models import APIKey, Mode
from core.errors import DomainError, Forbidden, InvalidInput
from organizations.models import Organization, User

ACTS_AS_HELP = (
    "The key acts with this user's role in the organization, so they must belong to it (a "
    "member's key can only read). The audit trail records you as the one who created it."
)
EXPIRES_HELP = "Leave empty for a key that never expires."

# Service error fields that have a form field of the same name; anything else (the role
# check, which carries no field) is shown on the acting user, whose role it is about.
_FORM_FIELDS = ("name", "mode", "scopes", "expires_at")


def scope_choices() -> list[tuple[str, str]]:
    """Return the scope registry as checkbox choices (read per form: settings may change)."""
    return [(name, f"{name}: {conf.scope_help(name)}") for name in conf.scope_registry()]


class APIKeyAdminCreateForm(forms.Form):
    """Collect what `api_key_create` needs; `apply_error` maps its refusals onto fields."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.order_by("name"))
    created_by = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        label="Acts as",
        help_text=ACTS_AS_HELP,
    )
    name = forms.CharField(max_length=validation.NAME_MAX_LENGTH)
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.LIVE)
    scopes = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    expires_at = forms.SplitDateTimeField(
        required=False, widget=widgets.AdminSplitDateTime, help_text=EXPIRES_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = scope_choices()

    def apply_error(self, error: DomainError) -> None:
        """Show a service refusal next to the field it is about."""
        if error.field in _FORM_FIELDS:
            self.add_error(error.field, error.message)
        elif isinstance(error, Forbidden):
            self.add_error("created_by", error.message)
        else:
            self.add_error(None, error.message)


class APIKeyChangeForm(forms.ModelForm):
    """Edit the name and the rate limits; the admin saves them through the services."""

    class Meta:
        model = APIKey
        fields = ("name", "rate_limit_per_minute", "rate_limit_per_hour")

    def clean_name(self) -> str:
        try:
            return validation.validate_name(self.cleaned_data.get("name"))
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error
