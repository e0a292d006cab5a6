import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from attune.models import Couple


class State(models.TextChoices):
    REGULATED = "regulated", "Regulated"
    ACTIVATED = "activated", "Activated"
    SHUTDOWN = "shutdown", "Shut down"


# Plain words shown beside each state so a new user knows which to pick.
STATE_DESCRIPTIONS = {
    State.REGULATED: "Calm and open. You could listen to something hard.",
    State.ACTIVATED: "Fight or flight: urgent, anxious, louder, pushing for an answer or "
    "for reassurance.",
    State.SHUTDOWN: "Quiet, heavy, overwhelmed, lost for words, needing distance. It can look "
    "calm from the outside without feeling calm inside.",
}

# The same in a few words, for the check-in's state buttons, where a phone's first screen
# has room for little more than the state itself; the full words are one tap away.
STATE_HINTS = {
    State.REGULATED: "Calm, open, able to listen",
    State.ACTIVATED: "Fight or flight: urgent, keyed up",
    State.SHUTDOWN: "Quiet, heavy, wordless",
}


def state_meanings() -> list[dict]:
    """Each state with its label and full description, in the order they are offered."""
    return [
        {"value": state.value, "label": state.label, "description": STATE_DESCRIPTIONS[state]}
        for state in State
    ]


class Need(models.TextChoices):
    CONNECT = "connect", "Connection"
    SPACE = "space", "Space"
    NONE = "none", "Nothing right now"


class NoteVisibility(models.TextChoices):
    ONLY_ME = "only_me", "Only me"
    SHARED = "shared", "Shared with my partner"


BODY_CUES = {
    "racing_heart": "Racing heart",
    "tight_chest": "Tight chest",
    "shallow_breath": "Shallow breathing",
    "clenched_jaw": "Clenched jaw",
    "hot_face": "Hot face",
    "restless": "Restless",
    "stomach_knot": "Knot in the stomach",
    "heavy_limbs": "Heavy limbs",
    "numb": "Numb",
    "tearful": "Tearful",
}

STRESSORS = {
    "sleep": "Sleep",
    "work": "Work",
    "parenting": "Parenting",
    "caregiving": "Caregiving",
    "money": "Money",
    "health": "Health",
    "family": "Family",
    "home": "Home and chores",
    "us": "Us",
}


class CheckIn(models.Model):
    """How one partner's body is at one moment, posted to the couple's shared timeline."""

    # Indexed below together with the id, which serves the poll's "anything newer?" too.
    couple = models.ForeignKey(
        Couple, on_delete=models.CASCADE, related_name="checkins", db_index=False
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    state = models.CharField(max_length=10, choices=State.choices)
    intensity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    need = models.CharField(max_length=8, choices=Need.choices, default=Need.NONE)
    body_cues = models.JSONField(default=list, blank=True)
    stressors = models.JSONField(default=list, blank=True)
    note = models.TextField(max_length=1000, blank=True)
    note_visibility = models.CharField(
        max_length=8, choices=NoteVisibility.choices, default=NoteVisibility.ONLY_ME
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    # Written while its author had paused sharing: only its author ever sees it, and it
    # takes no part in mismatch detection, also after sharing is turned back on.
    withheld = models.BooleanField(default=False, db_default=False)
    # The form's own id for this check-in, made when the form was shown: a double tap, or
    # a retry after a connection dropped mid-request, sends it again and saves nothing new.
    client_key = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=State.values), name="checkin_state_valid"
            ),
            models.UniqueConstraint(
                fields=["author", "client_key"], name="checkin_client_key_once"
            ),
            models.CheckConstraint(
                condition=models.Q(intensity__gte=1, intensity__lte=5),
                name="checkin_intensity_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(need__in=Need.values), name="checkin_need_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(note_visibility__in=NoteVisibility.values),
                name="checkin_note_visibility_valid",
            ),
        ]
        indexes = [
            # Timeline pages walk a couple's entries newest first by (occurred_at, id).
            models.Index(fields=["couple", "-occurred_at", "-id"], name="checkin_couple_timeline"),
            # "Current" check-in of one partner; an unlinked user's own history.
            models.Index(fields=["author", "-occurred_at", "-id"], name="checkin_author_recent"),
            # The poll: has the couple a check-in newer than the page's cursor?
            models.Index(fields=["couple", "id"], name="checkin_couple_news"),
        ]

    def __str__(self) -> str:
        return f"{self.author} {self.state} {self.intensity} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def state_description(self) -> str:
        return STATE_DESCRIPTIONS[State(self.state)]

    @property
    def intensity_dots(self) -> str:
        return "●" * self.intensity + "○" * (5 - self.intensity)

    @property
    def body_cue_labels(self) -> list[str]:
        return [BODY_CUES[c] for c in self.body_cues if c in BODY_CUES]

    @property
    def stressor_labels(self) -> list[str]:
        return [STRESSORS[s] for s in self.stressors if s in STRESSORS]


class Answer(models.Model):
    """A partner's one-tap reply to a check-in: co-regulation without a conversation."""

    class Kind(models.TextChoices):
        SEE_YOU = "see_you", "I see you"
        TAKE_YOUR_TIME = "take_your_time", "Take your time"
        HERE_WHEN_READY = "here_when_ready", "I'm here when you're ready"

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="answers")
    # The answered check-in's couple, kept here too (answer_give sets it), so the poll finds
    # a couple's new answers on one index instead of joining all of its check-ins.
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="+", db_index=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkin_answers"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["couple", "id"], name="answer_couple_news")]
        constraints = [
            models.UniqueConstraint(fields=["checkin", "author"], name="answer_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["see_you", "take_your_time", "here_when_ready"]),
                name="answer_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.get_kind_display()}"


class Flag(models.Model):
    """A stuck pattern the couple is in right now. It stays open until both partners are
    regulated again; how long that took is kept for the therapist summary."""

    class Pattern(models.TextChoices):
        PURSUE_WITHDRAW = "pursue_withdraw", "Pursue and withdraw"
        MUTUAL_ESCALATION = "mutual_escalation", "Both activated"
        MUTUAL_WITHDRAWAL = "mutual_withdrawal", "Both shut down"

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="flags")
    pattern = models.CharField(max_length=20, choices=Pattern.choices)
    pursuer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open flag per couple and pattern, also when both post in the same instant.
            models.UniqueConstraint(
                fields=["couple", "pattern"],
                condition=models.Q(resolved_at__isnull=True),
                name="flag_one_open_per_pattern",
            ),
        ]
        indexes = [models.Index(fields=["couple", "-opened_at"], name="flag_couple_recent")]

    def __str__(self) -> str:
        return f"{self.get_pattern_display()} in {self.couple}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def time_to_regulated(self):
        return self.resolved_at - self.opened_at if self.resolved_at else None


class Revisit(models.Model):
    """A time to come back to the conversation once both are calm."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        AGREED = "agreed", "Agreed"
        DONE = "done", "Done"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.PROPOSED, Status.AGREED)

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="revisits")
    flag = models.ForeignKey(
        Flag, null=True, blank=True, on_delete=models.SET_NULL, related_name="revisits"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_for = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    message = models.CharField(max_length=200, blank=True)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Bumped on every change of time, so calendars replace the event and stale reminders
    # (made for an earlier time) know they are stale.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["couple"],
                condition=models.Q(status__in=["proposed", "agreed"]),
                name="revisit_one_open_per_couple",
            ),
        ]

    def __str__(self) -> str:
        return f"Revisit {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Reminder(models.Model):
    """One partner's reminder of one revisit time. This row, not the task queue, is the
    truth: a reminder is due, then sent exactly once (sent_at), or stale (its sequence is
    older than the revisit's) and never sent."""

    class Kind(models.TextChoices):
        NUDGE = "nudge", "Ten minutes before"
        REVISIT = "revisit", "At the time"

    revisit = models.ForeignKey(Revisit, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    sequence = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    held_for_quiet_hours = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["revisit", "user", "kind", "sequence"], name="reminder_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(sent_at__isnull=True), name="reminder_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.user} at {self.due_at:%Y-%m-%d %H:%M}"


class RevisitRating(models.Model):
    """One partner's answer to "how did it go?" after a revisit (1-5, optional)."""

    revisit = models.ForeignKey(Revisit, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="revisit_ratings"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["revisit", "user"], name="rating_once_per_person"),
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.rating}/5"
