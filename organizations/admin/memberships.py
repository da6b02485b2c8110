"""The memberships inline: every change is checked by the role rules and made by a service.

`clean()` runs `check_membership_change` over the planned changes (owner grants first,
owner removals last) so refusals come back as form errors; `apply()` then makes each change
through `member_add`, `member_change_role` or `member_remove`, which re-check under a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.audit import AuditContext
from core.errors import DomainError
from organizations import services
from organizations.admin.secrets import HidesSecretFields
from organizations.models import Membership, Role, User
from organizations.permissions import check_membership_change, role_in

MEMBERSHIP_NOT_SAVED = "{email}: {message}"


@dataclass(frozen=True)
class _Change:
    form: forms.ModelForm
    user: User
    current: str | None  # None: adding
    new: str | None  # None: removing

    @property
    def order(self) -> int:
        # Grants of the owner role first and removals of it last, so that one save which
        # promotes a new owner and demotes the old one never passes through zero owners.
        if self.new == Role.OWNER:
            return 0
        return 2 if self.current == Role.OWNER else 1


class MembershipForm(forms.ModelForm):
    """Pick a user and a role; an existing membership keeps its user."""

    class Meta:
        model = Membership
        fields = ("user", "role")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A membership belongs to one user: to move it, remove it and add another.
            self.fields["user"].disabled = True


class MembershipFormSet(forms.BaseInlineFormSet):
    """Check every change against the role rules, then apply it through the services."""

    actor: User | None = None

    def planned_changes(self) -> list[_Change]:
        """Return the additions, role changes and removals this save asks for, in safe order."""
        changes = []
        for form in self.initial_forms:
            if form in self.deleted_forms:
                changes.append(_Change(form, form.instance.user, form.initial["role"], None))
            elif "role" in form.changed_data:
                role = form.cleaned_data["role"]
                changes.append(_Change(form, form.instance.user, form.initial["role"], role))
        for form in self.extra_forms:
            if form.has_changed() and form not in self.deleted_forms:
                changes.append(
                    _Change(form, form.cleaned_data["user"], None, form.cleaned_data["role"])
                )
        return sorted(changes, key=lambda change: change.order)

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        actor_role = role_in(self.actor, self.instance)
        owners = Membership.objects.filter(organization=self.instance, role=Role.OWNER).count()
        for change in self.planned_changes():
            try:
                check_membership_change(
                    actor_role=actor_role,
                    current=change.current,
                    new=change.new,
                    owner_count=owners,
                )
            except DomainError as error:
                raise forms.ValidationError(
                    MEMBERSHIP_NOT_SAVED.format(email=change.user.email, message=error.message)
                ) from error
            owners += (change.new == Role.OWNER) - (change.current == Role.OWNER)

    def apply(self, request: HttpRequest) -> None:
        """Run each change through its service; fill the lists the admin's history reads."""
        context = AuditContext.from_request(request)
        organization, actor = self.instance, request.user
        self.new_objects, self.changed_objects, self.deleted_objects = [], [], []
        for change in self.planned_changes():
            try:
                if change.current is None:
                    membership = services.member_add(
                        organization=organization,
                        actor=actor,
                        email=change.user.email,
                        role=change.new,
                        context=context,
                        acting_key=None,
                    )
                    self.new_objects.append(membership)
                elif change.new is None:
                    services.member_remove(
                        organization=organization,
                        actor=actor,
                        user=change.user,
                        context=context,
                        acting_key=None,
                    )
                    self.deleted_objects.append(change.form.instance)
                else:
                    membership = services.member_change_role(
                        organization=organization,
                        actor=actor,
                        user=change.user,
                        role=change.new,
                        context=context,
                        acting_key=None,
                    )
                    self.changed_objects.append((membership, ["role"]))
            except DomainError as error:
                # Only a concurrent change gets here: clean() checked the same rules.
                message = MEMBERSHIP_NOT_SAVED.format(
                    email=change.user.email, message=error.message
                )
                messages.error(request, message)


class MembershipInline(HidesSecretFields, admin.TabularInline):
    """Show an organization's members; every change goes through the membership services."""

    model = Membership
    form = MembershipForm
    formset = MembershipFormSet
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {"actor": request.user})
