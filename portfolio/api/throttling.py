"""Throttling per caller: each API client, each user, each anonymous address."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portfolio.authentication import ApiClientPrincipal


class PerClientRateThrottle(SimpleRateThrottle):
    """One bucket per API client (by id) or per user; anonymous callers by IP.

    The rate is read from settings at each request (``API_THROTTLE_RATE``,
    ``API_WRITE_THROTTLE_RATE`` for writes), so it can be changed per deployment.
    """

    scope = "api"

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, ApiClientPrincipal):
            ident = f"client-{user.client.pk}"
        elif user and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        # The rate may differ per request kind: re-read it every time.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PerClientWriteThrottle(PerClientRateThrottle):
    """A tighter bucket for writes (PATCH and workflow actions)."""

    scope = "api-write"

    def get_rate(self):
        return settings.API_WRITE_THROTTLE_RATE

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
