import uuid
from datetime import UTC, timedelta
from typing import Literal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from attune.forms import PeriodForm
from checkins.models import (
    BODY_CUES,
    STATE_DESCRIPTIONS,
    STATE_HINTS,
    STRESSORS,
    Answer,
    Need,
    NoteVisibility,
    State,
)
from checkins.patterns import Period

# A check-in may be set back to catch up on a moment that passed, but not further than this.
BACKDATE_LIMIT = timedelta(hours=24)
# A phone's clock a little ahead of ours still types "now".
CLOCK_SKEW = timedelta(minutes=1)


class WallClockField(forms.DateTimeField):
    """A date and time as the user's own clock shows it (a datetime-local input), read in the
    current time zone.

    Django refuses a time that a change of clocks makes ambiguous or skips. Here a time in
    the hour that happens twice when the clocks turn back means its next occurrence for a
    time `ahead` (a revisit) and its last one for a time `back` (a check-in set back): when
    the clock next shows it, or last showed it. The form's own checks still apply. A time
    the clocks skip gets a message that says so.
    """

    def __init__(self, *, looking: Literal["ahead", "back"], **kwargs):
        self.looking = looking
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
            typed = error.params["datetime"]
        tz = timezone.get_current_timezone()
        first, second = typed.replace(tzinfo=tz, fold=0), typed.replace(tzinfo=tz, fold=1)
        if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != typed:
            raise ValidationError(
                "The clocks go forward that night, so %(date)s, %(time)s never happens; "
                "choose another time.",
                code="skipped_time",
                params={"date": f"{typed:%d %B}".lstrip("0"), "time": f"{typed:%H:%M}"},
            )
        now = timezone.now()
        if self.looking == "ahead":
            chosen = first if first >= now else second
        else:
            chosen = second if second <= now + CLOCK_SKEW else first
        # In UTC: arithmetic on a zoned time drops its fold (the reminder 10 minutes before
        # 02:50 the second time would be 10 minutes before the first).
        return chosen.astimezone(UTC)


class TagsField(forms.MultipleChoiceField):
    """Tags from a fixed list, each at most once and in the list's order, however often a
    hand-made request repeats one (fifty "work" tags are one)."""

    def clean(self, value):
        chosen = set(super().clean(value))
        return [key for key, _label in self.choices if key in chosen]


class StateRadioSelect(forms.RadioSelect):
    """Big state buttons, each with a few plain words; the full description of every state
    is a tap away under the form's button ("What do these mean?")."""

    template_name = "checkins/widgets/state_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for _group, options, _index in context["widget"]["optgroups"]:
            for option in options:
                option["description"] = STATE_DESCRIPTIONS.get(State(option["value"]), "")
                option["hint"] = STATE_HINTS.get(State(option["value"]), "")
        return context


class CheckInForm(forms.Form):
    """A check-in as typed. A plain form: every value is checked against its fixed list
    here, and the database's CHECK constraints hold the same rules on insert."""

    state = forms.ChoiceField(
        label="How is your body right now?",
        choices=State.choices,
        widget=StateRadioSelect,
        error_messages={"required": "Choose the state that fits you best right now."},
    )
    intensity = forms.TypedChoiceField(
        label="How strong is it?",
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        initial=3,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        help_text="1 is barely there, 5 is as strong as it gets.",
        error_messages={"invalid_choice": "Choose an intensity from 1 to 5."},
    )
    need = forms.ChoiceField(
        label="What do you need?",
        choices=Need.choices,
        initial=Need.NONE,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )
    body_cues = TagsField(
        label="What do you notice in your body?",
        choices=list(BODY_CUES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "chips"}),
    )
    stressors = TagsField(
        label="What is weighing on you?",
        choices=list(STRESSORS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "chips"}),
    )
    note = forms.CharField(
        label="A note",
        required=False,
        max_length=1000,
        help_text="Up to 1,000 characters.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        error_messages={"max_length": "Keep the note to 1,000 characters (it has %(show_value)d)."},
    )
    note_visibility = forms.ChoiceField(
        label="Who sees the note?",
        choices=NoteVisibility.choices,
        initial=NoteVisibility.ONLY_ME,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )
    client_key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    occurred_at = WallClockField(
        looking="back",
        label="When",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Leave empty for now. You can set it back up to 24 hours.",
    )

    # Everything but the state sits under "Add more", which opens when one of them is wrong.
    MORE = ("intensity", "need", "body_cues", "stressors", "note", "note_visibility", "occurred_at")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Each form shown is one check-in to be: sent twice, it is saved once.
            self.initial.setdefault("client_key", uuid.uuid4())

    @property
    def more_has_errors(self) -> bool:
        return any(name in self.errors for name in self.MORE)

    # Two taps are enough: what is left out takes the default.
    def clean_need(self) -> str:
        return self.cleaned_data.get("need") or Need.NONE

    def clean_note_visibility(self) -> str:
        return self.cleaned_data.get("note_visibility") or NoteVisibility.ONLY_ME

    def clean_occurred_at(self):
        when = self.cleaned_data.get("occurred_at")
        if when is None:
            return timezone.now()
        now = timezone.now()
        if when > now + CLOCK_SKEW:
            raise forms.ValidationError("A check-in can't be in the future.")
        if when < now - BACKDATE_LIMIT:
            raise forms.ValidationError("A check-in can be set back at most 24 hours.")
        return when


class AnswerForm(forms.Form):
    kind = forms.ChoiceField(choices=Answer.Kind.choices)


class RevisitForm(forms.Form):
    scheduled_for = WallClockField(
        looking="ahead",
        label="Come back together at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=(
            "Between 20 minutes and 24 hours from the moment. Many people need at least "
            "twenty minutes to settle after a heated moment, and some need longer; coming back "
            "within a day keeps the pause a pause."
        ),
        error_messages={"required": "Choose a time.", "invalid": "Enter a date and time."},
    )


class DeclineForm(forms.Form):
    message = forms.CharField(
        label="A short message (optional)",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MoreTimeForm(forms.Form):
    minutes = forms.TypedChoiceField(
        label="How much more time?",
        choices=[(15, "15 minutes"), (30, "30 minutes")],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How did it go?",
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
        help_text="1 is hard, 5 is good. Only the two of you (and a therapist you invite) see it.",
    )


class PatternsForm(PeriodForm):
    """The period of the patterns page: the last 4 weeks, 3 months or 12 months up to today,
    or dates of the viewer's choice."""

    SPANS = {"4w": 28, "3m": 91, "12m": 364}

    span = forms.ChoiceField(
        label="Period",
        choices=[
            ("4w", "4 weeks"),
            ("3m", "3 months"),
            ("12m", "12 months"),
            ("custom", "Dates of your choice"),
        ],
        initial="4w",
        required=False,
    )
    field_order = ["span", "start", "end"]

    def clean_span(self):
        return self.cleaned_data["span"] or "4w"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].required = False
        self.fields["start"].help_text = "Only with dates of your choice."

    def clean_start(self):
        return super().clean_start() if self.cleaned_data.get("start") else None

    def clean_end(self):
        return super().clean_end() if self.cleaned_data.get("end") else None

    def clean(self):
        data = self.cleaned_data
        span = data.get("span")
        if span in self.SPANS:
            # The date fields are not used then, so nothing typed in them is an error.
            for name in ("start", "end"):
                self.errors.pop(name, None)
            data["end"] = timezone.localdate()
            data["start"] = data["end"] - timedelta(days=self.SPANS[span] - 1)
            return data
        if span == "custom":
            for name, words in (("start", "the first day"), ("end", "the last day")):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, f"Choose {words} of the period.")
        return super().clean()

    def period(self, tz) -> Period:
        return Period(first=self.cleaned_data["start"], last=self.cleaned_data["end"], tz=tz)
