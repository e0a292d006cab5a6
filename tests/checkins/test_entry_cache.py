"""Rendered timeline entries are cached per process (see checkins.rendering): whatever changes
what an entry shows must show at once, and no viewer may ever get another's fragment."""

import zoneinfo
from datetime import timedelta

from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from checkins.models import Answer
from tests.factories import CheckInFactory

TIMELINE = reverse("checkins:timeline")
SECRET = "the only-me words about the dentist"


def test_a_private_note_cached_for_its_author_never_reaches_the_partner(
    client, partner_a, partner_b
):
    # Two days old, so the partner may not answer it: then nothing but the viewer tells
    # the two renderings apart.
    two_days_ago = timezone.now() - timedelta(days=2)
    CheckInFactory(
        author=partner_a, note=SECRET, note_visibility="only_me", occurred_at=two_days_ago
    )
    client.force_login(partner_a)
    assertContains(client.get(TIMELINE), SECRET)
    assertContains(client.get(TIMELINE), SECRET)  # now from the cache
    client.force_login(partner_b)
    response = client.get(TIMELINE)
    assertNotContains(response, SECRET)
    assertNotContains(response, "Only you can see this note.")
    assertNotContains(response, "Delete<span")  # not theirs to delete either


def test_a_new_answer_and_a_new_name_show_at_once(client, partner_a, partner_b):
    entry = CheckInFactory(author=partner_b, state="activated")
    client.force_login(partner_a)
    assertContains(client.get(TIMELINE), "Answer with one tap")
    Answer.objects.create(
        checkin=entry, couple_id=entry.couple_id, author=partner_a, kind="take_your_time"
    )
    response = client.get(TIMELINE)
    assertContains(response, "You: “Take your time”")
    assertNotContains(response, "Answer with one tap")
    partner_b.display_name = "Samira"
    partner_b.save()
    assertContains(client.get(TIMELINE), '<strong class="entry__who">Samira</strong>')


def test_the_time_follows_the_viewers_zone(client, partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    client.get(TIMELINE)
    partner_a.time_zone = "Pacific/Auckland"
    partner_a.save()
    local = entry.occurred_at.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assertContains(client.get(TIMELINE), f">{local:%H:%M}</time>")


def _answer_form_token(html: str, pk: int) -> str:
    form = html.split(f'action="{reverse("checkins:answer", args=[pk])}"', 1)[1]
    return form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]


def test_cached_forms_carry_a_token_for_this_browsers_csrf_cookie(partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    tokens = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(partner_a)
        response = browser.get(TIMELINE)
        secret = browser.cookies["csrftoken"].value
        token = _answer_form_token(response.content.decode(), entry.pk)
        assert _unmask_cipher_token(token) == secret
        tokens.append(secret)
        # Without JavaScript the form posts with that token, and it is accepted.
        answered = browser.post(
            reverse("checkins:answer", args=[entry.pk]),
            {"kind": "see_you", "csrfmiddlewaretoken": token},
        )
        assert answered.status_code == 302
        Answer.objects.filter(checkin=entry).delete()
    assert tokens[0] != tokens[1]


def test_an_entry_swapped_out_of_band_is_kept_apart_from_the_page_one(client, partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    marker = f'id="checkin-{entry.pk}" data-hx-swap-oob="true"'
    assertNotContains(client.get(TIMELINE), marker)
    Answer.objects.create(
        checkin=entry, couple_id=entry.couple_id, author=partner_a, kind="see_you"
    )
    # The page already shows the entry; its new answer comes as a replacement, out of band.
    poll = client.get(
        reverse("checkins:poll"), {"checkin": entry.pk, "answer": 0}, HTTP_HX_REQUEST="true"
    )
    assertContains(poll, marker)
    page = client.get(TIMELINE)
    assertContains(page, f'id="checkin-{entry.pk}"')
    assertNotContains(page, marker)


def test_an_answer_error_shows_once_and_is_not_kept_for_the_page(client, partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    client.get(TIMELINE)
    url = reverse("checkins:answer", args=[entry.pk])
    refused = client.post(url, {"kind": "shrug"}, HTTP_HX_REQUEST="true")
    assertContains(refused, "Choose one of the answers.")
    assertContains(refused, "Answer with one tap")
    assertNotContains(client.get(TIMELINE), "Choose one of the answers.")


def test_the_fragment_cache_keeps_any_key_without_memcacheds_check():
    """attune.cache.FragmentCache skips the per-character key check Django's backends make
    for memcached (a third of a page's entry lookups); a key memcached would refuse is kept
    and read like any other."""
    import warnings

    from django.core.cache import caches

    cache = caches["template_fragments"]
    key = "entry:" + "a" * 300  # memcached refuses keys over 250 characters
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cache.set(key, "<li>kept</li>", 60)
        assert cache.get_many([key, "entry:missing"]) == {key: "<li>kept</li>"}
