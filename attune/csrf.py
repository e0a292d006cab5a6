"""One masked CSRF token for everything a response writes at once.

Django masks the CSRF secret afresh on every `get_token` call, so that a page's bytes never
repeat the secret (BREACH). A page asked twice, once for its entries' forms and once for the
template's `{% csrf_token %}`, and a mask draws 32 characters one system call at a time:
about 60 microseconds each (see README's Benchmarks). One mask per response protects the
same. (A timeline entry kept in the fragment cache keeps the token it was written with.)
"""

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.functional import SimpleLazyObject


def masked_token(request: HttpRequest) -> str:
    """Django's `get_token`, masked once for the request and reused while the secret stays
    the same (`rotate_token`, as at login, replaces it: then masked anew)."""
    kept = getattr(request, "_attune_masked_csrf", None)
    if kept is not None and kept[0] == request.META.get("CSRF_COOKIE"):
        return kept[1]
    token = get_token(request)
    request._attune_masked_csrf = (request.META["CSRF_COOKIE"], token)
    return token


def csrf(request: HttpRequest) -> dict:
    """Django's own `csrf` context processor, reading the request's one masked token. It
    comes after Django's (which every RequestContext applies first) and so replaces it."""
    return {"csrf_token": SimpleLazyObject(lambda: masked_token(request))}
