import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from attune.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "quiet-river-morning-7"


def test_sign_up_verify_log_out_log_in_and_land_on_the_timeline(new_page):
    page = new_page(timezone_id="America/Chicago")
    page.goto("/")
    page.get_by_role("link", name="Create your account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sign Up")
    page.get_by_label("Your name").fill("Morgan")
    page.get_by_label("Email").fill("morgan@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    # The device's time zone is proposed without the person having to look for it.
    expect(page.get_by_label("Your time zone")).to_have_value("America/Chicago")
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")
    assert not User.objects.get(email="morgan@example.com").emailaddress_set.get().verified

    (message,) = mail.outbox
    assert message.to == ["morgan@example.com"]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/timeline/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your timeline")
    user = User.objects.get(email="morgan@example.com")
    assert user.emailaddress_set.get().verified
    assert (user.display_name, user.time_zone) == ("Morgan", "America/Chicago")

    # On a phone, logging out is under Settings (the header keeps "Leave quickly").
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Log out on this device").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("morgan@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/timeline/$"))
    expect(page.get_by_text("Attune works with two")).to_be_visible()


def test_a_mistyped_sign_up_shows_the_message_beside_the_field(new_page):
    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Morgan")
    page.get_by_label("Email").fill("morgan@")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_label("Password (again)").fill("password")
    page.get_by_role("button", name="Sign Up").click()

    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_email_error")).to_contain_text("valid email")
    expect(page.locator("#id_password1_error")).to_contain_text("too common")
    assert not User.objects.exists()
