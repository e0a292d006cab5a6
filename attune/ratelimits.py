"""Attune's own rate limits, counted by allauth's limiter in the shared cache (the actions
and rates are ACCOUNT_RATE_LIMITS in attune/settings.py)."""

from allauth.core import ratelimit
from django.http import HttpRequest


def rate_limited(request: HttpRequest, action: str) -> bool:
    """Count one try of `action` for this user and address; True once over the limit."""
    return not ratelimit.consume(request, action=action, user=request.user)
