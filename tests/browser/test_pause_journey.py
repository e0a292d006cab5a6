import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from attune.models import Notification
from checkins.models import Flag, Reminder, Revisit
from tests.browser.test_timeline_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check_in(page, state, need):
    form = page.locator("#checkin_form")
    form.locator("label.state-option", has_text=state).click()
    form.get_by_text("Add more (all optional)").click()
    form.get_by_label(need, exact=True).check()
    form.get_by_role("button", name="Check in").click()


def test_a_mismatch_a_pause_a_revisit_and_both_reminded(new_page, partner_a, partner_b, settings):
    settings.BELL_POLL_SECONDS = 2
    alex, sam = new_page(), new_page()
    log_in(alex, partner_a.email)
    log_in(sam, partner_b.email)

    check_in(alex, "Activated", "Connection")
    expect(alex.locator(".entry").first).to_contain_text("needs connection")

    # Sam posts into the mismatch and is met, right under the button, by a calm pause card
    # (not an alarm), which leads to the pause page.
    check_in(sam, "Shut down", "Space")
    card = sam.get_by_role("region", name="A moment to pause")
    expect(card).to_contain_text("You need some space; Alex is reaching out right now.")
    card.get_by_role("link", name="What helps now").click()
    expect(sam).to_have_url(re.compile(r"/timeline/flags/\d+/$"))
    expect(sam.get_by_role("heading", level=1)).to_have_text("Let's pause for a moment")
    expect(sam.get_by_text("You need some space; Alex is reaching out right now.")).to_be_visible()
    flag = Flag.objects.get()
    assert (flag.pursuer, flag.withdrawer) == (partner_a, partner_b)

    # Alex's bell rings without a reload; the timeline names the moment from Alex's side.
    expect(alex.locator("#bell .badge")).to_have_text(re.compile("^1"), timeout=10_000)
    alex.get_by_role("link", name="Timeline", exact=True).click()
    expect(alex.get_by_text("You're reaching out; Sam needs space right now.")).to_be_visible()
    alex.get_by_role("link", name="What helps now").click()
    alex.get_by_role("button", name="Propose this time").click()
    expect(alex.get_by_text("You proposed this time. Waiting for Sam.")).to_be_visible()

    sam.get_by_role("link", name="Timeline", exact=True).click()
    sam.get_by_role("link", name="Answer").click()
    sam.get_by_role("button", name="Accept this time").click()
    expect(sam.get_by_text("You have both agreed.")).to_be_visible()
    revisit = Revisit.objects.get()
    assert revisit.status == "agreed"

    # The time comes: the sweep (what the worker runs) sends each partner's reminder, and
    # each bell counts one more without a reload.
    unread = {
        page: Notification.objects.filter(user=user, read_at__isnull=True).count()
        for page, user in ((alex, partner_a), (sam, partner_b))
    }
    Reminder.objects.filter(kind="revisit").update(due_at=timezone.now())
    Reminder.objects.filter(kind="nudge").delete()
    call_command("send_due_reminders")
    assert Reminder.objects.filter(sent_at__isnull=False).count() == 2
    for page in (alex, sam):
        expect(page.locator("#bell .badge")).to_have_text(
            re.compile(f"^{unread[page] + 1} unread"), timeout=10_000
        )
        page.get_by_role("link", name=re.compile("^Notifications")).click()
        expect(page.get_by_text("Attune has a reminder for you.")).to_be_visible()
