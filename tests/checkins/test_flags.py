from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from attune.models import Notification, User
from checkins.models import CheckIn, Flag
from checkins.services import checkin_record
from tests.data import race
from tests.factories import CheckInFactory, UserFactory

CREATE = reverse("checkins:create")


def post(client, user, state, need, **extra):
    client.force_login(user)
    return client.post(CREATE, {"state": state, "intensity": 4, "need": need, **extra})


def test_pursue_withdraw_is_flagged_with_roles_and_a_calm_pause(client, partner_a, partner_b):
    post(client, partner_b, "shutdown", "space")
    response = post(client, partner_a, "activated", "connect")
    flag = Flag.objects.get()
    assertRedirects(response, reverse("checkins:flag", args=[flag.pk]))
    assert (flag.pattern, flag.pursuer, flag.withdrawer) == (
        "pursue_withdraw",
        partner_a,
        partner_b,
    )
    pause = client.get(response.url)
    assertContains(pause, "You&#x27;re reaching out; Sam needs space right now.")
    assertContains(pause, "This is the cycle, not either of you.")
    assertContains(pause, 'name="scheduled_for"')
    # The partner hears of it, in words that say nothing private.
    notice = Notification.objects.get(user=partner_b, kind="flag")
    assert "activated" not in notice.text and "conflict" not in notice.text
    client.force_login(partner_b)
    timeline = client.get(reverse("checkins:timeline"))
    assertContains(timeline, "You need some space; Alex is reaching out right now.")


def test_htmx_posts_into_a_mismatch_bring_the_pause_card_beside_the_button(
    client, partner_a, partner_b
):
    CheckInFactory(author=partner_b, state="activated", need="none")
    client.force_login(partner_a)
    response = client.post(
        CREATE, {"state": "activated", "intensity": 3}, headers={"HX-Request": "true"}
    )
    flag = Flag.objects.get(pattern="mutual_escalation")
    # No jump to another page: the card comes where the eye already is, and leads on.
    assert "HX-Redirect" not in response.headers
    html = response.content.decode()
    after = html[html.index('<div id="checkin_after"') :]
    assert "A moment to pause" in after
    assert reverse("checkins:flag", args=[flag.pk]) in after
    status = html[html.index('id="checkin_status"') : html.index('<div id="checkin_after"')]
    assert "Checked in: Activated" in status
    assert "A moment to pause: You and Sam are both activated right now." in status
    assert CheckIn.objects.filter(author=partner_a).count() == 1


def test_one_open_flag_per_pattern(client, partner_a, partner_b):
    post(client, partner_b, "shutdown", "none")
    first = post(client, partner_a, "shutdown", "none")
    # Posting into the open flag again, from either side, leads to that same pause.
    again = [
        post(client, partner_a, "shutdown", "space"),
        post(client, partner_b, "shutdown", "connect"),
    ]
    flag = Flag.objects.get(pattern="mutual_withdrawal")
    assert flag.checkin == CheckIn.objects.filter(author=partner_a).earliest("occurred_at")
    for response in (first, *again):
        assertRedirects(response, reverse("checkins:flag", args=[flag.pk]))
    assert Notification.objects.filter(kind="flag").count() == 1


def test_both_regulated_resolves_and_keeps_the_time(client, partner_a, partner_b):
    post(client, partner_b, "shutdown", "space")
    post(client, partner_a, "activated", "connect")
    post(client, partner_a, "regulated", "none")
    assert Flag.objects.get().is_open  # only one of them is calm so far
    post(client, partner_b, "regulated", "none")
    flag = Flag.objects.get()
    assert not flag.is_open
    assert timedelta(0) <= flag.time_to_regulated < timedelta(minutes=1)
    # A new mismatch later opens a new flag.
    post(client, partner_b, "shutdown", "space")
    post(client, partner_a, "activated", "connect")
    assert Flag.objects.filter(resolved_at__isnull=True).count() == 1
    assert Flag.objects.count() == 2


def test_an_aged_out_checkin_is_not_current(client, partner_a, partner_b):
    CheckInFactory(
        author=partner_b,
        state="shutdown",
        need="space",
        occurred_at=timezone.now() - timedelta(hours=3, minutes=1),
    )
    post(client, partner_a, "activated", "connect")
    assert not Flag.objects.exists()


def test_no_flag_without_a_partner_checkin_or_for_other_couples(
    client, partner_a, partner_b, outsider
):
    CheckInFactory(author=outsider, state="shutdown", need="space")
    post(client, partner_a, "activated", "connect")
    assert not Flag.objects.exists()


def test_outsiders_do_not_see_a_flag(client, partner_a, partner_b, outsider):
    CheckInFactory(author=partner_b, state="shutdown")
    post(client, partner_a, "shutdown", "none")
    flag = Flag.objects.get()
    client.force_login(outsider)
    assert client.get(reverse("checkins:flag", args=[flag.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_both_posting_in_the_same_instant_make_one_flag():
    if connection.vendor != "postgresql":
        pytest.skip("the race needs two real PostgreSQL connections (CI runs it)")
    from attune.services import couple_link

    alex, sam = UserFactory(display_name="Alex"), UserFactory(display_name="Sam")
    couple_link(first=alex, second=sam)
    CheckInFactory(author=alex, state="regulated")
    CheckInFactory(author=sam, state="regulated")
    data = {
        "state": "activated",
        "intensity": 4,
        "need": "none",
        "note": "",
        "note_visibility": "only_me",
        "body_cues": [],
        "stressors": [],
        "occurred_at": timezone.now(),
    }

    def check_in_five_times(user):
        fresh = User.objects.get(pk=user.pk)
        for _ in range(5):
            checkin_record(author=fresh, data=data)

    outcomes = race(lambda: check_in_five_times(alex), lambda: check_in_five_times(sam))
    assert outcomes == ["ok", "ok"]
    assert Flag.objects.filter(pattern="mutual_escalation", resolved_at__isnull=True).count() == 1
    # Whoever opened it told the other, once; the posts into it after told no one.
    assert Notification.objects.filter(kind="flag").count() == 1


def test_a_checkin_post_with_detection_stays_within_its_query_budget(
    client, partner_a, partner_b, django_assert_max_num_queries
):
    CheckInFactory(author=partner_b, state="shutdown", need="space")
    CheckInFactory(author=partner_a, state="regulated")
    client.force_login(partner_a)
    # A mismatch: detection, a new flag (in a savepoint of its own: the database keeps one
    # open per pattern), the partner's notification and its e-mail task; then, as for any
    # check-in, the news since the page's cursor, with the pause card beside the button in
    # place of a second request for the pause page.
    with django_assert_max_num_queries(17):
        response = client.post(
            CREATE,
            {"state": "activated", "intensity": 4, "need": "connect"},
            headers={"HX-Request": "true"},
        )
    assert "A moment to pause" in response.content.decode()
    # No mismatch: detection, then the news since the page's cursor for the htmx swap.
    with django_assert_max_num_queries(12):
        response = client.post(
            CREATE,
            {"state": "regulated", "intensity": 1, "checkin": 0, "answer": 0},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200


def test_the_picture_shades_the_moment(client, partner_a, partner_b):
    CheckInFactory(author=partner_b, state="shutdown", need="space")
    post(client, partner_a, "activated", "connect")
    page = client.get(reverse("checkins:timeline"))
    assertContains(page, 'class="lanes__shade"', count=2)  # today and the week
    assertContains(page, "1 moment out of sync, shaded.", count=2)


def test_the_banners_read_only_the_viewers_couple_open_or_recent(
    partner_a, partner_b, couple, outsider
):
    """flags_recent and revisit_open are plain SQL: the same rows as the ORM would give,
    dates compared as the database stores them, nothing from another couple."""
    from checkins.models import Revisit
    from checkins.selectors import flags_recent, revisit_open

    now = timezone.now()
    other = outsider.memberships.get(ended_at__isnull=True).couple

    def flag(couple, pattern, opened_days, resolved_days=None):
        return Flag.objects.create(
            couple=couple,
            pattern=pattern,
            opened_at=now - timedelta(days=opened_days),
            resolved_at=None if resolved_days is None else now - timedelta(days=resolved_days),
        )

    still_open = flag(couple, "pursue_withdraw", 20)
    recent = flag(couple, "mutual_escalation", 3, resolved_days=2)
    flag(couple, "mutual_shutdown", 12, resolved_days=9)  # ended before the last 8 days
    flag(other, "pursue_withdraw", 1)
    found = flags_recent(viewer=partner_a)
    assert [f.pk for f in found] == [recent.pk, still_open.pk]
    assert found[1].is_open and not found[0].is_open
    assert found[0].resolved_at == recent.resolved_at

    Revisit.objects.create(couple=couple, proposed_by=partner_a, scheduled_for=now, status="done")
    Revisit.objects.create(couple=other, proposed_by=outsider, scheduled_for=now, status="proposed")
    assert revisit_open(viewer=partner_a) is None
    agreed = Revisit.objects.create(
        couple=couple, proposed_by=partner_b, scheduled_for=now, status="agreed"
    )
    found = revisit_open(viewer=partner_b)
    assert found.pk == agreed.pk and found.uid == agreed.uid
    assert found.scheduled_for == agreed.scheduled_for and found.status == "agreed"
