"""The API Keys tab: the list, the create form and the page that shows a new key once.

The plaintext of a new key goes from the service into the server-side session, and the
show-once page pops it from there: it never travels in a URL, a message or a log, and a
reload finds nothing left to show.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods

from apikeys import conf, services, show_once
from apikeys import keys as keys_module
from apikeys.charts import sparkline
from apikeys.forms import APIKeyCreateForm, add_domain_error
from apikeys.models import APIKey, EffectiveStatus, KeyStatus
from apikeys.selectors import api_keys_visible_to
from apikeys.usage_selectors import usage_daily_totals
from apikeys.views.common import page_context
from core.audit import AuditContext
from core.errors import DomainError
from organizations.pages import (
    OrganizationAccess,
    organization_access,
    paginate,
    query_without_page,
    require_manager_page,
)

SEARCH_MAX_LENGTH = 100
# The keys list draws each key's requests per day over this many days.
SPARKLINE_DAYS = 14

OLD_KEY_REVOKED = "The previous key ({prefix}) was revoked and no longer works."
OLD_KEY_GRACE = "The previous key ({prefix}) keeps working until {until:%Y-%m-%d %H:%M} UTC."


def org_keys(request: HttpRequest, organization_id: uuid.UUID) -> QuerySet[APIKey]:
    """The keys of one organization, limited to those the caller may see."""
    return api_keys_visible_to(request.user).filter(organization_id=organization_id)


def unused_keys(keys: list[APIKey], *, now: datetime) -> set[uuid.UUID]:
    """The ids of keys still usable but idle for `APIKEYS_UNUSED_DAYS` or more (never used:
    since they were created): integrations that stopped, or keys to revoke."""
    since = now - timedelta(days=settings.APIKEYS_UNUSED_DAYS)
    return {
        key.pk
        for key in keys
        if key.effective_status(now) != EffectiveStatus.REVOKED
        and (key.last_used_at or key.created_at) <= since
    }


def search_term(typed: str) -> str:
    """What to search for: a whole key (pasted by mistake) is searched by its public prefix."""
    parsed = keys_module.parse(typed.strip(), conf.brand())
    return parsed.prefix if parsed is not None else typed.strip()[:SEARCH_MAX_LENGTH]


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("q")
def api_key_list(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """List the organization's keys, searchable by name or prefix, 50 per page.

    The search box posts (post/redirect/get): a whole key pasted into it is turned into its
    public prefix before it reaches a URL, so no address bar, history or log holds it.
    """
    access = organization_access(request, organization_id)
    if request.method == "POST":
        term = search_term(request.POST.get("q", ""))
        target = reverse("api-keys", args=[access.organization.pk])
        params = {"q": term} if term else {}
        if request.POST.get("revoked") == "hide":
            params["revoked"] = "hide"
        return redirect(f"{target}?{urlencode(params)}" if params else target)
    keys = org_keys(request, organization_id).order_by("-created_at", "-id")
    has_any = keys.exists()
    query = search_term(request.GET.get("q", ""))
    if query:
        keys = keys.search(query)
    hide_revoked = request.GET.get("revoked") == "hide"
    if hide_revoked:
        keys = keys.exclude(status=KeyStatus.REVOKED)
    page = paginate(request, keys)
    page.object_list = list(page.object_list)
    now = timezone.now()
    totals = usage_daily_totals(page.object_list, days=SPARKLINE_DAYS, now=now)
    for key in page.object_list:
        key.usage_sparkline = sparkline(totals[key.pk])
    context = page_context(request, access, "api-keys")
    context.update(
        page=page,
        keys=page.object_list,
        has_any=has_any,
        query=query,
        hide_revoked=hide_revoked,
        unused=unused_keys(page.object_list, now=now),
        unused_days=settings.APIKEYS_UNUSED_DAYS,
        page_query=query_without_page(request),
    )
    return render(request, "integrations/api_keys/list.html", context)


@login_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
@sensitive_variables()
def api_key_create(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Create a key, then redirect to the page that shows its plaintext once."""
    access = organization_access(request, organization_id)
    require_manager_page(access)
    form = APIKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = services.api_key_create(
                organization=access.organization,
                actor=request.user,
                name=form.cleaned_data["name"],
                mode=form.cleaned_data["mode"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                context=AuditContext.from_request(request),
                acting_key=None,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if show_once.stash(request, key, raw):
                return redirect("api-key-created", organization_id=access.organization.pk)
            return created_page(request, access, key, raw)  # the cache failed: show it now
    context = page_context(request, access, "api-keys")
    context["form"] = form
    status = 400 if form.is_bound else 200
    return render(request, "integrations/api_keys/create.html", context, status=status)


@never_cache
@login_required
@sensitive_variables()
def api_key_created(request: HttpRequest, organization_id: uuid.UUID) -> HttpResponse:
    """Show a new key's plaintext exactly once (`Cache-Control: no-store`)."""
    access = organization_access(request, organization_id)
    # Popped whatever happens next: the plaintext leaves the session on the first visit.
    stash = show_once.take(request, organization_id=access.organization.pk)
    key = None
    if stash is not None:
        key = (
            org_keys(request, access.organization.pk)
            .select_related("rotated_from")
            .filter(pk=stash.get("key_id"))
            .first()
        )
    if key is None:
        context = page_context(request, access, "api-keys")
        context["no_longer_shown"] = show_once.NO_LONGER_SHOWN
        return render(request, "integrations/api_keys/created.html", context)
    return created_page(request, access, key, stash["raw"])


@sensitive_variables()
def created_page(
    request: HttpRequest, access: OrganizationAccess, key: APIKey, raw: str
) -> HttpResponse:
    """The page that shows a new key once: never cached, never stored."""
    me_url = request.build_absolute_uri(reverse("auth-me"))
    context = page_context(request, access, "api-keys")
    context.update(
        key=key,
        raw=raw,
        shown_once=show_once.SHOWN_ONCE,
        curl=f'curl -H "Authorization: Bearer {raw}" {me_url}',
        previous_note=_previous_key_note(key),
    )
    response = render(request, "integrations/api_keys/created.html", context)
    add_never_cache_headers(response)
    return response


def _previous_key_note(key: APIKey) -> str:
    old = key.rotated_from
    if old is None:
        return ""
    if old.status == KeyStatus.REVOKED or old.expires_at is None:
        return OLD_KEY_REVOKED.format(prefix=old.prefix)
    return OLD_KEY_GRACE.format(prefix=old.prefix, until=old.expires_at)
