"""Timeline entries are written in Python (checkins.rendering.entry_html), not by a template:
every value must still be escaped, and each part shows only to whom it should."""

from django.urls import reverse

from checkins.models import Answer, NoteVisibility
from checkins.rendering import entry_html, esc
from tests.factories import CheckInFactory

TIMELINE = reverse("checkins:timeline")
HOSTILE = "<script>alert(\"x\")</script> & 'co'"


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


def test_entry_html_writes_out_of_band_entries_and_answer_errors():
    view = {
        "pk": 7,
        "state": "activated",
        "state_label": "Activated",
        "intensity": 4,
        "dots": "●●●●○",
        "need": "",
        "description": "Fight or flight",
        "cues": [],
        "stressors": ["<work>"],
        "note": "",
        "private": False,
        "who": "Sam",
        "answers": [("You", "I see you")],
        "answer_url": "",
        "delete_url": "",
        "local_iso": "2026-11-24T05:00:00+0100",
        "local_time": "05:00",
        "local_day_time": "Tue 05:00",
    }
    html = entry_html(view, oob=True, answer_error="Too <late>", csrf_input="")
    assert '<li class="entry entry--activated" id="checkin-7" data-hx-swap-oob="true">' in html
    assert '<p class="field__error" role="alert">Too &lt;late&gt;</p>' in html
    assert '<li class="tag tag--stressor">&lt;work&gt;</li>' in html
    assert "<li>You: “I see you”</li>" in html
    assert "<form" not in html
    assert esc(3) == "3"
