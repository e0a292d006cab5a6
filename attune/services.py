"""Writes for the couple-account domain: linking, unlinking, notifications, your data."""

import base64
import binascii
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from attune.delivery import push_enabled
from attune.devices import device_name
from attune.models import (
    AccessLog,
    Consent,
    ConsentEvent,
    Couple,
    Invitation,
    KnownDevice,
    Membership,
    Notification,
    PushSubscription,
    TherapistAccess,
    TherapistProfile,
    User,
)
from attune.selectors import couple_for_user, memberships_forget
from attune.tasks import notification_email, notification_push
from attune.tokens import new_code, new_link_token, normalize_code, token_hash
from checkins.models import CheckIn, Reminder, Revisit
from checkins.quiet import hold_for_quiet_hours

INVITATION_LIFETIME = timedelta(days=7)


def couple_link(*, first: User, second: User) -> Couple:
    """Link two partners into a new couple; refuse if either is already in one."""
    if first.pk == second.pk:
        raise ValidationError("You cannot link with yourself.", code="self_link")
    if first.is_therapist or second.is_therapist:
        raise ValidationError("Therapist accounts cannot link as partners.", code="therapist")
    try:
        with transaction.atomic():
            couple = Couple.objects.create()
            # Insert in user-id order: two crossing links then wait on the same index entry
            # (and the loser gets a clean IntegrityError) instead of deadlocking.
            seats = sorted([(first, 1), (second, 2)], key=lambda pair: pair[0].pk)
            for user, seat in seats:
                Membership.objects.create(couple=couple, user=user, seat=seat)
    except IntegrityError:
        # The partial unique index on active memberships decides races between requests.
        raise ValidationError(
            "One of you is already linked with a partner.", code="already_linked"
        ) from None
    finally:
        memberships_forget(first, second)
    return couple


def _require_can_link(user: User) -> None:
    if user.is_therapist:
        raise ValidationError("Therapist accounts cannot link as partners.", code="therapist")
    if not EmailAddress.objects.filter(user=user, verified=True).exists():
        raise ValidationError("Verify your e-mail address first.", code="unverified")
    # Asked of the database, not the per-request memo: this guards a write under locks.
    if Membership.objects.filter(user=user, ended_at__isnull=True).exists():
        raise ValidationError("You are already linked with a partner.", code="already_linked")


def invitation_create(
    *, inviter: User, channel: str, email: str = "", accept_url: Callable[[str], str]
) -> tuple[Invitation, str]:
    """Invite a partner by e-mail link or by code. Returns the invitation and its secret,
    which exists only in this return value (and the e-mail): the database keeps a hash."""
    _require_can_link(inviter)
    email = email.strip().lower()
    if channel == Invitation.Channel.EMAIL:
        if not email:
            raise ValidationError({"email": "Enter your partner's e-mail address."})
        if email == inviter.email.lower():
            raise ValidationError({"email": "That is your own address; invite your partner's."})
    raw = new_link_token() if channel == Invitation.Channel.EMAIL else new_code()
    now = timezone.now()
    invitation = Invitation(
        inviter=inviter,
        channel=channel,
        email=email if channel == Invitation.Channel.EMAIL else "",
        token_hash=token_hash(raw),
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    invitation.full_clean(exclude=["inviter"])
    with transaction.atomic():
        invitation.save()
        if channel == Invitation.Channel.EMAIL:
            # The link carries the secret, so it cannot go through the task queue (task
            # arguments are stored in plain JSON) nor be sent again later (only its hash is
            # kept). So it is sent here, and a mail server that refuses it undoes the
            # invitation: nothing half-made, and the inviter is told at once.
            _mail_or_refuse(lambda: _send_invitation(invitation, accept_url(raw)), "email")
    return invitation, raw


def _mail_or_refuse(send: Callable[[], object], field: str) -> None:
    """Send an e-mail that carries a secret, inside the transaction that makes the secret's
    row: if the mail server refuses or cannot be reached, the row is rolled back and the
    person gets a message next to the address, with what to do instead."""
    try:
        send()
    except (smtplib.SMTPException, OSError):
        raise ValidationError(
            {
                field: "The e-mail could not be sent just now, so nothing was saved. Try again "
                "in a few minutes, or use a code instead."
            }
        ) from None


def _send_invitation(invitation: Invitation, url: str) -> None:
    context = {"inviter": invitation.inviter, "url": url, "expires_at": invitation.expires_at}
    send_mail(
        subject=f"{invitation.inviter.display_name} invites you to Attune",
        message=render_to_string("attune/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def invitation_find(*, raw: str, channel: str) -> Invitation:
    """The pending invitation behind a link token or a typed code, or a clear refusal."""
    if channel == Invitation.Channel.CODE:
        code = normalize_code(raw)
        if code is None:
            raise ValidationError(
                "A code has 8 letters and digits, like ABCD-EF23.", code="malformed"
            )
        raw = code
    invitation = (
        Invitation.objects.select_related("inviter")
        .filter(token_hash=token_hash(raw), channel=channel)
        .first()
    )
    if invitation is None:
        message = (
            "That code doesn't match an invitation."
            if channel == Invitation.Channel.CODE
            else "This invitation link is not valid."
        )
    elif invitation.revoked_at is not None:
        message = "This invitation was withdrawn. Ask your partner for a new one."
    elif invitation.accepted_at is not None:
        message = "This invitation has already been used."
    elif invitation.expires_at <= timezone.now():
        message = "This invitation has expired. Ask your partner for a new one."
    else:
        return invitation
    raise ValidationError(message, code="not_pending")


def invitation_accept(*, user: User, raw: str, channel: str) -> Couple:
    """Accept an invitation: the couple forms, the invitation is used up, both are told."""
    with transaction.atomic():
        found = invitation_find(raw=raw, channel=channel)
        if found.inviter_id == user.pk:
            raise ValidationError("This is your own invitation; give it to your partner.")
        # Lock every open invitation of both people, always in id order: two people accepting
        # each other's invitations at once then queue up here instead of deadlocking later.
        locked = Invitation.objects.select_for_update().filter(
            Q(pk=found.pk)
            | Q(
                inviter__in=[found.inviter_id, user.pk],
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
        )
        invitation = next(i for i in locked.order_by("pk") if i.pk == found.pk)
        _require_can_link(user)
        if not invitation.is_pending:
            raise ValidationError("This invitation is no longer open.", code="not_pending")
        couple = couple_link(first=invitation.inviter, second=user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        Invitation.objects.filter(
            inviter__in=[invitation.inviter, user],
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        for person in (invitation.inviter, user):
            notification_create(
                user=person, kind=Notification.Kind.PARTNER_LINKED, url=reverse("checkins:timeline")
            )
    return couple


def invitation_revoke(*, inviter: User, invitation: Invitation) -> None:
    """Withdraw a pending invitation; only its author may."""
    if invitation.inviter_id != inviter.pk:
        raise ValidationError("Only the person who invited can withdraw an invitation.")
    Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


def couple_unlink(
    *, user: User, reason: str = Notification.Kind.PARTNER_UNLINKED, notify: bool = True
) -> None:
    """End the user's couple. From now on each partner sees only their own check-ins. With
    `notify` off the partner gets no notice or e-mail: their timeline says only that it has
    ended, the next time they look."""
    couple_view = couple_for_user(user=user)
    if couple_view is None:
        raise ValidationError("You are not linked with anyone.", code="not_linked")
    now = timezone.now()
    with transaction.atomic():
        Couple.objects.filter(pk=couple_view.couple.pk, ended_at__isnull=True).update(ended_at=now)
        Membership.objects.filter(couple=couple_view.couple, ended_at__isnull=True).update(
            ended_at=now
        )
        # Plans made together end with the couple: no revisit, no reminder after this.
        Revisit.objects.filter(couple=couple_view.couple, status__in=Revisit.OPEN).update(
            status=Revisit.Status.CANCELLED, updated_at=now
        )
        Reminder.objects.filter(revisit__couple=couple_view.couple, sent_at__isnull=True).delete()
        for access in TherapistAccess.objects.filter(
            couple=couple_view.couple, ended_at__isnull=True
        ):
            TherapistAccess.objects.filter(pk=access.pk).update(ended_at=now, end_reason="unlinked")
            ConsentEvent.objects.create(access=access, actor=user, kind=ConsentEvent.Kind.ENDED)
        if notify and couple_view.partner is not None:
            notification_create(user=couple_view.partner, kind=reason, url=reverse("home"))
    memberships_forget(user, *([couple_view.partner] if couple_view.partner else []))


def sharing_pause(*, user: User) -> None:
    """Keep the user's new check-ins to themselves, quietly: the partner is not told, and
    nothing on their pages changes but that no new check-ins of this user arrive."""
    _sharing_set(user, timezone.now())


def sharing_resume(*, user: User) -> None:
    """Share new check-ins again. Those written during the pause stay the user's alone."""
    _sharing_set(user, None)


def _sharing_set(user: User, paused_at) -> None:
    if couple_for_user(user=user) is None:
        raise ValidationError("You are not linked with anyone.", code="not_linked")
    Membership.objects.filter(user=user, ended_at__isnull=True).update(sharing_paused_at=paused_at)
    memberships_forget(user)


def device_signed_in(*, user: User, user_agent: str) -> None:
    """Remember the kind of device a sign-in came from; the first sign-in on a new kind,
    after the account's first, is told to the user in the app and by e-mail."""
    name = device_name(user_agent)
    had_any = KnownDevice.objects.filter(user=user).exists()
    _, created = KnownDevice.objects.get_or_create(user=user, name=name)
    if created and had_any:
        notification_create(
            user=user, kind=Notification.Kind.NEW_DEVICE, url=reverse("usersessions_list")
        )


# What also goes to a phone as a push: the revisit the couple agreed on, from its proposal to
# its reminders. Links, consents and new devices stay with the bell and the e-mail.
PUSH_KINDS = {
    Notification.Kind.REMINDER,
    Notification.Kind.REVISIT_PROPOSED,
    Notification.Kind.REVISIT_AGREED,
    Notification.Kind.REVISIT_DECLINED,
    Notification.Kind.REVISIT_MOVED,
    Notification.Kind.REVISIT_CANCELLED,
}


def quiet_hours_end_for(user: User, when) -> "datetime":
    """`when`, or the end of the user's quiet hours if it falls in them."""
    return hold_for_quiet_hours(
        when,
        tz=ZoneInfo(user.time_zone),
        start=user.quiet_hours_start,
        end=user.quiet_hours_end,
    )


def push_later(task, user: User, *args) -> None:
    """Enqueue a push task after commit, held to the end of the user's quiet hours, like a
    reminder: a phone that buzzes at 2am is not discreet."""
    now = timezone.now()
    held = quiet_hours_end_for(user, now)
    queued = task.using(run_after=held) if held > now else task
    # robust: the row is committed whatever the queue says; a queue that is down (Redis,
    # under RQ) costs the wake-up, which the sweep makes good, never the person's request.
    transaction.on_commit(lambda: queued.enqueue(*args), robust=True)


def notification_create(*, user: User, kind: str, url: str = "") -> Notification:
    """An in-app notification; after commit the worker e-mails it if the user wants that,
    and pushes it to their devices if it is a kind that goes to a phone."""
    notification = Notification.objects.create(user=user, kind=kind, url=url)
    if user.email_notifications:
        transaction.on_commit(lambda: notification_email.enqueue(notification.pk), robust=True)
    if kind in PUSH_KINDS and push_enabled() and user.push_subscriptions.exists():
        push_later(notification_push, user, notification.pk)
    return notification


def _b64url_length(value: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, binascii.Error):
        return -1


def push_subscription_save(*, user: User, info: dict, user_agent: str) -> PushSubscription:
    """Keep (or refresh) one device's opt-in. An endpoint is one browser on one device; if
    another account had it (a shared phone, signed in as someone else), it is theirs no
    longer, so one person's reminders never reach the next person to sign in there."""
    keys = info.get("keys") if isinstance(info.get("keys"), dict) else {}
    subscription = PushSubscription(
        user=user,
        endpoint=str(info.get("endpoint", "")),
        p256dh=str(keys.get("p256dh", "")),
        auth=str(keys.get("auth", "")),
        device=device_name(user_agent),
    )
    subscription.clean_fields()
    errors = {}
    if not subscription.endpoint.startswith("https://") and not settings.PUSH_ALLOW_HTTP:
        errors["endpoint"] = "A push address must start with https://."
    if _b64url_length(subscription.p256dh) != 65:
        errors["p256dh"] = "This browser sent a key Attune can't use."
    if _b64url_length(subscription.auth) != 16:
        errors["auth"] = "This browser sent a key Attune can't use."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        PushSubscription.objects.filter(endpoint=subscription.endpoint).delete()
        subscription.save()
    return subscription


def push_subscription_remove(*, user: User, pk: int | None = None, endpoint: str = "") -> int:
    """Forget one of the user's own devices, by id (the settings list) or by endpoint (the
    device itself turning push off). Another user's device is never touched."""
    mine = PushSubscription.objects.filter(user=user)
    if pk is not None:
        mine = mine.filter(pk=pk)
    elif endpoint:
        mine = mine.filter(endpoint=endpoint)
    else:
        return 0
    return mine.delete()[0]


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def profile_update(*, user: User, data: dict) -> User:
    """Save the settings form's cleaned data on the user."""
    for field, value in data.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password", "email"])
    user.save(update_fields=list(data))
    return user


def account_delete(*, user: User) -> None:
    """Delete the user and everything they wrote. A linked partner keeps their own entries
    and is told, in neutral words, that the account is closed."""
    with transaction.atomic():
        if couple_for_user(user=user) is not None:
            couple_unlink(user=user, reason=Notification.Kind.PARTNER_DELETED)
        user.delete()


# --- Therapist access ---------------------------------------------------------------------


def therapist_become(*, user: User, data: dict) -> TherapistProfile:
    """Turn a fresh account into a therapist account: never one with a partner or check-ins,
    so a partner cannot become their own couple's therapist."""
    if user.is_therapist:
        raise ValidationError("You already have a therapist account.")
    if (
        Membership.objects.filter(user=user).exists()
        or CheckIn.objects.filter(author=user).exists()
    ):
        raise ValidationError(
            "A partner account can't become a therapist account; sign up again with another "
            "address for your practice."
        )
    with transaction.atomic():
        profile = TherapistProfile(user=user, **data)
        profile.full_clean(exclude=["user"])
        profile.save()
        user.kind = User.Kind.THERAPIST
        user.save(update_fields=["kind"])
    return profile


def therapist_invite(
    *, partner: User, duration_days: int, email: str = "", join_url: str = ""
) -> tuple[TherapistAccess, str]:
    """A partner invites a therapist with a code (sent by e-mail when an address is given).
    Inviting is not consenting: nobody can consent before they can see who joined with the
    code. Returns the access and the code, which only this return value and that e-mail
    ever hold."""
    couple_view = couple_for_user(user=partner)
    if couple_view is None:
        raise ValidationError("Link with your partner first.")
    if duration_days not in TherapistAccess.Duration.values:
        raise ValidationError("Choose 30, 90 or 180 days.")
    code = new_code()
    with transaction.atomic():
        access = TherapistAccess.objects.create(
            couple=couple_view.couple,
            token_hash=token_hash(f"therapist:{code}"),
            duration_days=duration_days,
            created_by=partner,
        )
        ConsentEvent.objects.create(access=access, actor=partner, kind=ConsentEvent.Kind.INVITED)
        if couple_view.partner is not None:
            notification_create(
                user=couple_view.partner,
                kind=Notification.Kind.THERAPIST_INVITED,
                url=reverse("therapist_access"),
            )
        if email:
            context = {"code": code, "url": join_url, "days": duration_days}
            # The code is the secret, as with a partner's invitation: sent here or not made.
            _mail_or_refuse(
                lambda: send_mail(
                    subject="A couple invites you to Attune",
                    message=render_to_string("attune/email/therapist_invitation.txt", context),
                    from_email=None,
                    recipient_list=[email],
                ),
                "email",
            )
    return access, code


def _partners_of(access: TherapistAccess) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            couple=access.couple, ended_at__isnull=True
        ).select_related("user")
    ]


def _notify_partners(access: TherapistAccess, kind: str) -> None:
    for person in _partners_of(access):
        notification_create(user=person, kind=kind, url=reverse("therapist_access"))


def _consent(access: TherapistAccess, partner: User) -> None:
    """`partner` consents to the therapist who holds `access` now, by name."""
    Consent.objects.update_or_create(
        access=access,
        partner=partner,
        defaults={"therapist_id": access.therapist_id, "given_at": timezone.now()},
    )
    ConsentEvent.objects.create(access=access, actor=partner, kind=ConsentEvent.Kind.CONSENTED)
    _maybe_start(access)


def _maybe_start(access: TherapistAccess) -> None:
    """Access starts when both current partners consent to the therapist who joined."""
    if access.started_at or access.ended_at or access.therapist_id is None:
        return
    partners = {p.pk for p in _partners_of(access)}
    consenting = set(
        access.consents.filter(therapist_id=access.therapist_id).values_list(
            "partner_id", flat=True
        )
    )
    if len(partners) == 2 and partners <= consenting:
        now = timezone.now()
        access.started_at = now
        access.expires_at = now + timedelta(days=access.duration_days)
        access.save(update_fields=["started_at", "expires_at"])
        ConsentEvent.objects.create(access=access, kind=ConsentEvent.Kind.STARTED)
        _notify_partners(access, Notification.Kind.THERAPIST_STARTED)


def therapist_consent(*, partner: User, access: TherapistAccess) -> TherapistAccess:
    """A partner's consent to the named therapist who joined (or to a renewal's)."""
    with transaction.atomic():
        access = TherapistAccess.objects.select_for_update().get(pk=access.pk)
        if access.ended_at is not None:
            raise ValidationError("This access has ended.")
        if access.started_at is not None:
            raise ValidationError("This access has started already; nothing more is needed.")
        if access.therapist_id is None:
            raise ValidationError(
                "Nobody has entered the code yet. You can consent once you can see who it is."
            )
        if access.consents.filter(partner=partner, therapist_id=access.therapist_id).exists():
            raise ValidationError("You have already consented to this therapist.")
        _consent(access, partner)
    return access


def therapist_join(*, therapist: User, code: str) -> TherapistAccess:
    """A therapist enters the code a couple gave them. Nothing starts: each partner is told,
    sees who joined, and consents to that person."""
    if not therapist.is_therapist:
        raise ValidationError("Only therapist accounts can join a couple as their therapist.")
    normal = normalize_code(code)
    if normal is None:
        raise ValidationError("A code has 8 letters and digits, like ABCD-EF23.")
    with transaction.atomic():
        access = (
            TherapistAccess.objects.select_for_update()
            .filter(token_hash=token_hash(f"therapist:{normal}"))
            .first()
        )
        if access is None or access.therapist_id is not None or access.ended_at is not None:
            raise ValidationError("That code doesn't match an open invitation.")
        if access.created_at < timezone.now() - INVITATION_LIFETIME:
            raise ValidationError("This code has expired. Ask the couple for a new one.")
        access.therapist = therapist
        access.token_hash = None  # single use
        access.save(update_fields=["therapist", "token_hash"])
        ConsentEvent.objects.create(access=access, actor=therapist, kind=ConsentEvent.Kind.JOINED)
        _notify_partners(access, Notification.Kind.THERAPIST_JOINED)
    return access


def therapist_revoke(*, partner: User, access: TherapistAccess) -> None:
    """Either partner ends the access at once."""
    with transaction.atomic():
        updated = TherapistAccess.objects.filter(pk=access.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="revoked"
        )
        if updated:
            ConsentEvent.objects.create(
                access=access, actor=partner, kind=ConsentEvent.Kind.REVOKED
            )


def therapist_renew(*, partner: User, access: TherapistAccess) -> TherapistAccess:
    """Ask for the same therapist again: a new access that needs both consents again."""
    if access.therapist_id is None:
        raise ValidationError("The therapist never joined; invite them again instead.")
    with transaction.atomic():
        if access.ended_at is None:
            TherapistAccess.objects.filter(pk=access.pk).update(
                ended_at=timezone.now(), end_reason="renewed"
            )
        renewed = TherapistAccess.objects.create(
            couple=access.couple,
            therapist=access.therapist,
            duration_days=access.duration_days,
            created_by=partner,
        )
        ConsentEvent.objects.create(access=renewed, actor=partner, kind=ConsentEvent.Kind.RENEWED)
        _consent(renewed, partner)
        for person in _partners_of(renewed):
            if person.pk != partner.pk:
                notification_create(
                    user=person,
                    kind=Notification.Kind.THERAPIST_CONSENT,
                    url=reverse("therapist_access"),
                )
    return renewed


def therapist_access_expire(*, now=None) -> int:
    """Record the expiry of accesses past their end (their liveness already stopped)."""
    moment = now or timezone.now()
    expired = list(TherapistAccess.objects.filter(ended_at__isnull=True, expires_at__lte=moment))
    for access in expired:
        TherapistAccess.objects.filter(pk=access.pk).update(
            ended_at=access.expires_at, end_reason="expired"
        )
        ConsentEvent.objects.create(access=access, kind=ConsentEvent.Kind.EXPIRED, at=moment)
    return len(expired)


def access_log_write(
    *, therapist: User, access: TherapistAccess | None = None, what: str, accesses=()
) -> None:
    """Log a therapist's view of `access`'s couple, or of each of `accesses`' couples."""
    name = (
        getattr(getattr(therapist, "therapist_profile", None), "professional_name", "")
        or therapist.display_name
    )
    AccessLog.objects.bulk_create(
        AccessLog(therapist=therapist, therapist_name=name, couple_id=a.couple_id, what=what)
        for a in ([access] if access is not None else accesses)
    )
