"""The organization admin: created through `organization_create`, with members and key counts."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from core.audit import AuditContext
from core.errors import InvalidInput
from organizations import services
from organizations.admin.memberships import MembershipFormSet, MembershipInline
from organizations.admin.secrets import HidesSecretFields
from organizations.models import Organization, User
from organizations.names import clean_display_name


class OrganizationForm(forms.ModelForm):
    """Edit an organization; its name obeys the rule `organization_create` applies."""

    class Meta:
        model = Organization
        fields = ("name", "slug")

    def clean_name(self) -> str:
        # A rename saves the model directly, so the name rule must be checked here too:
        # an organization name that hides text could pass for another one.
        try:
            return clean_display_name(
                self.cleaned_data.get("name"),
                field="name",
                max_length=services.ORG_NAME_MAX_LENGTH,
                required_message=services.ORG_NAME_REQUIRED,
                too_long_message=services.ORG_NAME_TOO_LONG,
            )
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error


class OrganizationCreateForm(OrganizationForm):
    """Name a new organization and its first owner."""

    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("email"),
        help_text="The organization's first owner.",
    )

    class Meta:
        model = Organization
        fields = ("name",)


@admin.register(Organization)
class OrganizationAdmin(HidesSecretFields, admin.ModelAdmin):
    """Manage organizations, their key counts and their members (through the services)."""

    form = OrganizationForm
    list_display = ("name", "slug", "key_count", "member_count", "created_at")
    search_fields = ("name", "slug")
    readonly_fields = ("created_at",)
    inlines = (MembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _key_count=Count("api_keys", distinct=True),
                _member_count=Count("memberships", distinct=True),
            )
        )

    @admin.display(description="API keys", ordering="_key_count")
    def key_count(self, organization: Organization) -> int:
        return organization._key_count

    @admin.display(description="Members", ordering="_member_count")
    def member_count(self, organization: Organization) -> int:
        return organization._member_count

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = OrganizationCreateForm
            kwargs["fields"] = ("name", "owner")
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("name", "owner")
        return ("name", "slug", "created_at")

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        # A new organization's only member is the owner organization_create adds.
        return self.inlines if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.organization_create(
            name=form.cleaned_data["name"],
            owner=form.cleaned_data["owner"],
            context=AuditContext.from_request(request),
        )
        # The admin goes on with `obj` (history, redirect): make it the created row.
        for field in Organization._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding, obj._state.db = False, created._state.db

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if isinstance(formset, MembershipFormSet):
            formset.apply(request)
        else:
            super().save_formset(request, form, formset, change)
