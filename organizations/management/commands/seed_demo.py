"""`seed_demo`: an idempotent demo (an owner, an organization, one member and a staff
superuser for the admin), each with a confirmed email address so they can sign in."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.audit import AuditContext
from core.errors import DomainError
from organizations import services
from organizations.models import Membership, Organization, Role, User

DEMO_ORG = "Demo Veterinary Clinic"
DEMO_OWNER = "owner@demo.keyportal.test"
DEMO_MEMBER = "member@demo.keyportal.test"
DEMO_STAFF = "staff@demo.keyportal.test"
DEMO_PASSWORD = "keyportal-demo"  # noqa: S105 - a documented local demo password
CONTEXT = AuditContext(request_id="manage.py:seed_demo")
REFUSED_IN_PRODUCTION = (
    "seed_demo creates users with a published password; it runs only with DEBUG=1 "
    "(or --allow-production for a throwaway staging site)."
)


class Command(BaseCommand):
    help = (
        "Create (once) a demo owner, organization, member and staff superuser, and print how "
        "to sign in."
    )

    def add_arguments(self, parser):
        parser.add_argument("--allow-production", action="store_true")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site is served, for the sign-in address printed.",
        )

    @transaction.atomic
    def handle(self, *args, allow_production=False, base_url="http://127.0.0.1:8000", **options):
        if not (settings.DEBUG or allow_production):
            raise CommandError(REFUSED_IN_PRODUCTION)
        owner = self._user(DEMO_OWNER, "Demo Owner")
        member = self._user(DEMO_MEMBER, "Demo Member")
        self._user(DEMO_STAFF, "Demo Staff", is_staff=True, is_superuser=True)
        organization = Organization.objects.filter(
            memberships__user=owner, name=DEMO_ORG
        ).first() or services.organization_create(name=DEMO_ORG, owner=owner, context=CONTEXT)
        # Through the service, like every membership change: role-checked and audited.
        if not Membership.objects.filter(user=member, organization=organization).exists():
            try:
                services.member_add(
                    organization=organization,
                    actor=owner,
                    email=member.email,
                    role=Role.MEMBER,
                    context=CONTEXT,
                    acting_key=None,
                )
            except DomainError as error:  # e.g. the demo owner was demoted by hand
                raise CommandError(error.message) from error
        base_url = base_url.rstrip("/")
        self.stdout.write(
            f"Demo ready. Sign in at {base_url}/accounts/login/\n"
            f"  owner:  {DEMO_OWNER} / {DEMO_PASSWORD}\n"
            f"  member: {DEMO_MEMBER} / {DEMO_PASSWORD}\n"
            f"  staff:  {DEMO_STAFF} / {DEMO_PASSWORD}  (the admin: {base_url}/admin/)\n"
            f"  organization id: {organization.id}"
        )

    def _user(self, email, name, **flags):
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": name, **flags}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        # Signing in takes a confirmed address; the demo's addresses receive no mail.
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        return user
