"""Reads for a therapist's pages: a couple's summary over a period. Check-ins are read
through `checkins_visible_to`, so a therapist sees what the one rule lets them see; the
access itself comes from the scoped `therapist_access_for`."""

import statistics
from collections import Counter
from datetime import datetime

from attune.models import Membership, TherapistAccess, User
from checkins.models import Flag, Revisit, RevisitRating
from checkins.selectors import checkins_visible_to, flags_recent


def couple_partners(*, access: TherapistAccess) -> list[User] | None:
    """The couple's two partners, in the order they linked, or None once one has left."""
    members = [m.user for m in access.couple.memberships.select_related("user").order_by("seat")]
    return members if len(members) == 2 else None


def couple_flags_recent(*, access: TherapistAccess, partners: list[User] | None) -> list[Flag]:
    """The couple's recent flags, as the partners' own timeline shades them."""
    if not partners:
        return []
    return [f for f in flags_recent(viewer=partners[0]) if f.couple_id == access.couple_id]


def couple_summary(
    *, viewer: User, access: TherapistAccess, start: datetime, end: datetime
) -> dict:
    """A period's summary of the couple of `access` (found through `therapist_access_for`,
    so live and the viewer's): check-ins per partner, flags per week by pattern, median time
    from flag to both regulated, revisits agreed, kept and missed, and the partners' "how
    did it go" answers, each revisit's together and without names."""
    couple_id = access.couple_id
    checkins = checkins_visible_to(viewer=viewer).filter(
        couple_id=couple_id, occurred_at__gte=start, occurred_at__lt=end
    )
    names = {
        m.user_id: m.user.display_name
        for m in Membership.objects.filter(couple_id=couple_id).select_related("user")
    }
    per_partner = Counter(checkins.values_list("author_id", flat=True))
    flags = list(Flag.objects.filter(couple_id=couple_id, opened_at__gte=start, opened_at__lt=end))
    weeks: dict[str, Counter] = {}
    for flag in flags:
        year, week, _ = flag.opened_at.isocalendar()
        weeks.setdefault(f"{year}-W{week:02d}", Counter())[flag.pattern] += 1
    durations = [f.time_to_regulated.total_seconds() / 60 for f in flags if f.resolved_at]
    revisits = Revisit.objects.filter(
        couple_id=couple_id, scheduled_for__gte=start, scheduled_for__lt=end
    )
    statuses = Counter(revisits.values_list("status", flat=True))
    # Each revisit's answers together and without names (see README, "What a therapist
    # sees"): the spread between the two is there, who gave which is not.
    ratings: dict[int, tuple] = {}
    for revisit_id, when, rating in (
        RevisitRating.objects.filter(revisit__in=revisits)
        .order_by("revisit__scheduled_for", "revisit_id", "rating")
        .values_list("revisit_id", "revisit__scheduled_for", "rating")
    ):
        ratings.setdefault(revisit_id, (when, []))[1].append(rating)
    return {
        "checkins_per_partner": [
            (names.get(pk, "Former partner"), n) for pk, n in per_partner.items()
        ],
        "flags_per_week": [
            (week, [counts[value] for value, _label in Flag.Pattern.choices])
            for week, counts in sorted(weeks.items())
        ],
        "patterns": Flag.Pattern.choices,
        "median_minutes_to_regulated": round(statistics.median(durations)) if durations else None,
        "revisits_agreed": statuses["agreed"] + statuses["done"] + statuses["missed"],
        "revisits_kept": statuses["done"],
        "revisits_missed": statuses["missed"],
        "ratings": list(ratings.values()),
    }
