"""The client's IP address, as the one place that decides it.

Behind the TLS proxy the README asks for, `REMOTE_ADDR` is the proxy: every audit event
would name it, and one person's failed sign-ins would lock everyone out. So the address is
read from `X-Forwarded-For`, but only when the peer is a proxy the operator trusts
(`TRUSTED_PROXIES`): walking the header from the right, each trusted hop is skipped and the
first address that is not one of them is the client. From any other peer the header is
ignored, since a client can write anything in it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address: `REMOTE_ADDR`, or past trusted proxies, the forwarded one."""
    peer = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if peer is None or not networks or not _trusted(peer, networks):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed header: fall back to what the socket says
    return hops[0] if hops else peer
