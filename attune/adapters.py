from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from attune.models import Invitation, User
from attune.services import invitation_accept

# Where the invitation page keeps an e-mailed token while the invitee signs up.
PENDING_INVITATION = "attune_pending_invitation"


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

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """An invitee who signed up through an invitation link arrives linked once their
        address is verified."""
        confirmed = super().confirm_email(request, email_address)
        token = request.session.pop(PENDING_INVITATION, None)
        if confirmed and token:
            try:
                invitation_accept(
                    user=email_address.user, raw=token, channel=Invitation.Channel.EMAIL
                )
            except ValidationError as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, "You are linked with your partner. Welcome.")
        return confirmed
