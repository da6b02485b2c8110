"""Forms for the Integrations pages: they check the shape of the input; the services decide.

Messages a user reads are module constants (the services' own where they exist), so the
page tests can assert on them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from apikeys import conf, validation
from apikeys.models import APIKey, Mode
from core import forms as core_forms
from core.errors import DomainError
from core.models import AuditAction

EXPIRY_NEVER = "never"
EXPIRY_ON_DATE = "date"
EXPIRY_CHOICES = [
    (EXPIRY_NEVER, "Never"),
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In 365 days"),
    (EXPIRY_ON_DATE, "On a specific date"),
]
EXPIRY_DATE_REQUIRED = "Choose the date the key expires."
EXPIRY_DATE_NOT_FUTURE = "Choose a date after today."
EXPIRY_DATE_TOO_FAR = "Choose a date before the year 9000."
GRACE_CHOICES = [
    (0, "None: the current key stops working now"),
    (3600, "1 hour"),
    (86400, "24 hours"),
]

# Where a service's error field lands on a page form (the API and the forms name two apart).
_FIELD_ALIASES = {"expires_at": "expires_on", "grace_period_seconds": "grace_period"}


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on `form`: under its field when the form has one."""
    core_forms.add_domain_error(form, error, _FIELD_ALIASES)


def _name_field() -> forms.CharField:
    return forms.CharField(
        max_length=validation.NAME_MAX_LENGTH,
        error_messages={
            "required": validation.NAME_REQUIRED,
            "max_length": validation.NAME_TOO_LONG,
        },
    )


class APIKeyCreateForm(forms.Form):
    """Name, mode, scopes and expiry of a new key."""

    name = _name_field()
    mode = forms.ChoiceField(choices=Mode.choices, initial=Mode.LIVE, widget=forms.RadioSelect)
    scopes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    expiry = forms.ChoiceField(choices=EXPIRY_CHOICES, initial=EXPIRY_NEVER)
    expires_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read the registry per form, so a changed setting shows without a restart.
        registry = conf.scope_registry()
        self.fields["scopes"].choices = list(registry.items())
        self.fields["scopes"].initial = [
            s for s in settings.APIKEYS_DEFAULT_SCOPES if s in registry
        ]

    @property
    def scope_options(self) -> list[dict[str, Any]]:
        """Each scope with its description and whether its box is ticked."""
        if self.is_bound:
            chosen = set(self.data.getlist(self.add_prefix("scopes")))
        else:
            chosen = set(self.fields["scopes"].initial)
        return [
            {"name": name, "description": conf.scope_help(name), "checked": name in chosen}
            for name, _ in self.fields["scopes"].choices
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        expiry, on = data.get("expiry"), data.get("expires_on")
        data["expires_at"] = None
        if expiry == EXPIRY_ON_DATE:
            today = timezone.now().date()
            if on is None:
                if "expires_on" not in self.errors:
                    self.add_error("expires_on", EXPIRY_DATE_REQUIRED)
            elif on <= today:
                self.add_error("expires_on", EXPIRY_DATE_NOT_FUTURE)
            elif on.year >= 9000:
                self.add_error("expires_on", EXPIRY_DATE_TOO_FAR)
            else:
                # The key works through the whole chosen day (UTC) up to its midnight.
                data["expires_at"] = dt.datetime.combine(on, dt.time.min, tzinfo=dt.UTC)
        elif expiry and expiry != EXPIRY_NEVER:
            data["expires_at"] = timezone.now() + dt.timedelta(days=int(expiry))
        return data


class APIKeyRenameForm(forms.Form):
    """A key's new name."""

    name = _name_field()


class APIKeyRotateForm(forms.Form):
    """How long the replaced key keeps working after the rotation."""

    grace_period = forms.TypedChoiceField(coerce=int, initial=0, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.APIKEYS_MAX_GRACE_SECONDS
        self.fields["grace_period"].choices = [c for c in GRACE_CHOICES if c[0] <= limit]


class AuditFilterForm(forms.Form):
    """Narrow the audit log to one key and/or one action."""

    key = forms.ChoiceField(required=False)
    action = forms.ChoiceField(required=False, choices=[("", "All actions"), *AuditAction.choices])

    def __init__(self, *args: Any, keys: list[APIKey], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [("", "All keys")] + [
            (str(k.pk), f"{k.name} ({k.prefix})") for k in keys
        ]
