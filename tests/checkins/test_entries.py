"""Timeline entries as each viewer reads them: every value escaped, each part shown only to
whom it belongs, and whatever changes what an entry shows showing at once."""

import zoneinfo
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from checkins.models import Answer, NoteVisibility
from tests.factories import CheckInFactory

TIMELINE = reverse("checkins:timeline")
SECRET = "the only-me words about the dentist"
HOSTILE = "<script>alert(\"x\")</script> & 'co'"


def test_a_private_note_shown_to_its_author_never_reaches_the_partner(client, partner_a, partner_b):
    # Two days old, so the partner may not answer it: then nothing but the viewer tells
    # the two renderings apart.
    two_days_ago = timezone.now() - timedelta(days=2)
    CheckInFactory(
        author=partner_a, note=SECRET, note_visibility="only_me", occurred_at=two_days_ago
    )
    client.force_login(partner_a)
    assertContains(client.get(TIMELINE), SECRET)
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


def test_an_entrys_forms_carry_a_token_for_this_browsers_csrf_cookie(partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    tokens = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(partner_a)
        response = browser.get(TIMELINE)
        secret = browser.cookies["csrftoken"].value
        token = _answer_form_token(response.content.decode(), entry.pk)
        tokens.append(secret)
        # Without JavaScript the form posts with that token, and it is accepted.
        answered = browser.post(
            reverse("checkins:answer", args=[entry.pk]),
            {"kind": "see_you", "csrfmiddlewaretoken": token},
        )
        assert answered.status_code == 302
        Answer.objects.filter(checkin=entry).delete()
    assert tokens[0] != tokens[1]


def test_an_entry_with_a_new_answer_is_swapped_out_of_band_only_in_the_news(
    client, partner_a, partner_b
):
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


def test_an_answer_error_shows_once_and_not_on_the_page(client, partner_a, partner_b):
    entry = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    client.get(TIMELINE)
    url = reverse("checkins:answer", args=[entry.pk])
    refused = client.post(url, {"kind": "shrug"}, HTTP_HX_REQUEST="true")
    assertContains(refused, "Choose one of the answers.")
    assertContains(refused, "Answer with one tap")
    assertNotContains(client.get(TIMELINE), "Choose one of the answers.")


def _entry_of(html: str, pk: int) -> str:
    start = html.index(f'id="checkin-{pk}"')
    return html[start : html.index("\n</li>", start)]


def test_every_value_in_an_entry_is_escaped(client, partner_a, partner_b, couple):
    partner_b.display_name = HOSTILE
    partner_b.save()
    checkin = CheckInFactory(
        author=partner_b,
        note=f"{HOSTILE}\nsecond line",
        note_visibility=NoteVisibility.SHARED,
        body_cues=["tight_chest"],
    )
    answered = CheckInFactory(author=partner_a)
    Answer.objects.create(checkin=answered, author=partner_b, couple=couple, kind="see_you")
    client.force_login(partner_a)
    page = client.get(TIMELINE).content.decode()
    html, answers = _entry_of(page, checkin.pk), _entry_of(page, answered.pk)
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;co&#x27;"
    assert "<script>" not in html + answers
    assert f'<strong class="entry__who">{escaped}</strong>' in html
    assert f"<li>{escaped}: “I see you”</li>" in answers
    # The note keeps its line break, escaped around it.
    assert f"{escaped}<br>second line</blockquote>" in html


def test_an_entry_offers_the_author_delete_and_the_partner_an_answer(client, partner_a, partner_b):
    mine = CheckInFactory(author=partner_a, note="just mine")
    theirs = CheckInFactory(author=partner_b)
    client.force_login(partner_a)
    page = client.get(TIMELINE).content.decode()
    own, partners = _entry_of(page, mine.pk), _entry_of(page, theirs.pk)
    assert reverse("checkins:delete", args=[mine.pk]) in own
    assert "answer-form" not in own
    assert "Only you can see this note." in own
    assert reverse("checkins:answer", args=[theirs.pk]) in partners
    assert "entry__delete" not in partners
    # Both forms carry the CSRF token the page's cookie matches.
    for html in (own, partners):
        assert 'name="csrfmiddlewaretoken" value="' in html
    # The partner never sees the private note.
    client.force_login(partner_b)
    assert "just mine" not in client.get(TIMELINE).content.decode()
