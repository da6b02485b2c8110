"""Email about keys: who is told, where the link points, and how each message goes out.

Leak reports, keys sent in URLs, security notices and expiry reminders all mail the same
people the same way: the organization's owners and the key's creator, active and with an
address they proved they read, each in a message of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, OuterRef, QuerySet
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from apikeys.models import APIKey
from organizations.models import Role, User
from organizations.selectors import members_of


def owners_of(organization_id: object) -> QuerySet[User]:
    """The owners of an organization, by email."""
    return User.objects.filter(
        pk__in=members_of(organization_id).filter(role=Role.OWNER).values("user_id")
    ).order_by("email")


def mailable(users: Iterable[User | None]) -> tuple[str, ...]:
    """The addresses of `users` worth mailing: active, with a verified address, each once.

    Verified as allauth records it: an address nobody proved they read gets no notices.
    """
    ids = list(dict.fromkeys(user.pk for user in users if user is not None))
    verified = EmailAddress.objects.filter(
        user=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
    )
    found = dict(
        User.objects.filter(pk__in=ids, is_active=True)
        .filter(Exists(verified))
        .values_list("pk", "email")
    )
    return tuple(found[pk] for pk in ids if pk in found)


def key_watchers(key: APIKey) -> tuple[str, ...]:
    """Who is told what happens to a key: its organization's owners and its creator."""
    return mailable([*owners_of(key.organization_id), key.created_by])


def keys_link(organization_id: object, key_id: object | None = None) -> str:
    """The key's page (or the organization's keys page), for emails. SITE_URL, never the
    request's Host header: whoever triggers a mail must not choose where the owners' link
    points. Without it the path alone still says where to go."""
    try:
        if key_id is not None:
            path = reverse("api-key-detail", args=[organization_id, key_id])
        else:
            path = reverse("api-keys", args=[organization_id])
    except NoReverseMatch:  # a downstream project that mounts no Keyportal pages
        path = "/"
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def send_to_each(
    recipients: tuple[str, ...], subject: str, template: str, context: dict[str, Any]
) -> None:
    """Email each recipient on their own (owners need not learn each other's addresses): the
    text part from `<template>.txt`, the HTML part from `<template>.html`."""
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    messages = []
    for recipient in recipients:
        message = EmailMultiAlternatives(subject=subject, body=text, to=[recipient])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    with get_connection() as connection:
        connection.send_messages(messages)
