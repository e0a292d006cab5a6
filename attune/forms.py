from datetime import date, timedelta

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils import timezone

from attune.delivery import push_enabled
from attune.models import User
from attune.timezones import timezone_names, validate_timezone


class AttuneFormRenderer(TemplatesSetting):
    """Every form field renders through templates/forms/field.html."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"


class SignupForm(forms.Form):
    """The fields Attune adds to allauth's sign-up form (e-mail and password come from it)."""

    display_name = forms.CharField(
        label="Your name",
        max_length=60,
        help_text="How your partner will see you, e.g. your first name.",
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    time_zone = forms.ChoiceField(
        label="Your time zone",
        choices=[(name, name.replace("_", " ")) for name in timezone_names()],
        initial="UTC",
        validators=[validate_timezone],
        help_text="Reminders and your timeline use it. We suggest the one your device uses.",
        widget=forms.Select(attrs={"data-detect-timezone": "true"}),
    )

    field_order = ["display_name", "email", "password1", "password2", "time_zone"]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Tell us what to call you.")
        return name

    def signup(self, request, user) -> None:
        """allauth calls this after creating the user; the adapter has set our fields."""


class InviteEmailForm(forms.Form):
    email = forms.EmailField(
        label="Your partner's e-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Invitation code",
        max_length=20,
        help_text="8 letters and digits, like ABCD-EF23. Spaces and dashes don't matter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[(name, name.replace("_", " ")) for name in timezone_names()],
        validators=[validate_timezone],
        help_text="Times on your timeline and your reminders follow it.",
    )

    class Meta:
        model = User
        fields = [
            "display_name",
            "time_zone",
            "quiet_hours_start",
            "quiet_hours_end",
            "email_notifications",
            "discreet_email",
            "push_partner_checkins",
        ]
        labels = {
            "display_name": "Your name",
            "quiet_hours_start": "Quiet hours start",
            "quiet_hours_end": "Quiet hours end",
        }
        help_texts = {
            "quiet_hours_start": "Reminders that fall in your quiet hours wait until they end.",
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not push_enabled() or self.instance.is_therapist:
            del self.fields["push_partner_checkins"]

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Tell us what to call you.")
        return name


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, I understand",
        error_messages={"required": "Tick the box to confirm."},
    )


class UnlinkForm(ConfirmForm):
    NOW, LATER = "now", "later"
    tell = forms.ChoiceField(
        label="Telling your partner",
        choices=[
            (NOW, "Tell them now, with a notice in Attune (and an e-mail if they get them)."),
            (
                LATER,
                "Send nothing. The next time they open Attune they read only: “This shared "
                "timeline has ended.”",
            ),
        ],
        widget=forms.RadioSelect(attrs={"class": "options"}),
        error_messages={"required": "Choose whether your partner is told now."},
    )
    field_order = ["tell", "confirm"]


class TherapistProfileForm(forms.Form):
    professional_name = forms.CharField(
        label="Professional name", max_length=120, help_text="As couples will see it."
    )
    practice = forms.CharField(label="Practice", max_length=160)
    licence_number = forms.CharField(
        label="Licence number (optional)", max_length=60, required=False
    )
    jurisdiction = forms.CharField(label="Jurisdiction (optional)", max_length=80, required=False)


class TherapistInviteForm(forms.Form):
    email = forms.EmailField(
        label="Your therapist's e-mail address (optional)",
        required=False,
        help_text="We send them the code. Or leave it empty and give them the code yourself.",
    )
    duration_days = forms.TypedChoiceField(
        label="For how long?",
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days")],
        coerce=int,
        initial=90,
        widget=forms.RadioSelect(attrs={"class": "chips"}),
    )


# A period is read in whole days of the viewer's zone; dates outside these bounds are typing
# slips (year 0001 would not even convert to UTC), and a longer span only repeats weeks.
PERIOD_EARLIEST = date(2000, 1, 1)
PERIOD_LONGEST = timedelta(days=2 * 366)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start < PERIOD_EARLIEST:
            raise forms.ValidationError("Choose a date from the year 2000 on.")
        return start

    def clean_end(self):
        end = self.cleaned_data["end"]
        if end > timezone.localdate() + timedelta(days=366):
            raise forms.ValidationError("Choose a date within the next year.")
        return end

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The period must start before it ends.")
        if start and end and end - start > PERIOD_LONGEST:
            raise forms.ValidationError("Choose a period of at most two years.")
        return data
