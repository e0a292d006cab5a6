"""A response masks the CSRF secret once (attune.csrf): the forms written for a page and its
htmx header carry the same token, one the middleware accepts, and the next response masks
anew. (An entry kept in the fragment cache keeps the token it was written with.)"""

import re

from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse

from tests.factories import CheckInFactory

TIMELINE = reverse("checkins:timeline")


def _tokens(html: str) -> set[str]:
    fields = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    header = re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    assert fields
    assert header
    return {*fields, *header}


def test_a_page_carries_one_masked_token_and_the_next_page_another(partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(partner_a)
    first = _tokens(browser.get(TIMELINE).content.decode())
    # The entry's forms, the check-in form, the log-out form and the htmx header: one token.
    assert len(first) == 1
    second = _tokens(browser.get(TIMELINE).content.decode())
    assert second - first  # masked anew (the entry comes from the cache with its own)
    secret = browser.cookies["csrftoken"].value
    for token in first | second:
        assert token != secret
        assert _unmask_cipher_token(token) == secret
    (token,) = first
    answered = browser.post(
        reverse("checkins:answer", args=[entry.pk]),
        {"kind": "see_you", "csrfmiddlewaretoken": token},
    )
    assert answered.status_code == 302


def test_a_new_secret_in_the_request_gets_its_own_masked_token(rf):
    """`rotate_token` (as at login) replaces the secret mid-request; the token kept for the
    response must follow it, or the next form post would fail its CSRF check."""
    from django.middleware.csrf import rotate_token

    from attune.csrf import masked_token

    request = rf.get("/")
    first = masked_token(request)
    assert masked_token(request) == first
    old_secret = request.META["CSRF_COOKIE"]
    rotate_token(request)
    second = masked_token(request)
    assert request.META["CSRF_COOKIE"] != old_secret
    assert _unmask_cipher_token(second) == request.META["CSRF_COOKIE"]
    assert masked_token(request) == second
