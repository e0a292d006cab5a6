"""Safety in a real browser on a phone: leaving quickly, nothing left behind after logging
out, and a pause the partner cannot see."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_pause_journey import check_in
from tests.browser.test_timeline_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEUTRAL = "https://neutral.example/weather"


@pytest.fixture
def neutral_site(settings):
    """The quick exit's site, answered by the test so nothing leaves the machine."""
    settings.QUICK_EXIT_URL = NEUTRAL

    def serve(page):
        page.route(
            "https://neutral.example/**",
            lambda route: route.fulfill(
                status=200,
                content_type="text/html",
                body="<!doctype html><title>Weather</title><h1>Sunny spells</h1>",
            ),
        )
        return page

    return serve


def test_leave_quickly_replaces_the_page_and_back_does_not_return(
    new_page, partner_a, partner_b, neutral_site
):
    page = neutral_site(new_page())
    log_in(page, partner_a.email)
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page).to_have_url(re.compile("/settings/$"))
    exit_link = page.get_by_role("link", name="Leave quickly")
    expect(exit_link).to_be_visible()
    box = exit_link.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    exit_link.click()
    expect(page).to_have_url(NEUTRAL)
    expect(page.get_by_role("heading", name="Sunny spells")).to_be_visible()
    # One step back is the page before settings, not settings.
    page.go_back()
    expect(page).not_to_have_url(re.compile("/settings/$"))


def test_escape_twice_leaves_too(new_page, partner_a, partner_b, neutral_site):
    page = neutral_site(new_page())
    log_in(page, partner_a.email)
    expect(page).to_have_url(re.compile("/timeline/$"))
    page.wait_for_load_state("load")  # the deferred script listens from here on
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    expect(page).to_have_url(NEUTRAL)


def test_after_logging_out_back_shows_no_timeline(new_page, partner_a, partner_b):
    # A wide screen, where "Log out" sits in the header of the timeline itself.
    page = new_page(viewport={"width": 1280, "height": 800})
    log_in(page, partner_a.email)
    check_in(page, "Activated", "Connection")
    expect(page.locator(".entry").first).to_contain_text("needs connection")
    page.get_by_role("button", name="Log out").click()
    expect(page).not_to_have_url(re.compile("/timeline/"))
    page.go_back()
    # The browser may not keep a signed-in page: going back asks the server, which wants
    # a sign-in.
    expect(page.locator(".entry")).to_have_count(0)
    expect(page).to_have_url(re.compile("/accounts/login/"))


def test_a_paused_checkin_never_reaches_the_partners_screen(new_page, partner_a, partner_b):
    alex, sam = new_page(), new_page()
    log_in(alex, partner_a.email)
    log_in(sam, partner_b.email)
    alex.get_by_role("link", name="Settings", exact=True).click()
    alex.get_by_role("link", name=re.compile("pause it quietly")).click()
    alex.get_by_role("button", name="Pause sharing").click()
    expect(alex.get_by_text("Sharing is paused. Your new check-ins stay with you.")).to_be_visible()
    alex.get_by_role("link", name="Timeline", exact=True).click()
    check_in(alex, "Activated", "Connection")
    expect(alex.locator(".entry").first).to_contain_text("while sharing was paused")
    # Sam's open timeline polls and stays as it was; a reload shows nothing either.
    sam.wait_for_timeout(1500)
    sam.reload()
    expect(sam.locator(".entry")).to_have_count(0)
    expect(sam.get_by_text("paused")).to_have_count(0)
