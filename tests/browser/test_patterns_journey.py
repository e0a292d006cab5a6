"""Patterns over weeks as a partner and a therapist use them, on the demo's twelve weeks: the
pictures and their tables on a phone, a period of one's own, and the summary on one printed
page (Chromium's own print to PDF)."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from attune.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def pdf_pages(pdf: bytes) -> int:
    """Page objects in the PDF Chromium writes (its page dictionaries are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_partner_reads_the_patterns_and_a_therapist_prints_them_on_one_page(new_page):
    call_command("seed_demo", stdout=StringIO())
    alex = new_page()
    sign_in(alex, "alex@demo.attune")
    alex.get_by_role("link", name="Patterns over weeks and months").click()
    expect(alex.get_by_role("heading", level=1)).to_have_text("Patterns over weeks")
    expect(
        alex.get_by_text(re.compile(r"\d+ moments out of sync in this period\."))
    ).to_be_visible()
    for name in ("Share of regulated", "Flags by weekday and hour", "Revisits per week"):
        expect(alex.get_by_role("img", name=re.compile(name))).to_be_visible()

    # Each picture can be read as a table instead.
    heat = alex.locator("figure", has=alex.get_by_text("When moments out of sync began"))
    heat.get_by_text("Show as a table").click()
    expect(heat.get_by_role("columnheader", name="20")).to_be_visible()

    # The dates show only for a period of one's own.
    expect(alex.get_by_label("From", exact=True)).to_be_hidden()
    alex.get_by_label("Period").select_option("custom")
    start = timezone.localdate() - timedelta(days=20)
    alex.get_by_label("From", exact=True).fill(start.isoformat())
    alex.get_by_label("To", exact=True).fill(timezone.localdate().isoformat())
    alex.get_by_role("button", name="Show").click()
    expect(alex.get_by_text(f"{start:%-d %B %Y} to")).to_be_visible()
    alex.get_by_label("To", exact=True).fill("")
    alex.get_by_role("button", name="Show").click()
    expect(alex.locator("#id_end_error")).to_have_text("Choose the last day of the period.")

    doctor = new_page(viewport={"width": 1280, "height": 900})
    sign_in(doctor, "rivera@demo.attune")
    doctor.get_by_role("link", name="Summary").click()
    expect(doctor.get_by_role("heading", name="In a few words")).to_be_visible()
    expect(doctor.get_by_role("img", name=re.compile("Flags by weekday and hour"))).to_be_visible()
    assert pdf_pages(doctor.pdf(format="A4")) == 1
