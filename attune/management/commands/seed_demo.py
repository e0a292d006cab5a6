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
from checkins.models import BODY_CUES, STRESSORS, CheckIn, Need, NoteVisibility, State
from checkins.services import checkin_record

DEMO_WEEKS = 3
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
        moments = []
        for days_ago in range(DEMO_WEEKS * 7, -1, -1):
            day = today - timedelta(days=days_ago)
            hard_evening = rng.random() < 0.3
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
                    "stressors": rng.sample(list(STRESSORS), k=rng.randint(0, 2)),
                    "note": note,
                    "note_visibility": rng.choice(list(NoteVisibility)),
                    "occurred_at": at,
                },
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
