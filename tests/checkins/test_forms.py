"""The check-in form shares its fixed choices between instances; nothing else is shared. A
new form's fields come from the fragment cache, and are built only when it misses."""

from django.urls import reverse

from checkins.forms import CheckInForm

FIELDS = ['name="state"', 'name="intensity"', 'name="need"', 'name="note_visibility"']


def test_check_in_forms_share_choices_but_not_their_fields():
    first, second = CheckInForm(), CheckInForm({"state": "lost", "intensity": "9"})
    for name in ("state", "intensity", "need", "body_cues", "stressors", "note_visibility"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].widget is not second.fields[name].widget
        assert first.fields[name].choices == second.fields[name].choices
    # One form's errors and attributes stay its own.
    assert not second.is_valid()
    assert set(second.errors) == {"state", "intensity"}
    second.fields["state"].widget.attrs["aria-invalid"] = "true"
    assert "aria-invalid" not in first.fields["state"].widget.attrs
    assert first.errors == {}
    # The choices still decide what is valid.
    valid = CheckInForm({"state": "shutdown", "intensity": "2", "body_cues": ["tight_chest"]})
    assert valid.is_valid(), valid.errors
    assert valid.cleaned_data["intensity"] == 2


def test_a_new_form_shows_every_field_on_every_page_and_after_a_checkin(client, partner_a, couple):
    client.force_login(partner_a)
    built = client.get(reverse("checkins:timeline")).content.decode()
    kept = client.get(reverse("checkins:timeline")).content.decode()
    assert built.count("<input") == kept.count("<input")
    # After a check-in, htmx gets a new, empty form with the news.
    posted = client.post(
        reverse("checkins:create"),
        {"state": "regulated", "intensity": "2", "note": "calm now"},
        headers={"HX-Request": "true"},
    ).content.decode()
    for html in (built, kept, posted):
        assert all(field in html for field in FIELDS)
        assert 'id="id_state_error"' not in html
    assert "calm now</textarea>" not in posted
