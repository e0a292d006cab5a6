import datetime as dt

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from attune.timezones import validate_timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An Attune account: a partner or a therapist, who signs in with their e-mail address."""

    class Kind(models.TextChoices):
        PARTNER = "partner", "Partner"
        THERAPIST = "therapist", "Therapist"

    email = models.EmailField("e-mail address", unique=True)
    display_name = models.CharField(
        max_length=60, help_text="How your partner sees you in Attune, e.g. your first name."
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PARTNER)
    # Reminders wait until the end of quiet hours (in the user's own time zone).
    quiet_hours_start = models.TimeField(default=dt.time(22, 0))
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    email_notifications = models.BooleanField(
        "e-mail me when something needs me",
        default=True,
        help_text="E-mails only say that Attune has news and link to it; never what it is.",
    )
    discreet_email = models.BooleanField(
        "keep the name Attune out of my e-mails",
        default=False,
        db_default=False,
        help_text='For a shared inbox or a screen others can see: e-mails come from "Reminders" '
        'with the subject "A reminder" and say only that there is something to see.',
    )
    push_partner_checkins = models.BooleanField(
        "also tell me when my partner checks in",
        default=False,
        db_default=False,
        help_text="A push to the devices you turned on here, saying only that there is news.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        constraints = [
            # Addresses differ in case only by accident; one person, one account.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return self.display_name

    @property
    def is_therapist(self) -> bool:
        return self.kind == self.Kind.THERAPIST


class Couple(models.Model):
    """Two partners linked in Attune. Ended couples are kept; each member then sees only
    their own entries."""

    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Couple {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Membership(models.Model):
    """A user's place in a couple. The database keeps a couple at two seats and a user in at
    most one active couple, so two crossing invitations accepted at once cannot both win."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    seat = models.PositiveSmallIntegerField()
    joined_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Set while this partner keeps their new check-ins to themselves (see
    # checkins.selectors). Only they ever see it; the partner is never told.
    sharing_paused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seat__in=(1, 2)), name="membership_two_seats"
            ),
            models.UniqueConstraint(fields=["couple", "seat"], name="membership_seat_unique"),
            models.UniqueConstraint(fields=["couple", "user"], name="membership_once_per_couple"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(ended_at__isnull=True),
                name="membership_one_active_couple",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.couple}"


class Invitation(models.Model):
    """A partner's invitation to link, by e-mail link or by a short code read aloud.
    Only a keyed hash of the token is stored; it works once and expires."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail link"
        CODE = "code", "Code"

    inviter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations_sent")
    channel = models.CharField(max_length=5, choices=Channel.choices)
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation by {self.inviter} ({self.channel})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class Notification(models.Model):
    """Something a user should know. Its text comes from its kind and never carries a
    state or a note, so it is safe in an e-mail or on a lock screen."""

    class Kind(models.TextChoices):
        PARTNER_LINKED = "partner_linked", "You and your partner are now linked in Attune."
        PARTNER_UNLINKED = "partner_unlinked", "Your partner ended the link in Attune."
        PARTNER_DELETED = "partner_deleted", "Your former partner closed their Attune account."
        FLAG = "flag", "Attune noticed a moment when a pause could help."
        REVISIT_PROPOSED = "revisit_proposed", "Your partner proposed a time to come back together."
        REVISIT_AGREED = "revisit_agreed", "Your time to come back together is agreed."
        REVISIT_DECLINED = "revisit_declined", "Your partner would like another time."
        REVISIT_MOVED = "revisit_moved", "The time to come back together has moved."
        REVISIT_CANCELLED = (
            "revisit_cancelled",
            "A planned time to come back together was cancelled.",
        )
        REMINDER = "reminder", "Attune has a reminder for you."
        THERAPIST_CONSENT = (
            "therapist_consent",
            "Your partner invited a therapist. Your consent is needed.",
        )
        THERAPIST_INVITED = (
            "therapist_invited",
            "Your partner invited a therapist. You will be asked to consent once they join.",
        )
        THERAPIST_JOINED = (
            "therapist_joined",
            "A therapist entered your couple's code. See who it is before you consent.",
        )
        THERAPIST_STARTED = (
            "therapist_started",
            "You have both consented: your therapist's access has started.",
        )
        NEW_DEVICE = (
            "new_device",
            "Someone signed in to your account on a device it had not used before. If it "
            "was not you, sign that device out and change your password.",
        )

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_user_recent",
            ),
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_user_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"

    @property
    def text(self) -> str:
        return self.get_kind_display()


class TherapistProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="therapist_profile")
    professional_name = models.CharField(max_length=120)
    practice = models.CharField(max_length=160)
    licence_number = models.CharField(max_length=60, blank=True)
    jurisdiction = models.CharField(max_length=80, blank=True)

    def __str__(self) -> str:
        return self.professional_name


class TherapistAccess(models.Model):
    """A couple's grant of read access to one therapist. Live only while the therapist has
    joined, both partners consent, and it has neither ended nor expired."""

    class Duration(models.IntegerChoices):
        MONTH = 30, "30 days"
        QUARTER = 90, "90 days"
        HALF_YEAR = 180, "180 days"

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="therapist_access")
    therapist = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="client_access"
    )
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    duration_days = models.PositiveSmallIntegerField(
        choices=Duration.choices, default=Duration.QUARTER
    )
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.therapist or 'invited therapist'} for {self.couple}"

    @property
    def is_live(self) -> bool:
        return (
            self.ended_at is None
            and self.started_at is not None
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )


class Consent(models.Model):
    """One partner's consent to one named therapist (who had joined when it was given):
    access starts only when both partners consent to the therapist who holds it."""

    access = models.ForeignKey(TherapistAccess, on_delete=models.CASCADE, related_name="consents")
    partner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    # Empty for a consent given before anyone had joined (before this rule): it counts for
    # nobody.
    therapist = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["access", "partner"], name="consent_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} consents ({self.given_at:%Y-%m-%d})"


class ConsentEvent(models.Model):
    """Every invitation, consent, join, revocation, expiry and renewal: who and when."""

    class Kind(models.TextChoices):
        INVITED = "invited", "invited a therapist"
        CONSENTED = "consented", "consented"
        JOINED = "joined", "joined"
        STARTED = "started", "access started"
        REVOKED = "revoked", "revoked access"
        EXPIRED = "expired", "access expired"
        ENDED = "ended", "access ended with the couple's link"
        RENEWED = "renewed", "asked to renew"

    access = models.ForeignKey(TherapistAccess, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.actor or 'Attune'} {self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"


class AccessLog(models.Model):
    """A therapist's view of a couple's data. Written on every view; never edited."""

    therapist = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    therapist_name = models.CharField(max_length=120)
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="access_log")
    what = models.CharField(max_length=40)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["couple", "-at"], name="accesslog_couple_recent")]

    def __str__(self) -> str:
        return f"{self.therapist_name} viewed {self.what} ({self.at:%Y-%m-%d %H:%M})"


class KnownDevice(models.Model):
    """A kind of device the user has signed in on ("Chrome on Android"), so a sign-in on a
    new one can be told to them: a partner who learns the password shows up here."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_devices")
    name = models.CharField(max_length=120)
    first_signed_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="known_device_once_per_user")
        ]

    def __str__(self) -> str:
        return self.name


class PushSubscription(models.Model):
    """One browser on one device that agreed to receive Attune's pushes: the push service's
    address for it and the keys its payloads are encrypted to. Its owner sees and removes
    them on the settings page; nobody else sees that they exist."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=60)
    device = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.device}"

    def subscription_info(self) -> dict:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
