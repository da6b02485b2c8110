from django.apps import AppConfig


class APIKeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "API keys"

    def ready(self) -> None:
        from apikeys import (  # noqa: F401  (registering: OpenAPI security schemes, checks)
            checks,
            schema,
        )
        from apikeys.services.leaving import api_keys_of_leaving_member
        from organizations.signals import member_leaving

        # A member's keys are revoked or transferred in the same transaction that removes
        # them (organizations cannot import apikeys, so it signals).
        member_leaving.connect(api_keys_of_leaving_member, dispatch_uid="apikeys.leaving")

        from django.db.models.signals import post_save

        from apikeys.live import broadcast_audit_event
        from core.models import AuditEvent

        # Every committed audit event, whoever recorded it, reaches the live audit stream.
        post_save.connect(broadcast_audit_event, sender=AuditEvent, dispatch_uid="apikeys.live")

        from apikeys.notices import notify_on_commit

        # A committed security event (a key created, rotated or revoked, a role changed,
        # two-factor turned off) mails the owners, whichever app recorded it.
        post_save.connect(notify_on_commit, sender=AuditEvent, dispatch_uid="apikeys.notices")
