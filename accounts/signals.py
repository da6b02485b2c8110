"""allauth's account and two-factor signals, recorded on the audit trail."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.services import account_event_record
from core.audit import SYSTEM, AuditContext
from core.models import AuditAction


def _context(request: HttpRequest | None) -> AuditContext:
    return SYSTEM if request is None else AuditContext.from_request(request)


@receiver(account_signals.user_signed_up, dispatch_uid="accounts.audit.signed_up")
def _signed_up(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    account_event_record(user=user, action=AuditAction.USER_SIGNED_UP, context=_context(request))


@receiver(account_signals.password_changed, dispatch_uid="accounts.audit.password_changed")
@receiver(account_signals.password_set, dispatch_uid="accounts.audit.password_set")
def _password_changed(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    account_event_record(
        user=user, action=AuditAction.USER_PASSWORD_CHANGED, context=_context(request)
    )


@receiver(account_signals.password_reset, dispatch_uid="accounts.audit.password_reset")
def _password_reset(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    account_event_record(
        user=user, action=AuditAction.USER_PASSWORD_RESET, context=_context(request)
    )


# Only the authenticator app (TOTP) turns two-factor on or off: recovery codes, made and
# deleted along with it, send these signals too and are not audited on their own.
_TWO_FACTOR_ACTIONS = {
    mfa_signals.authenticator_added: AuditAction.USER_TWO_FACTOR_ENABLED,
    mfa_signals.authenticator_removed: AuditAction.USER_TWO_FACTOR_DISABLED,
}


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts.audit.two_factor_on")
@receiver(mfa_signals.authenticator_removed, dispatch_uid="accounts.audit.two_factor_off")
def _authenticator_changed(
    sender: Any,
    request: HttpRequest | None,
    user: Any,
    authenticator: Authenticator,
    signal: Any,
    **kwargs: Any,
) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        account_event_record(
            user=user, action=_TWO_FACTOR_ACTIONS[signal], context=_context(request)
        )
