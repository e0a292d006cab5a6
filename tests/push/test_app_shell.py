"""The installable app's parts as the server sends them: a manifest a browser accepts, a
service worker that is the same for everyone, and an offline page with nobody in it."""

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

pytestmark = pytest.mark.django_db


def test_the_manifest_makes_attune_installable(client):
    response = client.get(reverse("manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == manifest["short_name"] == "Attune"
    assert manifest["start_url"] == reverse("checkins:timeline")
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon
    page = client.get(reverse("home")).content.decode()
    assert f'<link rel="manifest" href="{reverse("manifest")}">' in page
    assert 'name="theme-color" content="#15181c" media="(prefers-color-scheme: dark)"' in page


def test_the_service_worker_is_the_same_for_everyone_and_never_stale(client, partner_a):
    anonymous = client.get("/sw.js")
    assert anonymous["Content-Type"].startswith("text/javascript")
    assert "no-cache" in anonymous["Cache-Control"] or "no-store" in anonymous["Cache-Control"]
    client.force_login(partner_a)
    signed_in = client.get("/sw.js")
    assert signed_in.content == anonymous.content
    body = anonymous.content.decode()
    assert 'const OFFLINE_URL = "/offline/"' in body
    assert '"/static/css/attune.css"'.replace('"', "\\u0022") in body
    assert 'request.mode === "navigate"' in body  # pages: network, else the offline page


def test_every_file_the_worker_keeps_exists_for_collectstatic():
    """A name missing here is a 500 for /sw.js in production (no manifest entry)."""
    from attune.pwa import SHELL

    for name in SHELL:
        assert finders.find(name), name


def test_the_csp_lets_the_manifest_and_the_worker_load_from_here_only(client):
    policy = client.get(reverse("home"))["Content-Security-Policy"]
    assert "manifest-src 'self'" in policy
    assert "worker-src 'self'" in policy


def test_the_offline_page_holds_nothing_of_the_person_who_saw_it(client, partner_a, partner_b):
    client.force_login(partner_a)
    page = client.get(reverse("offline"))
    assertContains(page, "No connection right now")
    assertContains(page, "Leave quickly")
    for private in [partner_a.display_name, partner_b.display_name, "csrfmiddlewaretoken"]:
        assertNotContains(page, private)
    assertNotContains(page, partner_a.email)
