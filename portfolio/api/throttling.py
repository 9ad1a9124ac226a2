"""Throttling per caller: each API client, each user, each anonymous address.

Each bucket that applies to a request leaves its figures on the request
(``remember``), and ``RateLimitHeadersMiddleware`` writes the tightest of them as
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` headers on
the response, so that a client sees the limit coming before its first 429.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portfolio.authentication import ApiClientPrincipal


@dataclass(frozen=True)
class RateLimit:
    limit: int
    remaining: int
    reset: int  # seconds until a request is freed from the window


def remember(request, figures: RateLimit) -> None:
    """Keep the tightest bucket's figures on the (Django) request."""
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or figures.remaining < current.remaining:
        django_request.rate_limit = figures


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
        allowed = super().allow_request(request, view)
        if getattr(self, "history", None) is not None:
            remember(request, self.figures())
        return allowed

    def figures(self) -> RateLimit:
        history = self.history
        reset = 0
        if history:
            reset = max(0, math.ceil(history[-1] + self.duration - self.now))
        return RateLimit(
            limit=self.num_requests,
            remaining=max(0, self.num_requests - len(history)),
            reset=reset,
        )


class PerClientWriteThrottle(PerClientRateThrottle):
    """A tighter bucket for writes (PATCH and workflow actions)."""

    scope = "api-write"

    def get_rate(self):
        return settings.API_WRITE_THROTTLE_RATE

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)
