"""`expire_invitations`: mark every invitation past its expiry as expired (for a cron job).

An invitation past its expiry already refuses acceptance; this makes its status and the
audit log say so. Each one is audited as `invitation.expired`.
"""

from django.core.management.base import BaseCommand

from core.audit import AuditContext
from organizations import services

EXPIRED = "{count} invitation(s) marked expired."


class Command(BaseCommand):
    help = "Mark pending invitations past their expiry as expired (audited)."

    def handle(self, *args, **options):
        count = services.invitations_expire(
            context=AuditContext(request_id="manage.py:expire_invitations")
        )
        self.stdout.write(EXPIRED.format(count=count))
