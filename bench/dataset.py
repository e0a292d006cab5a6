"""A realistic, reproducible dataset for the benchmarks, written fast into PostgreSQL.

Benchmarks on one couple with a tidy history flatter the database: every index fits in a
few pages and every plan looks good. This dataset has the shape a live Attune would have
after a while, so the timeline, the poll, the therapist dashboard and the reminder sweep
are measured against tables where the couple asking is a small slice of the whole:

- 2,000 couples (4,000 partners) in a few time zones, and 40 therapists, each with live,
  consented access to 50 couples, made as if through the real invitation flow.
- 20 "heavy" couples with two years of history (5,000 check-ins per partner, about 10,000
  per couple) and 1,980 ordinary couples with the last three weeks (2-5 check-ins per
  partner per day). Check-ins fall mostly in waking hours of the partner's time zone and
  their ids follow time across all couples, as a live system hands them out.
- Mismatch flags made by replaying every couple's check-ins through the same rule as
  `checkins.services._detect` (and the same classifier), so open flags, resolutions and
  pursuer/withdrawer are what the app itself would have written.
- Revisits for some flags (done, missed, cancelled; one agreed and still ahead when a flag
  is fresh), their ratings and reminders, one-tap answers, and the in-app notifications all
  of that produces.

A partner's state is sticky: each check-in keeps the previous state with some probability
and otherwise draws afresh from the state weights. That keeps the weights as the long-run
mix but makes moods last, as they do, so a couple sees a few flags a week rather than one
after every other check-in.

Speed: the big tables are written with COPY (explicit ids, sequences reset afterwards), the
small ones with bulk_create; passwords are unusable rather than hashed.
"""

import json
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from attune.models import (
    Consent,
    ConsentEvent,
    Couple,
    Membership,
    Notification,
    TherapistAccess,
    TherapistProfile,
    User,
)
from checkins.mismatch import Reading, classify
from checkins.models import BODY_CUES, STRESSORS, Answer, Need, State

COUPLES = 2_000
HEAVY_COUPLES = 20
HEAVY_DAYS = 730
HEAVY_PER_PARTNER = 5_000
RECENT_DAYS = 21
RECENT_PER_DAY = (2, 5)
COUPLES_PER_THERAPIST = 50
BATCH = 5_000

NAMES = [
    "Alex", "Sam", "Jordan", "Taylor", "Casey", "Riley", "Morgan", "Jamie", "Avery", "Quinn",
    "Rowan", "Charlie", "Robin", "Sasha", "Noor", "Kai", "Ari", "Eden", "Remy", "Emery",
    "Jules", "Dana", "Kim", "Lee", "Yuki", "Amani", "Nikita", "Rene", "Shiloh", "Devon",
    "Sky", "Reese", "Adrian", "Hayden", "Parker", "Elliot", "Marlowe", "Tenzin", "Ola", "Mika",
]  # fmt: skip
ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
]
NOTES = [
    "Long day, tired.",
    "Feeling okay after the walk.",
    "Work deadline is on my mind.",
    "Slept badly.",
    "Good talk this morning.",
    "Kids were a lot today.",
    "Need a quiet evening.",
    "Worried about money again.",
    "That comment stung a bit.",
    "Calmer after a shower.",
    "Missing you today.",
    "Headache since lunch.",
    "Proud of how we handled it.",
    "Just need a hug.",
    "Going for a run to clear my head.",
]
THERAPIST_SURNAMES = [
    "Rivera", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Haddad", "Novak", "Byrne",
    "Costa", "Iyer", "Keller", "Mensah", "Park", "Quinlan", "Sato", "Varga",
]  # fmt: skip

STATES = [State.REGULATED.value, State.ACTIVATED.value, State.SHUTDOWN.value]
STATE_WEIGHTS = [0.55, 0.28, 0.17]
# Probability that a partner's next check-in keeps the state of their previous one.
STATE_STICKINESS = 0.5
NEEDS = {
    State.ACTIVATED.value: ([Need.CONNECT.value, Need.NONE.value, Need.SPACE.value], [60, 25, 15]),
    State.SHUTDOWN.value: ([Need.SPACE.value, Need.NONE.value], [55, 45]),
    State.REGULATED.value: ([Need.NONE.value, Need.CONNECT.value, Need.SPACE.value], [70, 20, 10]),
}
INTENSITIES = {
    State.REGULATED.value: ([1, 2, 3], [45, 40, 15]),
    State.ACTIVATED.value: ([2, 3, 4, 5], [15, 35, 30, 20]),
    State.SHUTDOWN.value: ([2, 3, 4, 5], [20, 35, 30, 15]),
}
CUE_KEYS = list(BODY_CUES)
STRESSOR_KEYS = list(STRESSORS)
ANSWER_KINDS = [choice.value for choice in Answer.Kind]
DAY = 86_400.0

# Per couple index: (couple id, seat-1 user id, seat-2 user id).
Partners = list[tuple[int, int, int]]


@dataclass(slots=True)
class Row:
    """One check-in while the dataset is built; `at` is a POSIX timestamp."""

    at: float
    couple: int  # index 0..COUPLES-1
    seat: int  # 0 or 1
    id: int = 0
    state: str = ""
    need: str = ""


@dataclass(slots=True)
class FlagRow:
    id: int
    couple: int
    pattern: str
    pursuer: int | None  # user id
    withdrawer: int | None
    checkin: int
    opened_at: float
    notify: int  # the partner who did not post the triggering check-in
    resolved_at: float | None = None


@dataclass(slots=True)
class RevisitRow:
    id: int
    couple_id: int
    flag_id: int
    proposed_by: int
    other: int  # the partner who is asked
    scheduled_for: float
    status: str
    uid: uuid.UUID
    created_at: float
    updated_at: float


@dataclass
class Built:
    """Everything generated in Python before it is written."""

    flags: list[FlagRow] = field(default_factory=list)
    revisits: list[RevisitRow] = field(default_factory=list)
    # (revisit id, user id, due_at, sent_at or None)
    reminders: list[tuple[int, int, float, float | None]] = field(default_factory=list)
    # (revisit id, user id, rating, created_at)
    ratings: list[tuple[int, int, int, float]] = field(default_factory=list)
    # (user id, kind, url, created_at)
    notifications: list[tuple[int, str, str, float]] = field(default_factory=list)


class _LocalHour:
    """The local hour of a POSIX time in a zone, with the UTC offset cached per UTC day (an
    hour off on DST-change days is fine for placing check-ins in waking hours)."""

    def __init__(self) -> None:
        self._offsets: dict[tuple[str, int], float] = {}

    def __call__(self, zone: str, at: float) -> int:
        key = (zone, int(at // DAY))
        offset = self._offsets.get(key)
        if offset is None:
            moment = datetime.fromtimestamp(key[1] * DAY + DAY / 2, tz=UTC)
            offset = moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()
            self._offsets[key] = offset
        return int(((at + offset) % DAY) // 3600)


def build_dataset(*, now: datetime, seed: int = 2026) -> dict:
    """Write the benchmark dataset into the default database (PostgreSQL, migrated, empty)
    and return how many of each thing it holds. Nothing is dated after `now` except the
    agreed revisits still ahead and their unsent reminders."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now_ts = now.timestamp()
    with transaction.atomic():
        partners, zones = _partners(rng, now)
        therapists = _therapists(rng, now, partners)
        rows = _checkin_times(rng, now_ts, zones)
        _checkin_attributes(rng, rows)
        built = _replay(rng, rows, partners, now_ts)
        answers = _answers(rng, rows, partners, now_ts)
        _notifications(built)
        _write(rng, rows, answers, built, partners, now_ts)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "users": len(partners) * 2 + therapists,
        "couples": len(partners),
        "therapists": therapists,
        "checkins": len(rows),
        "answers": len(answers),
        "flags": len(built.flags),
        "revisits": len(built.revisits),
        "reminders": len(built.reminders),
        "notifications": len(built.notifications),
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- People ---------------------------------------------------------------------------------


def _partners(rng: random.Random, now: datetime) -> tuple[Partners, list[tuple[str, str]]]:
    """Users, couples and memberships: the ids of each couple and its partners, and the
    partners' time zones."""
    users, zones, linked = [], [], []
    for i in range(COUPLES):
        heavy = i < HEAVY_COUPLES
        since = now - timedelta(days=HEAVY_DAYS + 10 if heavy else rng.uniform(40, 400))
        zone = rng.choice(ZONES)
        # Now and then a long-distance couple.
        pair_zones = (zone, rng.choice(ZONES) if rng.random() < 0.05 else zone)
        zones.append(pair_zones)
        linked.append(since)
        for seat in range(2):
            users.append(
                User(
                    email=f"p{2 * i + seat}@bench.attune",
                    password="!",  # unusable; hashing 4,000 passwords would take minutes
                    display_name=rng.choice(NAMES),
                    time_zone=pair_zones[seat],
                    date_joined=since - timedelta(hours=rng.uniform(1, 48)),
                    last_login=now - timedelta(hours=rng.uniform(0, 72)),
                )
            )
    User.objects.bulk_create(users, batch_size=BATCH)
    _verified_addresses(users)
    couples = Couple.objects.bulk_create(
        [Couple(created_at=since) for since in linked], batch_size=BATCH
    )
    Membership.objects.bulk_create(
        [
            Membership(couple=couple, user=users[2 * i + seat], seat=seat + 1, joined_at=linked[i])
            for i, couple in enumerate(couples)
            for seat in range(2)
        ],
        batch_size=BATCH,
    )
    partners = [(c.pk, users[2 * i].pk, users[2 * i + 1].pk) for i, c in enumerate(couples)]
    return partners, zones


def _verified_addresses(users: Sequence[User]) -> None:
    # Sign-up verifies the address; linking and some pages ask for it.
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
        batch_size=BATCH,
    )


def _therapists(rng: random.Random, now: datetime, partners: Partners) -> int:
    """Therapists with live access to their couples, as invite -> consent x2 -> join ->
    start would have left it 30 days ago."""
    count = COUPLES // COUPLES_PER_THERAPIST
    therapists = [
        User(
            email=f"t{j}@bench.attune",
            password="!",
            display_name=f"Dr. {THERAPIST_SURNAMES[j % len(THERAPIST_SURNAMES)]}",
            kind=User.Kind.THERAPIST,
            time_zone=rng.choice(ZONES),
            date_joined=now - timedelta(days=rng.uniform(60, 500)),
            last_login=now - timedelta(hours=rng.uniform(0, 48)),
        )
        for j in range(count)
    ]
    User.objects.bulk_create(therapists)
    _verified_addresses(therapists)
    TherapistProfile.objects.bulk_create(
        [
            TherapistProfile(
                user=t,
                professional_name=f"{t.display_name}, LMFT",
                practice=f"{THERAPIST_SURNAMES[j % len(THERAPIST_SURNAMES)]} Couples Counselling",
                licence_number=f"LMFT-{100_000 + j * 37}",
                jurisdiction=rng.choice(["California", "New York", "England", "Berlin", "NSW"]),
            )
            for j, t in enumerate(therapists)
        ]
    )
    started = now - timedelta(days=30)
    invited = started - timedelta(days=2)
    accesses = TherapistAccess.objects.bulk_create(
        [
            TherapistAccess(
                couple_id=couple_id,
                therapist=therapists[i // COUPLES_PER_THERAPIST],
                duration_days=TherapistAccess.Duration.QUARTER,
                created_by_id=first,
                created_at=invited,
                started_at=started,
                expires_at=started + timedelta(days=90),
            )
            for i, (couple_id, first, _second) in enumerate(partners)
        ],
        batch_size=BATCH,
    )
    consents, events = [], []
    for access, (_couple, first, second) in zip(accesses, partners, strict=True):
        second_consent = invited + timedelta(hours=rng.uniform(1, 40))
        consents += [
            Consent(access=access, partner_id=first, given_at=invited),
            Consent(access=access, partner_id=second, given_at=second_consent),
        ]
        events += [
            ConsentEvent(access=access, actor_id=first, kind="invited", at=invited),
            ConsentEvent(access=access, actor_id=first, kind="consented", at=invited),
            ConsentEvent(access=access, actor_id=second, kind="consented", at=second_consent),
            ConsentEvent(access=access, actor_id=access.therapist_id, kind="joined", at=started),
            ConsentEvent(access=access, actor=None, kind="started", at=started),
        ]
    Consent.objects.bulk_create(consents, batch_size=BATCH)
    ConsentEvent.objects.bulk_create(events, batch_size=BATCH)
    return count


# --- Check-ins ------------------------------------------------------------------------------


def _checkin_times(rng: random.Random, now_ts: float, zones: list[tuple[str, str]]) -> list[Row]:
    """When each partner checks in, sorted by time across all couples, with ids in that
    order. Mostly waking hours: a time between midnight and 7 local is kept 15% of the time."""
    local_hour = _LocalHour()

    def draw(zone: str, start: float, span: float) -> float:
        for _ in range(100):
            at = start + rng.random() * span
            if local_hour(zone, at) >= 7 or rng.random() < 0.15:
                return at
        return at

    rows = []
    for couple in range(COUPLES):
        for seat in range(2):
            zone = zones[couple][seat]
            if couple < HEAVY_COUPLES:
                start, span = now_ts - HEAVY_DAYS * DAY, HEAVY_DAYS * DAY
                rows += [
                    Row(draw(zone, start, span), couple, seat) for _ in range(HEAVY_PER_PARTNER)
                ]
                continue
            for day in range(RECENT_DAYS):
                start = now_ts - (day + 1) * DAY
                rows += [
                    Row(draw(zone, start, DAY), couple, seat)
                    for _ in range(rng.randint(*RECENT_PER_DAY))
                ]
    rows.sort(key=lambda row: row.at)
    for number, row in enumerate(rows, start=1):
        row.id = number
    return rows


def _checkin_attributes(rng: random.Random, rows: list[Row]) -> None:
    """State (sticky per partner) and need given the state; these decide the flags."""
    last: dict[tuple[int, int], str] = {}
    for row in rows:
        key = (row.couple, row.seat)
        state = last.get(key)
        if state is None or rng.random() >= STATE_STICKINESS:
            state = rng.choices(STATES, STATE_WEIGHTS)[0]
        last[key] = state
        row.state = state
        needs, weights = NEEDS[state]
        row.need = rng.choices(needs, weights)[0]


def _checkin_extras(rng: random.Random, state: str) -> tuple[int, str, str, str, str]:
    """Intensity, note, visibility, body cues and stressors (JSON text) of one check-in."""
    values, weights = INTENSITIES[state]
    intensity = rng.choices(values, weights)[0]
    note, visibility = "", "only_me"
    if rng.random() < 1 / 3:
        note = rng.choice(NOTES)
        visibility = rng.choice(("only_me", "shared"))
    cues = stressors = "[]"
    if rng.random() < 0.25:
        cues = json.dumps(rng.sample(CUE_KEYS, rng.randint(1, 2)))
        stressors = json.dumps(rng.sample(STRESSOR_KEYS, rng.randint(1, 2)))
    return intensity, note, visibility, cues, stressors


# --- Flags, revisits, reminders -------------------------------------------------------------


def _replay(rng: random.Random, rows: list[Row], partners: Partners, now_ts: float) -> Built:
    """Post every check-in in id order and do what `_detect` does at that moment: each
    partner's current check-in is their latest no older than CHECKIN_CURRENT_HOURS; both
    regulated resolves every open flag; otherwise the classifier's pattern opens a flag
    unless one of that pattern is already open."""
    window = settings.CHECKIN_CURRENT_HOURS * 3600
    latest: dict[tuple[int, int], Row] = {}
    open_flags: dict[int, dict[str, FlagRow]] = {}
    built = Built()
    for row in rows:
        latest[(row.couple, row.seat)] = row
        mine = row  # ids follow time, so the poster's latest is the one being posted
        theirs = latest.get((row.couple, 1 - row.seat))
        if theirs is None or theirs.at < row.at - window:
            continue
        flags = open_flags.setdefault(row.couple, {})
        if mine.state == theirs.state == State.REGULATED:
            for flag in flags.values():
                flag.resolved_at = row.at
            flags.clear()
            continue
        mismatch = classify(Reading(mine.state, mine.need), Reading(theirs.state, theirs.need))
        if mismatch is None or mismatch.pattern.value in flags:
            continue
        people = (partners[row.couple][1 + mine.seat], partners[row.couple][1 + theirs.seat])
        flag = FlagRow(
            id=len(built.flags) + 1,
            couple=row.couple,
            pattern=mismatch.pattern.value,
            pursuer=None if mismatch.pursuer is None else people[mismatch.pursuer],
            withdrawer=None if mismatch.withdrawer is None else people[mismatch.withdrawer],
            checkin=row.id,
            opened_at=row.at,
            notify=people[1],
        )
        flags[flag.pattern] = flag
        built.flags.append(flag)
    _revisits(rng, built, partners, now_ts)
    return built


def _revisits(rng: random.Random, built: Built, partners: Partners, now_ts: float) -> None:
    """A revisit for about 40% of flags, 30 minutes after the flag. A couple has one open
    revisit at a time, so a flag gets none while the couple's previous one is still ahead;
    only a revisit still ahead is open (agreed)."""
    busy_until: dict[int, float] = {}
    for flag in built.flags:
        created = flag.opened_at + 120
        scheduled = flag.opened_at + 1800
        if rng.random() >= 0.4 or created > now_ts or busy_until.get(flag.couple, 0) > created:
            continue
        busy_until[flag.couple] = scheduled
        couple_id, first, second = partners[flag.couple]
        proposer, other = (first, second) if rng.random() < 0.5 else (second, first)
        if scheduled > now_ts:
            status, updated = "agreed", created + rng.uniform(30, 90)
        else:
            status = rng.choices(("done", "missed", "cancelled"), (60, 20, 20))[0]
            if status == "done":
                updated = scheduled + rng.uniform(1200, 5400)
            elif status == "missed":
                updated = scheduled + DAY  # the sweep marks it missed a day later
            else:
                updated = created + rng.uniform(60, 1500)
        revisit = RevisitRow(
            id=len(built.revisits) + 1,
            couple_id=couple_id,
            flag_id=flag.id,
            proposed_by=proposer,
            other=other,
            scheduled_for=scheduled,
            status=status,
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            created_at=created,
            updated_at=min(updated, now_ts),
        )
        built.revisits.append(revisit)
        # Cancelling deletes unsent reminders; the others' were sent at the time, or wait.
        if status != "cancelled":
            sent = None if status == "agreed" else scheduled
            built.reminders += [(revisit.id, user, scheduled, sent) for user in (first, second)]
        if status == "done":
            for user in rng.sample((first, second), rng.randint(0, 2)):
                rated = min(scheduled + rng.uniform(1800, 7200), now_ts)
                built.ratings.append((revisit.id, user, rng.randint(2, 5), rated))


def _answers(
    rng: random.Random, rows: list[Row], partners: Partners, now_ts: float
) -> list[tuple[int, int, str, float, int]]:
    """A one-tap answer from the partner to about one check-in in five, a few minutes later.
    Returns (checkin id, couple id, kind, created_at, author id), sorted by time."""
    answers = []
    for row in rows:
        if rng.random() < 0.2:
            couple_id, *people = partners[row.couple]
            partner = people[1 - row.seat]
            at = min(row.at + rng.uniform(60, 900), now_ts)
            answers.append((row.id, couple_id, rng.choice(ANSWER_KINDS), at, partner))
    answers.sort(key=lambda answer: answer[3])
    return answers


def _notifications(built: Built) -> None:
    """(user id, kind, url, created_at) for each flag, proposal and sent reminder."""
    flag_url = _url_pattern("checkins:flag")
    revisit_url = _url_pattern("checkins:revisit")
    notes = [
        (f.notify, Notification.Kind.FLAG.value, flag_url.format(f.id), f.opened_at)
        for f in built.flags
    ]
    notes += [
        (r.other, Notification.Kind.REVISIT_PROPOSED.value, revisit_url.format(r.id), r.created_at)
        for r in built.revisits
    ]
    notes += [
        (user, Notification.Kind.REMINDER.value, revisit_url.format(revisit), sent)
        for revisit, user, _due, sent in built.reminders
        if sent is not None
    ]
    notes.sort(key=lambda note: note[3])
    built.notifications = notes


def _url_pattern(name: str) -> str:
    marker = 987654321
    return reverse(name, args=[marker]).replace(str(marker), "{}")


# --- Writing --------------------------------------------------------------------------------


def _ts(at: float | None) -> datetime | None:
    return None if at is None else datetime.fromtimestamp(at, tz=UTC)


def _copy(table: str, columns: str, rows: Iterable[Sequence]) -> None:
    """COPY rows (ids included) into a table, then move its id sequence past them."""
    with connection.cursor() as cursor:
        names = ", ".join(columns.split())
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )


def _write(
    rng: random.Random,
    rows: list[Row],
    answers: list[tuple[int, int, str, float, int]],
    built: Built,
    partners: Partners,
    now_ts: float,
) -> None:
    def checkins() -> Iterable[tuple]:
        for row in rows:
            at = _ts(row.at)
            couple_id, *people = partners[row.couple]
            extras = _checkin_extras(rng, row.state)
            yield (row.id, couple_id, people[row.seat], row.state, row.need, *extras, at, at)

    _copy(
        "checkins_checkin",
        "id couple_id author_id state need intensity note note_visibility body_cues stressors "
        "occurred_at created_at",
        checkins(),
    )
    _copy(
        "checkins_answer",
        "id checkin_id couple_id kind created_at author_id",
        (
            (pk, checkin, couple, kind, _ts(at), author)
            for pk, (checkin, couple, kind, at, author) in enumerate(answers, start=1)
        ),
    )
    _copy(
        "checkins_flag",
        "id couple_id pattern pursuer_id withdrawer_id checkin_id opened_at resolved_at",
        (
            (
                f.id,
                partners[f.couple][0],
                f.pattern,
                f.pursuer,
                f.withdrawer,
                f.checkin,
                _ts(f.opened_at),
                _ts(f.resolved_at),
            )
            for f in built.flags
        ),
    )
    _copy(
        "checkins_revisit",
        "id couple_id flag_id proposed_by_id scheduled_for status uid created_at updated_at "
        "message sequence",
        (
            (
                r.id,
                r.couple_id,
                r.flag_id,
                r.proposed_by,
                _ts(r.scheduled_for),
                r.status,
                r.uid,
                _ts(r.created_at),
                _ts(r.updated_at),
                "",
                0,
            )
            for r in built.revisits
        ),
    )
    _copy(
        "checkins_reminder",
        "id revisit_id user_id kind sequence due_at sent_at held_for_quiet_hours",
        (
            (pk, revisit, user, "revisit", 0, _ts(due), _ts(sent), False)
            for pk, (revisit, user, due, sent) in enumerate(built.reminders, start=1)
        ),
    )
    _copy(
        "checkins_revisitrating",
        "id revisit_id user_id rating created_at",
        (
            (pk, revisit, user, rating, _ts(at))
            for pk, (revisit, user, rating, at) in enumerate(built.ratings, start=1)
        ),
    )
    read_before = now_ts - 3 * DAY  # older notifications were read an hour after they came
    _copy(
        "attune_notification",
        "id user_id kind url created_at read_at emailed_at",
        (
            (pk, user, kind, url, _ts(at), _ts(at + 3600) if at < read_before else None, _ts(at))
            for pk, (user, kind, url, at) in enumerate(built.notifications, start=1)
        ),
    )
