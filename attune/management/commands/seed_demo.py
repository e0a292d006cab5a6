"""Create the demo couple and therapist (idempotent: run it as often as you like)."""

import random
import zoneinfo
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from attune.models import TherapistAccess, TherapistProfile, User
from attune.selectors import couple_for_user
from attune.services import couple_link, therapist_consent, therapist_invite, therapist_join
from checkins.models import (
    BODY_CUES,
    STRESSORS,
    CheckIn,
    Flag,
    Need,
    NoteVisibility,
    Revisit,
    RevisitRating,
    State,
)
from checkins.services import checkin_record

# Enough weeks for the patterns page's three months to have something to show.
DEMO_WEEKS = 12
DEMO_NOTES = [
    "Long day. Would love a quiet evening together.",
    "Meeting ran over, still buzzing from it.",
    "Kids finally asleep.",
    "I need a walk before we talk.",
    "Slept badly, everything feels loud.",
]

DEMO_PASSWORD = "attune-demo-2026"  # noqa: S105 - documented demo credentials, local only

DEMO_USERS = [
    {"email": "alex@demo.attune", "display_name": "Alex", "time_zone": "Europe/Berlin"},
    {"email": "sam@demo.attune", "display_name": "Sam", "time_zone": "Europe/Berlin"},
    {
        "email": "rivera@demo.attune",
        "display_name": "Dr. Rivera",
        "time_zone": "Europe/London",
        "kind": User.Kind.THERAPIST,
    },
]


class Command(BaseCommand):
    help = "Create a linked demo couple (Alex and Sam) and a therapist. Safe to run repeatedly."

    def handle(self, *args, **options) -> None:
        call_command("load_articles", stdout=self.stdout)
        with transaction.atomic():
            users = [self._user(**spec) for spec in DEMO_USERS]
            alex, sam, therapist = users
            if couple_for_user(user=alex) is None and couple_for_user(user=sam) is None:
                couple_link(first=alex, second=sam)
            if not CheckIn.objects.filter(author__in=[alex, sam]).exists():
                self._checkins(alex, sam)
            self._therapist(alex, sam, therapist)
        emails = ", ".join(spec["email"] for spec in DEMO_USERS)
        self.stdout.write(f"Demo accounts (password for each: {DEMO_PASSWORD}): {emails}")

    def _therapist(self, alex: User, sam: User, therapist: User) -> None:
        """Dr. Rivera's profile, and 90 days of access that both partners consented to."""
        TherapistProfile.objects.get_or_create(
            user=therapist,
            defaults={"professional_name": "Dr. Rivera", "practice": "Rivera Couples Practice"},
        )
        if TherapistAccess.objects.filter(therapist=therapist).exists():
            return
        _access, code = therapist_invite(partner=alex, duration_days=90)
        access = therapist_join(therapist=therapist, code=code)
        therapist_consent(partner=alex, access=access)
        therapist_consent(partner=sam, access=access)

    def _checkins(self, alex: User, sam: User) -> None:
        """A few weeks of plausible check-ins: mostly calm days, some hard evenings in which
        one reaches out while the other needs space. Seeded, so every run looks the same."""
        rng = random.Random(2026)  # noqa: S311 - demo data, not security
        tz = zoneinfo.ZoneInfo(alex.time_zone)
        now = timezone.now()
        today = now.astimezone(tz).date()
        moments, hard_days = [], []
        for days_ago in range(DEMO_WEEKS * 7, -1, -1):
            day = today - timedelta(days=days_ago)
            # Busy weeks (every third) have more hard evenings, as demanding seasons do.
            busy = (days_ago // 7) % 3 == 0
            hard_evening = rng.random() < (0.45 if busy else 0.15)
            if hard_evening:
                hard_days.append(day)
            for hour in (8, 13, 19):
                for person in (alex, sam):
                    if rng.random() < 0.25:
                        continue
                    at = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=tz)
                    at += timedelta(minutes=rng.randrange(40) if person is sam else 0)
                    if at >= now:
                        continue
                    if hard_evening and hour == 19:
                        state, need = (
                            (State.ACTIVATED, Need.CONNECT)
                            if person is alex
                            else (State.SHUTDOWN, Need.SPACE)
                        )
                        intensity = rng.randint(3, 5)
                    else:
                        state = rng.choices(list(State), weights=[6, 2, 1])[0]
                        need = rng.choice(list(Need))
                        intensity = rng.randint(1, 3)
                    moments.append((at, person, state, need, intensity))
        for at, person, state, need, intensity in sorted(moments, key=lambda m: m[0]):
            note = rng.choice(DEMO_NOTES) if rng.random() < 0.3 else ""
            checkin_record(
                author=person,
                data={
                    "state": state,
                    "intensity": intensity,
                    "need": need,
                    "body_cues": rng.sample(list(BODY_CUES), k=rng.randint(0, 2)),
                    "stressors": self._stressors(rng, hard=state != State.REGULATED),
                    "note": note,
                    "note_visibility": rng.choice(list(NoteVisibility)),
                    "occurred_at": at,
                },
            )

        self._history(rng, alex, sam, hard_days, tz, now)

    @staticmethod
    def _stressors(rng: random.Random, *, hard: bool) -> list[str]:
        tags = rng.sample(list(STRESSORS), k=rng.randint(0, 2))
        if hard and rng.random() < 0.6:
            tags = [rng.choice(["work", "sleep"]), *[t for t in tags if t not in ("work", "sleep")]]
        return tags

    def _history(self, rng, alex, sam, hard_days, tz, now) -> None:
        """What the mismatch service would have made of the hard evenings, had it watched
        them as they happened (it judges check-ins as of now, so backdated ones form no
        flag): a flag each, both regulated again some time later, and revisits, most kept."""
        couple = couple_for_user(user=alex).couple
        for day in hard_days:
            evening = CheckIn.objects.filter(
                couple=couple,
                occurred_at__gte=datetime.combine(day, time(18), tzinfo=tz),
                occurred_at__lt=datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
                state__in=[State.ACTIVATED, State.SHUTDOWN],
            )
            opener = evening.order_by("-occurred_at").first()
            if opener is None or evening.values("author").distinct().count() < 2:
                continue
            opened_at = opener.occurred_at
            resolved_at = opened_at + timedelta(minutes=rng.choice([20, 35, 45, 50, 70, 95, 180]))
            if resolved_at >= now:
                resolved_at = None
            flag = Flag.objects.create(
                couple=couple,
                pattern=Flag.Pattern.PURSUE_WITHDRAW,
                pursuer=alex,
                withdrawer=sam,
                checkin=opener,
                opened_at=opened_at,
                resolved_at=resolved_at,
            )
            if resolved_at is None:
                continue
            for person in (alex, sam):
                CheckIn.objects.create(
                    couple=couple,
                    author=person,
                    state=State.REGULATED,
                    intensity=1,
                    occurred_at=resolved_at,
                    created_at=resolved_at,
                )
            when = datetime.combine(day + timedelta(days=1), time(20, 0), tzinfo=tz)
            if when >= now or rng.random() < 0.3:
                continue
            kept = rng.random() < 0.75
            revisit = Revisit.objects.create(
                couple=couple,
                flag=flag,
                proposed_by=sam,
                scheduled_for=when,
                status=Revisit.Status.DONE if kept else Revisit.Status.MISSED,
                sequence=1 if rng.random() < 0.2 else 0,
                created_at=resolved_at,
                updated_at=when,
            )
            if kept:
                for person in (alex, sam):
                    RevisitRating.objects.create(
                        revisit=revisit, user=person, rating=rng.randint(3, 5), created_at=when
                    )

    def _user(self, *, email: str, display_name: str, time_zone: str, **extra) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                display_name=display_name,
                time_zone=time_zone,
                **extra,
            )
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
