"""The check-in form shares its fixed choices between instances; nothing else is shared."""

from checkins.forms import CheckInForm


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
