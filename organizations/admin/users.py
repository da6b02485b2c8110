"""The user admin: Django's, adapted to email logins; deletions keep every organization owned."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest

from organizations.admin.secrets import HidesSecretFields
from organizations.models import Membership, Role, User, normalize_login_email

EMAIL_TAKEN = "A user with this email address already exists."
LAST_OWNER_OF = "{email} is the last owner of {organization}."


class UserCreationForm(AdminUserCreationForm):
    """Create users who sign in with their email address (Django's admin creation form)."""

    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        # The manager stores emails lower-cased and logins match case-insensitively.
        email = normalize_login_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(EMAIL_TAKEN)
        return email


class UserEditForm(UserChangeForm):
    """Edit users of the email-login model (Django's admin change form)."""

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(HidesSecretFields, DjangoUserAdmin):
    """Manage users as Django's user admin does, adapted to email logins and full names."""

    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    search_fields = ("email", "full_name")
    ordering = ("email",)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple:
        # Deleting users would delete their memberships around the last-owner rule: the
        # admin lists those organizations as protected and refuses, as it does for keys.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed, [*protected, *_last_owners_among(objs)]


def _last_owners_among(users: Any) -> list[str]:
    """Describe each organization whose owners would all be among `users`."""
    ids = {user.pk for user in users}
    owned = Membership.objects.filter(user_id__in=ids, role=Role.OWNER).select_related(
        "user", "organization"
    )
    blocked = []
    for membership in owned:
        others = Membership.objects.filter(
            organization_id=membership.organization_id, role=Role.OWNER
        ).exclude(user_id__in=ids)
        if not others.exists():
            blocked.append(
                LAST_OWNER_OF.format(
                    email=membership.user.email, organization=membership.organization
                )
            )
    return blocked
