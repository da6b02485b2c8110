"""Users (email login), organizations, memberships with roles, and invitations."""

import unicodedata
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.text import slugify


def normalize_login_email(email: str | None) -> str:
    """The one spelling of a sign-in email: NFKC-normalized, trimmed and case-folded.

    Look-alike spellings (fullwidth letters, compatibility characters, another case) then
    name the same account everywhere: sign-in, uniqueness, invitations and the sign-in
    limits, so a fullwidth `b` in an address cannot dodge the limits of the plain one.
    """
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


class UserManager(BaseUserManager["User"]):
    """Create users whose login is their email address."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_login_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored normalized, so every look-alike spelling finds the same user.
        return self.get(email=normalize_login_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address and a password."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff act as admins in every organization and may use the admin."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class TwoFactorRule(models.TextChoices):
    """Who in an organization must have two-factor authentication turned on."""

    OFF = "off", "Not required"
    MANAGERS = "managers", "Required for owners and admins"
    EVERYONE = "everyone", "Required for everyone"


class Organization(models.Model):
    """A clinic or company: the unit that owns API keys and members."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    two_factor_rule = models.CharField(
        max_length=16,
        choices=TwoFactorRule.choices,
        default=TwoFactorRule.OFF,
        help_text="Who must use two-factor authentication here; only owners change it.",
    )
    members = models.ManyToManyField(User, through="Membership", related_name="organizations")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(two_factor_rule__in=[r.value for r in TwoFactorRule]),
                name="organization_two_factor_rule_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def unique_slug(name: str) -> str:
        base = slugify(name)[:70] or "organization"
        slug, n = base, 1
        while Organization.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Membership(models.Model):
    """A user's role in one organization."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="one_membership_per_user_and_org"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


def invitation_expiry() -> datetime:
    """When an invitation sent now stops working: `INVITATION_DAYS` (7) days from now."""
    return timezone.now() + timedelta(days=settings.INVITATION_DAYS)


class Invitation(models.Model):
    """An offer to join an organization with a role, sent to an email address.

    The link's secret token is never stored, only its digest (`organizations.tokens`): the
    database alone lets no one accept an invitation. A pending invitation past `expires_at`
    no longer works, whether or not `invitations_expire` has marked it expired yet.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField("email address", max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Sent by an operator on the server (`manage.py invite`), not by a member: no inviter's
    # role to re-check on acceptance. An inviter deleted since leaves this False.
    by_operator = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=invitation_expiry)
    status = models.CharField(
        max_length=16, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open offer per address: resending renews it instead of adding a second.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in InvitationStatus]),
                name="invitation_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="invitation_due_idx")]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role}, {self.status})"

    @property
    def is_past_due(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def effective_status(self) -> str:
        """The status as users see it: a pending invitation past its expiry has expired."""
        if self.status == InvitationStatus.PENDING and self.is_past_due:
            return InvitationStatus.EXPIRED
        return self.status
