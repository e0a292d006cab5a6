"""Attune as an app on a phone, in Chromium: the manifest, the service worker in control,
the offline page when the network is gone (and no signed-in page kept on the phone), and a
check-in that survives a connection that drops, saved once."""

import pytest
from playwright.sync_api import expect

from checkins.models import CheckIn
from tests.browser.test_timeline_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEPT_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
  }
  return urls;
}"""


def controlled(page) -> None:
    """Wait until the service worker is active and controls this page."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")


def test_the_manifest_is_linked_and_parses(new_page):
    page = new_page()
    page.goto("/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = page.request.get(href).json()
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).ok, icon


def test_chromium_finds_attune_installable(playwright, live_server, tmp_path):
    """What the browser itself checks before it offers "Install": a manifest with the right
    fields and icons, and a service worker in control. (An incognito window, which the other
    tests use, never offers it, so this one has a profile of its own.)"""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE

    context = playwright.chromium.launch_persistent_context(
        str(tmp_path), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, viewport=PHONE
    )
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        controlled(page)
        session = context.new_cdp_session(page)
        assert session.send("Page.getInstallabilityErrors") == {"installabilityErrors": []}
        assert session.send("Page.getAppManifest")["errors"] == []
    finally:
        context.close()


def test_offline_a_navigation_shows_the_offline_page_and_no_kept_timeline(
    new_page, partner_a, partner_b
):
    page = new_page()
    log_in(page, partner_a.email)
    controlled(page)
    expect(page.get_by_role("heading", name="Your timeline")).to_be_visible()
    page.context.set_offline(True)
    page.goto("/timeline/")
    expect(page.get_by_role("heading", name="No connection right now")).to_be_visible()
    expect(page.get_by_text(partner_a.display_name)).to_have_count(0)
    page.goto("/settings/")
    expect(page.get_by_role("heading", name="No connection right now")).to_be_visible()
    kept = page.evaluate(KEPT_URLS)
    assert "/offline/" in kept and "/static/css/attune.css" in kept
    pages = [url for url in kept if not url.startswith("/static/")]
    assert pages == ["/offline/"], kept
    page.context.set_offline(False)
    page.goto("/timeline/")
    expect(page.get_by_role("heading", name="Your timeline")).to_be_visible()


def test_a_check_in_made_offline_is_kept_and_saved_once_when_sent_again(
    new_page, partner_a, partner_b
):
    page = new_page(has_touch=True, is_mobile=True)
    log_in(page, partner_a.email)
    form = page.locator("#checkin_form")
    form.locator("label.state-option", has_text="Activated").tap()
    page.context.set_offline(True)
    form.get_by_role("button", name="Check in").tap()
    status = page.locator("#checkin_status")
    expect(status).to_contain_text("Not sent yet: no connection")
    expect(form.get_by_label("Activated")).to_be_checked()  # still there to send
    assert CheckIn.objects.count() == 0

    page.context.set_offline(False)
    form.get_by_role("button", name="Check in").tap()
    expect(status).to_contain_text("Checked in: Activated")
    assert CheckIn.objects.filter(author=partner_a).count() == 1


def test_a_check_in_whose_answer_was_lost_is_not_saved_twice(new_page, partner_a, partner_b):
    # The worker stays out of this one so the test's own network hook sees the request.
    page = new_page(service_workers="block")
    log_in(page, partner_a.email)
    lost = []

    def reach_the_server_then_drop(route):
        route.fetch()  # the server saves it...
        lost.append(route.request.url)
        route.abort("connectionreset")  # ...and the answer never arrives

    page.route("**/timeline/checkins/", reach_the_server_then_drop)
    form = page.locator("#checkin_form")
    form.locator("label.state-option", has_text="Shut down").click()
    form.get_by_role("button", name="Check in").click()
    expect(page.locator("#checkin_status")).to_contain_text("Not sent yet")
    assert len(lost) == 1 and CheckIn.objects.count() == 1

    page.unroute("**/timeline/checkins/")
    form.get_by_role("button", name="Check in").click()
    expect(page.locator("#checkin_status")).to_contain_text("Checked in: Shut down")
    assert CheckIn.objects.filter(author=partner_a).count() == 1


def test_the_settings_page_offers_one_push_button_at_a_time(new_page, partner_a, settings):
    from tests.push.service import vapid_pair

    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = vapid_pair()
    page = new_page()
    log_in(page, partner_a.email)
    page.goto("/settings/")
    push = page.locator("#push")
    expect(push.get_by_role("status")).to_have_text("This device gets no notices.")
    expect(push.get_by_role("button", name="Turn on for this device")).to_be_visible()
    expect(push.get_by_role("button", name="Turn off for this device")).to_be_hidden()
    # No install offer from the browser (a private window never makes one): no button.
    expect(page.get_by_role("button", name="Install Attune")).to_be_hidden()
