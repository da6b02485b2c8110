"""The Members tab's forms: they shape input; the organization services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from organizations.models import Membership, Role, TwoFactorRule

EMAIL_REQUIRED = "Enter the email address of the person to invite."
EMAIL_INVALID = "Enter a valid email address."
TWO_FACTOR_RULE_INVALID = "Choose who must use two-factor authentication."


class InvitationForm(forms.Form):
    """The email address to invite and the role they get when they accept."""

    email = forms.EmailField(
        max_length=254, error_messages={"required": EMAIL_REQUIRED, "invalid": EMAIL_INVALID}
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    """A member's new role."""

    role = forms.ChoiceField(choices=Role.choices)


class MemberRemoveForm(forms.Form):
    """What happens to a leaving member's keys: revoked (empty), or transferred to a member."""

    transfer_to = forms.TypedChoiceField(required=False, coerce=str, empty_value="")

    def __init__(self, *args: Any, others: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["transfer_to"].choices = [
            ("", "Revoke them"),
            *((str(m.user.pk), f"Transfer them to {m.user.email}") for m in others),
        ]


class TwoFactorRuleForm(forms.Form):
    """Who in the organization must use two-factor authentication."""

    two_factor_rule = forms.ChoiceField(
        choices=TwoFactorRule.choices,
        error_messages={
            "required": TWO_FACTOR_RULE_INVALID,
            "invalid_choice": TWO_FACTOR_RULE_INVALID,
        },
    )
