from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from attune.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Attune's account rules on top of allauth's flows."""

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        user.display_name = form.cleaned_data["display_name"].strip()
        user.time_zone = form.cleaned_data["time_zone"]
        if commit:
            user.save()
        return user
