from django import forms
from django.forms.renderers import TemplatesSetting

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
