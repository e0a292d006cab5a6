import re

import pytest
from playwright.sync_api import expect

from attune.models import TherapistProfile
from tests.browser.test_timeline_journey import log_in
from tests.factories import TEST_PASSWORD, CheckInFactory, TherapistFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_couple_invites_both_consent_therapist_reads_then_is_refused(
    new_page, partner_a, partner_b
):
    rivera = TherapistFactory(email="rivera@example.com")
    TherapistProfile.objects.create(user=rivera, professional_name="Dr. Rivera", practice="P")
    CheckInFactory(
        author=partner_b, state="shutdown", note="hidden words", note_visibility="only_me"
    )
    alex, sam, doctor = new_page(), new_page(), new_page()
    log_in(alex, partner_a.email)
    log_in(sam, partner_b.email)

    alex.goto("/partner/therapist/")
    expect(alex.get_by_text("What a therapist sees")).to_be_visible()
    alex.get_by_text("90 days", exact=True).click()
    alex.get_by_role("button", name="Make a code").click()
    code = alex.locator(".code").inner_text()

    doctor.goto("/accounts/login/")
    doctor.get_by_label("Email").fill(rivera.email)
    doctor.get_by_label("Password").fill(TEST_PASSWORD)
    doctor.get_by_role("button", name="Sign In", exact=True).click()
    expect(doctor.get_by_role("heading", level=1)).to_have_text("Your couples")
    doctor.get_by_role("link", name="Enter a couple's code").click()
    doctor.get_by_label("Invitation code").fill(code)
    doctor.get_by_role("button", name="Join").click()
    expect(doctor.get_by_text("No couple has given you access right now.")).to_be_visible()

    # Each partner sees who joined, and consents to that person; Alex first.
    alex.goto("/partner/therapist/")
    expect(alex.get_by_text("rivera@example.com")).to_be_visible()
    alex.get_by_role("button", name="I consent to Dr. Rivera seeing our timeline").click()
    alex.get_by_label("Password").fill(TEST_PASSWORD)  # letting someone in asks again
    alex.get_by_role("button", name="Confirm").click()
    expect(alex.get_by_text("1 of 2 of you consent to this person")).to_be_visible()
    sam.goto("/partner/therapist/")
    sam.get_by_role("button", name="I consent to Dr. Rivera seeing our timeline").click()
    sam.get_by_label("Password").fill(TEST_PASSWORD)
    sam.get_by_role("button", name="Confirm").click()
    expect(sam.get_by_text("Sees your shared timeline until")).to_be_visible()

    doctor.reload()
    doctor.get_by_role("link", name="Timeline").click()
    expect(doctor.get_by_role("heading", level=1)).to_have_text("Alex & Sam")
    expect(doctor.locator(".entry").first).to_contain_text("Shut down")
    expect(doctor.get_by_text("hidden words")).to_have_count(0)
    couple_url = doctor.url

    alex.goto("/partner/therapist/")
    expect(alex.get_by_text(re.compile("Dr. Rivera viewed your timeline on"))).to_be_visible()
    alex.get_by_role("button", name="End access now").click()
    expect(alex.get_by_text("Access ended.")).to_be_visible()

    response = doctor.goto(couple_url)
    assert response.status == 404
