import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from attune.models import PushSubscription, TherapistProfile
from attune.services import couple_link, therapist_consent, therapist_invite, therapist_join
from checkins.models import Flag, Revisit
from tests.factories import CheckInFactory, TherapistFactory, UserFactory
from tests.push.service import vapid_pair

PUSH_KEYS = vapid_pair()

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "node_modules"
AXE = ASSETS / "axe-core" / "axe.min.js"
VNU = ASSETS / "vnu-jar" / "build" / "dist" / "vnu.jar"


def need(path: Path) -> None:
    """The gates' tools come from tests/assets (make test installs them with npm)."""
    if path.exists() and (path != VNU or shutil.which("java")):
        return
    message = f"{path} missing: run make test (npm ci in tests/assets) and install Java"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def cast(db, settings):
    """A linked couple mid-mismatch with a proposed revisit, a therapist with consent, an
    unlinked newcomer, and the shipped articles; push is on, and Alex's phone gets it."""
    call_command("load_articles", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = PUSH_KEYS
    alex = UserFactory(display_name="Alex", email="alex@example.com")
    PushSubscription.objects.create(
        user=alex,
        endpoint="https://push.example/alex-phone",
        p256dh="BAAA",
        auth="AAAA",
        device="Chrome Mobile on Android (Pixel 8)",
    )
    sam = UserFactory(display_name="Sam", email="sam@example.com")
    couple = couple_link(first=alex, second=sam)
    for i in range(6):
        CheckInFactory(
            author=alex if i % 2 else sam,
            state=("regulated", "activated", "shutdown")[i % 3],
            need=("none", "connect", "space")[i % 3],
            occurred_at=timezone.now() - timedelta(hours=5 * i),
            note="a shared note" if i % 2 else "",
            note_visibility="shared",
        )
    flag = Flag.objects.create(
        couple=couple, pattern="pursue_withdraw", pursuer=alex, withdrawer=sam
    )
    revisit = Revisit.objects.create(
        couple=couple,
        flag=flag,
        proposed_by=alex,
        scheduled_for=timezone.now() + timedelta(hours=1),
    )
    therapist = TherapistFactory(display_name="Rivera")
    TherapistProfile.objects.create(user=therapist, professional_name="Dr. Rivera", practice="P")
    _access, code = therapist_invite(partner=alex, duration_days=90)
    access = therapist_join(therapist=therapist, code=code)
    therapist_consent(partner=alex, access=access)
    access = therapist_consent(partner=sam, access=access)
    return {
        "alex": alex,
        "sam": sam,
        "therapist": therapist,
        "newcomer": UserFactory(),
        "flag": flag,
        "revisit": revisit,
        "access": access,
    }


def main_pages(cast) -> list[tuple[str, str | None, str, dict | None]]:
    """(name, who, url, POST data or None) for every main page of the product."""
    return [
        ("home", None, "/", None),
        ("sign-up", None, "/accounts/signup/", None),
        ("login", None, "/accounts/login/", None),
        ("timeline, empty", "newcomer", "/timeline/", None),
        ("timeline, full", "alex", "/timeline/", None),
        ("patterns", "alex", "/timeline/patterns/?span=3m", None),
        ("patterns, dates missing", "alex", "/timeline/patterns/?span=custom&end=1999-01-01", None),
        ("patterns, unlinked", "newcomer", "/timeline/patterns/", None),
        ("check-in with errors", "alex", "/timeline/checkins/", {"state": "", "intensity": "9"}),
        ("mismatch pause", "sam", f"/timeline/flags/{cast['flag'].pk}/", None),
        ("revisit form", "alex", "/timeline/revisits/new/", None),
        ("revisit", "sam", f"/timeline/revisits/{cast['revisit'].pk}/", None),
        ("notifications", "sam", "/notifications/", None),
        ("settings", "alex", "/settings/", None),
        ("sharing", "alex", "/settings/sharing/", None),
        ("signed-in devices", "alex", "/accounts/sessions/", None),
        ("safety", None, "/safety/", None),
        ("offline", None, "/offline/", None),
        ("partner", "newcomer", "/partner/", None),
        ("therapist access", "alex", "/partner/therapist/", None),
        ("article index", None, "/articles/", None),
        ("article", None, "/articles/nervous-system-mismatch/", None),
        ("search", None, "/articles/search/?q=break", None),
        ("therapist dashboard", "therapist", "/therapist/", None),
        ("therapist timeline", "therapist", f"/therapist/couples/{cast['access'].pk}/", None),
        (
            "therapist summary",
            "therapist",
            f"/therapist/couples/{cast['access'].pk}/summary/",
            None,
        ),
    ]
