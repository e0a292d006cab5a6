from datetime import timedelta

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from attune.delivery import envelope_for
from attune.models import User
from attune.services import device_signed_in

# Where the invitation page keeps an e-mailed token while a signed-out invitee signs up.
PENDING_INVITATION = "attune_pending_invitation"
# Long enough to sign up and open the confirmation e-mail, short enough that a token left
# in a shared browser does not wait for the next person.
PENDING_LIFETIME = timedelta(hours=1)

# allauth says this both for too many wrong passwords and for too many sign-in codes asked
# for one address: either way its owner still has a way in.
TOO_MANY_PASSWORDS = (
    "Too many tries for this address. If it is yours, you can still get in: a sign-in code "
    "goes only to your inbox (“Send me a sign-in code” on the sign-in page; if you just asked "
    "for one, check your inbox), and a passkey works at any time. Or wait a few minutes."
)


def invitation_keep(request: HttpRequest, token: str) -> None:
    """Keep an invitation's token for the sign-up that follows in this browser. It belongs
    to nobody yet: only the account created in that sign-up claims it (`save_user`)."""
    kept = request.session.get(PENDING_INVITATION)
    if invitation_kept_for(request, kept.get("user") if isinstance(kept, dict) else None):
        return  # claimed by a sign-up in progress: another link does not replace it
    until = (timezone.now() + PENDING_LIFETIME).timestamp()
    request.session[PENDING_INVITATION] = {"token": token, "until": until, "user": None}


def invitation_kept_for(request: HttpRequest, user_id: int | None) -> str | None:
    """The kept token, if the account `user_id` claimed it at sign-up and it has not
    expired."""
    kept = request.session.get(PENDING_INVITATION)
    if user_id is None or not isinstance(kept, dict) or kept.get("user") != user_id:
        return None
    if kept.get("until", 0) < timezone.now().timestamp():
        return None
    return kept.get("token")


def invitation_drop(request: HttpRequest) -> None:
    request.session.pop(PENDING_INVITATION, None)


class AccountAdapter(DefaultAccountAdapter):
    """Attune's account rules on top of allauth's flows."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": TOO_MANY_PASSWORDS,
    }

    def save_user(self, request: HttpRequest, user: User, form, commit: bool = True) -> User:
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        user.display_name = form.cleaned_data["display_name"].strip()
        user.time_zone = form.cleaned_data["time_zone"]
        if commit:
            user.save()
            kept = request.session.get(PENDING_INVITATION)
            if isinstance(kept, dict) and kept.get("user") is None:
                # The account made in this sign-up, and no other, may take the invitation.
                request.session[PENDING_INVITATION] = {**kept, "user": user.pk}
        return user

    def login(self, request: HttpRequest, user: User) -> None:
        """A token someone else left in this browser is dropped at every other login, and a
        sign-in on a kind of device the account has not used is told to its owner."""
        kept_for_user = invitation_kept_for(request, user.pk)
        super().login(request, user)
        if kept_for_user is None:
            invitation_drop(request)
        device_signed_in(user=user, user_agent=self.get_http_user_agent(request))

    # What a sign-in lands on (the timeline, with its check-in) is all the news it needs; a
    # line above it would push the check-in off a phone's first screen, and it would show
    # the e-mail address to anyone looking at the screen.
    QUIET_TEMPLATES = frozenset({"account/messages/logged_in.txt"})

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        if message_template in self.QUIET_TEMPLATES:
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's e-mails to someone who asked for discreet ones come from "Reminders"
        with a subject that names nothing."""
        message = super().render_mail(template_prefix, email, context, headers)
        address = email if isinstance(email, str) else email[0]
        user = User.objects.filter(email__iexact=address).first()
        subject, sender = envelope_for(user, message.subject)
        message.subject = subject
        if sender is not None:
            message.from_email = sender
        return message

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        """After a sign-up through an invitation, once the address is confirmed: back to
        that invitation, which says who invites them and links only when they accept. The
        token now travels in that address alone; the session lets it go."""
        kept = request.session.get(PENDING_INVITATION)
        user_id = kept.get("user") if isinstance(kept, dict) else None
        token = invitation_kept_for(request, user_id)
        if token:
            invitation_drop(request)
            return reverse("invitation", args=[token])
        return super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """The new account made through an invitation goes to that invitation's page, which
        says who invites them and links only when they press accept."""
        token = invitation_kept_for(request, request.user.pk)
        if token:
            invitation_drop(request)
            return reverse("invitation", args=[token])
        return super().get_login_redirect_url(request)
