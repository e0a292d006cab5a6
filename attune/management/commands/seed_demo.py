"""Create the demo couple and therapist (idempotent: run it as often as you like)."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction

from attune.models import User
from attune.selectors import couple_for_user
from attune.services import couple_link

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
        with transaction.atomic():
            users = [self._user(**spec) for spec in DEMO_USERS]
            alex, sam, _therapist = users
            if couple_for_user(user=alex) is None and couple_for_user(user=sam) is None:
                couple_link(first=alex, second=sam)
        emails = ", ".join(spec["email"] for spec in DEMO_USERS)
        self.stdout.write(f"Demo accounts (password for each: {DEMO_PASSWORD}): {emails}")

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
