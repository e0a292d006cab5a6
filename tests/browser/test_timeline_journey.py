import re

import pytest
from playwright.sync_api import expect

from checkins.models import Answer, CheckIn
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/timeline/$"))


def test_one_partner_checks_in_and_the_other_sees_it_live(new_page, partner_a, partner_b):
    alex = new_page()
    sam = new_page()
    log_in(alex, partner_a.email)
    log_in(sam, partner_b.email)
    expect(sam.get_by_text("No check-ins yet")).to_be_visible()
    # A marker that a reload would wipe: Sam's page must update in place.
    sam.evaluate("window.stillThisPage = true")

    # Two taps: the state, then "Check in".
    alex.locator("#checkin_form label.state-option", has_text="Activated").click()
    alex.get_by_role("button", name="Check in").click()
    alex_entry = alex.locator(".entry").first
    expect(alex_entry).to_contain_text("You")
    expect(alex_entry).to_contain_text("Activated")
    expect(
        alex.get_by_role("radio", name=re.compile("^Activated"))
    ).not_to_be_checked()  # a fresh form

    sam_entry = sam.locator(".entry").first
    expect(sam_entry).to_contain_text("Alex", timeout=15_000)
    expect(sam_entry).to_contain_text("Activated")
    expect(sam.get_by_text("No check-ins yet")).to_have_count(0)
    assert sam.evaluate("window.stillThisPage") is True

    # Sam answers with one tap; Alex sees the answer without reloading.
    alex.evaluate("window.stillThisPage = true")
    sam_entry.get_by_role("button", name="Take your time").click()
    expect(sam_entry).to_contain_text("You: “Take your time”")
    expect(alex.locator(".entry").first).to_contain_text("Sam: “Take your time”", timeout=15_000)
    assert alex.evaluate("window.stillThisPage") is True
    assert Answer.objects.get().author == partner_b

    # Alex adds details behind the fold, with a private note Sam never sees.
    alex.get_by_text("Add more (all optional)").click()
    alex.locator("#checkin_form label.state-option", has_text="Shut down").click()
    alex.get_by_label("4", exact=True).check()
    alex.get_by_label("Space", exact=True).check()
    alex.get_by_label("A note").fill("only for me")
    alex.get_by_role("button", name="Check in").click()
    expect(alex.locator(".entry").first).to_contain_text("only for me")
    expect(sam.locator(".entry").first).to_contain_text("needs space", timeout=15_000)
    expect(sam.get_by_text("only for me")).to_have_count(0)
    assert CheckIn.objects.count() == 2


def test_a_checkin_without_a_state_is_explained_in_place(new_page, partner_a, partner_b):
    page = new_page()
    log_in(page, partner_a.email)
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#id_state_error")).to_contain_text("Choose the state")
    assert not CheckIn.objects.exists()
    # Keyboard only: tab to a state, pick it with the arrow keys, submit with Enter.
    page.get_by_role("radio", name=re.compile("^Regulated")).focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("radio", name=re.compile("^Activated"))).to_be_checked()
    page.get_by_role("button", name="Check in").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".entry").first).to_contain_text("Activated")


def test_on_a_wide_screen_the_two_pictures_sit_side_by_side(new_page, partner_a, partner_b):
    page = new_page(viewport={"width": 1280, "height": 900})
    log_in(page, partner_a.email)
    today, week = (page.locator(".picture").nth(i).bounding_box() for i in (0, 1))
    assert today["y"] == week["y"]
    assert today["x"] + today["width"] < week["x"]
