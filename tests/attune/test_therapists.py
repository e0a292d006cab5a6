import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from attune.models import AccessLog, ConsentEvent, TherapistAccess
from attune.services import (
    couple_link,
    couple_unlink,
    therapist_access_expire,
    therapist_consent,
    therapist_invite,
    therapist_join,
    therapist_renew,
    therapist_revoke,
)
from checkins.models import CheckIn, Flag, Revisit
from tests.factories import CheckInFactory, TherapistFactory, UserFactory

PRIVATE = "words for me alone"
SHARED = "words for both of us"


def urls(access):
    return [
        reverse("therapist_couple", args=[access.pk]),
        reverse("therapist_summary", args=[access.pk]),
    ]


def test_access_starts_only_when_both_consent_and_lasts_the_chosen_time(half, partner_a, partner_b):
    assert not half.is_live
    access = therapist_consent(partner=partner_b, access=half)
    assert not access.is_live  # inviting is not consenting: Alex has not consented yet
    access = therapist_consent(partner=partner_a, access=half)
    assert access.is_live
    assert access.expires_at - access.started_at == timedelta(days=90)
    kinds = list(ConsentEvent.objects.filter(access=access).values_list("kind", flat=True))
    assert kinds == ["invited", "joined", "consented", "consented", "started"]


def test_the_therapist_sees_nothing_without_full_consent(client, half, rivera):
    client.force_login(rivera)
    for url in urls(half):
        assert client.get(url).status_code == 404
    assert not AccessLog.objects.exists()


def test_with_full_consent_the_therapist_reads_but_never_private_notes(
    client, live, rivera, partner_a, partner_b
):
    CheckInFactory(author=partner_a, note=PRIVATE, note_visibility="only_me", state="activated")
    CheckInFactory(author=partner_b, note=SHARED, note_visibility="shared", state="shutdown")
    client.force_login(rivera)
    dashboard = client.get(reverse("therapist_dashboard"))
    assertContains(dashboard, "Alex &amp; Sam")
    page = client.get(reverse("therapist_couple", args=[live.pk]))
    assertContains(page, SHARED)
    assertNotContains(page, PRIVATE)
    assertNotContains(page, "Answer with one tap")
    assertNotContains(page, ">Delete<")
    summary = client.get(reverse("therapist_summary", args=[live.pk]))
    assertContains(summary, "Alex: 1")
    assertNotContains(summary, PRIVATE)
    assert list(AccessLog.objects.values_list("what", flat=True).order_by("pk")) == [
        "counts of new flags and missed revisits",
        "timeline",
        "summary",
    ]


@pytest.mark.parametrize("who", ["partner_a", "partner_b"])
def test_either_partner_revokes_and_the_next_request_is_refused(client, live, rivera, who, request):
    client.force_login(rivera)
    assert client.get(urls(live)[0]).status_code == 200
    therapist_revoke(partner=request.getfixturevalue(who), access=live)
    for url in urls(live):
        assert client.get(url).status_code == 404
    assert ConsentEvent.objects.filter(access=live, kind="revoked").exists()


def test_expiry_ends_access_and_is_recorded(client, live, rivera):
    with time_machine.travel(live.expires_at + timedelta(minutes=1)):
        client.force_login(rivera)
        for url in urls(live):
            assert client.get(url).status_code == 404
        assert therapist_access_expire() == 1
    assert ConsentEvent.objects.filter(access=live, kind="expired").exists()


def test_renewal_needs_both_consents_again(client, live, rivera, partner_a, partner_b):
    renewed = therapist_renew(partner=partner_a, access=live)
    assert not renewed.is_live
    client.force_login(rivera)
    assert client.get(urls(renewed)[0]).status_code == 404
    assert client.get(urls(live)[0]).status_code == 404  # the old one ended
    renewed = therapist_consent(partner=partner_b, access=renewed)
    assert renewed.is_live
    assert client.get(urls(renewed)[0]).status_code == 200


def test_unlinking_ends_all_therapist_access(client, live, rivera, partner_a):
    couple_unlink(user=partner_a)
    client.force_login(rivera)
    assert client.get(urls(live)[0]).status_code == 404
    assert TherapistAccess.objects.get().end_reason == "unlinked"


def test_a_therapist_sees_only_their_own_couples(client, live, outsider):
    other_therapist = TherapistFactory()
    CheckInFactory(author=outsider, note="other couple", note_visibility="shared")
    client.force_login(other_therapist)
    for url in urls(live):
        assert client.get(url).status_code == 404
    from checkins.selectors import checkins_visible_to

    assert not checkins_visible_to(viewer=other_therapist).exists()


def test_partners_cannot_use_therapist_pages_and_therapists_cannot_check_in(
    client, live, partner_a, rivera
):
    client.force_login(partner_a)
    assert client.get(reverse("therapist_dashboard")).status_code == 403
    assert client.get(urls(live)[0]).status_code == 403
    client.force_login(rivera)
    client.post(reverse("checkins:create"), {"state": "regulated", "intensity": 1})
    assert not CheckIn.objects.filter(author=rivera).exists()
    with pytest.raises(ValidationError):
        couple_link(first=rivera, second=UserFactory())


def test_the_couple_sees_every_view_in_the_log(client, live, rivera, partner_b):
    client.force_login(rivera)
    client.get(urls(live)[0])
    client.force_login(partner_b)
    page = client.get(reverse("therapist_access"))
    assertContains(page, "Dr. Rivera viewed your timeline on")
    assertContains(page, "Alex invited a therapist")


def test_the_consent_screen_says_what_and_how_long(client, partner_a, partner_b):
    client.force_login(partner_a)
    page = client.get(reverse("therapist_access"))
    assertContains(page, "Never</strong> notes marked")
    assertContains(page, "180 days")
    made = client.post(reverse("therapist_invite"), {"duration_days": "30"}, follow=True)
    assertContains(made, 'class="code"')
    assertNotContains(client.get(reverse("therapist_access")), 'class="code"')  # shown once
    assert TherapistAccess.objects.get().duration_days == 30
    assert client.post(reverse("therapist_invite"), {"duration_days": "7"}).status_code == 200
    assert TherapistAccess.objects.count() == 1


def test_only_a_fresh_account_becomes_a_therapist(client, partner_a, partner_b):
    client.force_login(partner_a)
    data = {"professional_name": "Dr. A", "practice": "P"}
    assertContains(client.post(reverse("therapist_setup"), data), "can&#x27;t become")
    fresh = UserFactory()
    client.force_login(fresh)
    response = client.post(reverse("therapist_setup"), data)
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.is_therapist


def test_a_therapist_code_works_once(partner_a, partner_b, rivera):
    _access, code = therapist_invite(partner=partner_a, duration_days=90)
    therapist_join(therapist=rivera, code=code)
    with pytest.raises(ValidationError):
        therapist_join(therapist=TherapistFactory(), code=code)
    _late, late_code = therapist_invite(partner=partner_a, duration_days=90)
    with (
        time_machine.travel(timezone.now() + timedelta(days=8)),
        pytest.raises(ValidationError, match="expired"),
    ):
        therapist_join(therapist=TherapistFactory(), code=late_code)
    with pytest.raises(ValidationError, match="doesn't match"):
        therapist_join(therapist=rivera, code="ZZZZ-ZZZZ")


def test_a_couple_can_send_the_code_to_the_therapist_by_email(
    client, partner_a, partner_b, django_capture_on_commit_callbacks
):
    from django.core import mail

    client.force_login(partner_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("therapist_invite"), {"duration_days": "90", "email": "dr@example.com"})
    (message,) = mail.outbox
    assert message.to == ["dr@example.com"]
    shown = client.get(reverse("therapist_access"))  # already popped by the redirect
    assert TherapistAccess.objects.get().token_hash
    code = re.search(r"\n    ([A-Z2-9]{4}-[A-Z2-9]{4})\n", message.body).group(1)
    rivera = TherapistFactory()
    assert therapist_join(therapist=rivera, code=code).therapist == rivera
    assert "Alex" not in message.body and "Sam" not in message.body  # no names in an e-mail
    assert shown.status_code == 200


def test_the_dashboard_puts_couples_needing_attention_first(
    client, live, rivera, partner_a, outsider
):
    other_couple = outsider.memberships.get().couple
    kim = other_couple.memberships.exclude(user=outsider).get().user
    _access, code = therapist_invite(partner=outsider, duration_days=30)
    other = therapist_join(therapist=rivera, code=code)
    therapist_consent(partner=outsider, access=other)
    other = therapist_consent(partner=kim, access=other)
    # Before access started: not news to the therapist.
    Flag.objects.create(
        couple=other_couple, pattern="pursue_withdraw", opened_at=other.started_at - timedelta(1)
    )
    for minutes in (1, 2):
        Flag.objects.create(
            couple=other_couple,
            pattern="mutual_escalation",
            opened_at=timezone.now(),
            resolved_at=timezone.now() + timedelta(minutes=minutes),
        )
    Revisit.objects.create(
        couple=live.couple, scheduled_for=timezone.now(), status=Revisit.Status.MISSED
    )
    client.force_login(rivera)
    page = client.get(reverse("therapist_dashboard")).content.decode()
    assert page.index("Robin &amp; Kim") < page.index("Alex &amp; Sam")
    assert "Since you were given access: 2 new flags." in page
    assert "Since you were given access: 1 missed revisit." in page

    client.get(reverse("therapist_summary", args=[other.pk]))
    page = client.get(reverse("therapist_dashboard")).content.decode()
    assert page.index("Alex &amp; Sam") < page.index("Robin &amp; Kim")
    assert "Nothing new since you last looked" in page
    # Each couple's log says the therapist saw these counts, each time.
    assert (
        AccessLog.objects.filter(
            couple=live.couple, what="counts of new flags and missed revisits"
        ).count()
        == 2
    )
