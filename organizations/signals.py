"""Signals through which `organizations` tells the apps built on it what happened.

`organizations` never imports those apps (they depend on it), so where a membership change
must change their data in the same transaction, the service sends a signal and they answer.
"""

from django.dispatch import Signal

# Sent by `member_remove` inside its transaction, after the organization row is locked and
# before the membership is deleted. Keyword arguments: `organization`, `user` (who leaves),
# `actor`, `acting_key` (the API key the actor used, or None), `transfer_to` (a remaining
# member who takes over what `user` owned, or None) and `context` (the audit context).
# Receivers must not swallow errors: an exception rolls the whole removal back.
member_leaving = Signal()
