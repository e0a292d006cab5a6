import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from attune.models import Couple

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet-river-morning-7"


def sign_up(page, name, email):
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0))
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/timeline/$"))


def test_two_people_sign_up_link_by_code_and_one_unlinks(new_page):
    morgan = new_page()
    riley = new_page()
    sign_up(morgan, "Morgan", "morgan@example.com")
    sign_up(riley, "Riley", "riley@example.com")

    morgan.get_by_role("link", name="Invite your partner").click()
    morgan.get_by_role("button", name="Make a code").click()
    code = morgan.locator(".code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)

    riley.get_by_role("link", name="Partner", exact=True).click()
    riley.get_by_role("link", name="Enter your partner's code").click()
    riley.get_by_label("Invitation code").fill(code.lower().replace("-", " "))
    riley.get_by_role("button", name="Continue").click()
    expect(riley.get_by_role("heading", level=1)).to_have_text("Morgan invites you")
    riley.get_by_role("button", name="Link with Morgan").click()
    # Linking lets someone in: the password once more, then the link is made.
    riley.get_by_label("Password").fill(PASSWORD)
    riley.get_by_role("button", name="Confirm").click()
    expect(riley.get_by_text("You and Morgan share this timeline.")).to_be_visible()

    morgan.get_by_role("link", name="Timeline", exact=True).click()
    expect(morgan.get_by_text("You and Riley share this timeline.")).to_be_visible()
    expect(morgan.get_by_role("link", name=re.compile("Notifications 1"))).to_be_visible()

    # Riley ends the link quietly: the password was confirmed a moment ago, so only the
    # choice and the box.
    riley.get_by_role("link", name="Partner", exact=True).click()
    riley.get_by_role("link", name="End the link").click()
    expect(riley.get_by_role("heading", level=1)).to_have_text("End the link with Morgan?")
    riley.get_by_role("radio", name=re.compile("Send nothing")).check()
    riley.get_by_label("Yes, I understand").check()
    riley.get_by_role("button", name="End the link").click()
    expect(riley.get_by_text("You are no longer linked")).to_be_visible()
    assert Couple.objects.get().ended_at is not None

    morgan.reload()
    expect(morgan.get_by_text("Attune works with two")).to_be_visible()
    expect(morgan.get_by_text("This shared timeline has ended.")).to_be_visible()
    # Told nothing: the one notice is still the one from linking.
    expect(morgan.get_by_role("link", name=re.compile("Notifications 1"))).to_be_visible()
