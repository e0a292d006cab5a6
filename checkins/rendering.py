"""Timeline entries as HTML, kept per process once rendered.

An entry never changes once written; what it looks like to one viewer depends only on what
`mark_for_viewer` put in `entry.fragment_key` (its answers, names, the viewer's zone, what
the viewer may do with it), on whether it is swapped out of band, on an answer error, and on
the CSRF secret its forms carry. Under all of that together, the rendered entry is kept in
the `template_fragments` cache, and a page looks up all of its entries at once.

Rendering an entry with the template takes several times as long as taking it from the
cache; a `{% cache %}` tag per entry spent most of that saving again on resolving its five
keys and hashing them (see bench/).
"""

import hashlib

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.context import make_context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.safestring import mark_safe

from checkins.models import CheckIn, Need, NoteVisibility

ENTRY_TEMPLATE = "checkins/timeline.html#entry"
KEEP_SECONDS = 86400


def entry_view(entry: CheckIn) -> dict:
    """What the entry template shows, as plain values: the template reads a dict in one
    step where a model attribute costs it a failed lookup first, and the URLs are built
    here rather than by a tag (an entry that misses the cache went from 1.17M to 1.04M
    instructions, see README's Benchmarks). Its times are in the zone being rendered in,
    the viewer's, which is part of the entry's key; formatted here, only for an entry that
    missed the cache (three date filters per entry were a fifth of a page's rendering)."""
    local = entry.occurred_at.astimezone(timezone.get_current_timezone())
    local_time = local.strftime("%H:%M")
    return {
        "pk": entry.pk,
        "state": entry.state,
        "state_label": entry.get_state_display(),
        "intensity": entry.intensity,
        "dots": entry.intensity_dots,
        "need": entry.get_need_display().lower() if entry.need != Need.NONE else "",
        "description": entry.state_description,
        "cues": entry.body_cue_labels,
        "stressors": entry.stressor_labels,
        # shown_note is already blank for anyone but its author unless it is shared.
        "note": entry.shown_note,
        "private": entry.is_mine and entry.note_visibility == NoteVisibility.ONLY_ME,
        "who": "You" if entry.is_mine else entry.author.display_name,
        "answers": [(answer.who, answer.get_kind_display()) for answer in entry.answer_list],
        "answer_url": reverse("checkins:answer", args=[entry.pk]) if entry.can_answer else "",
        "delete_url": reverse("checkins:delete", args=[entry.pk]) if entry.is_mine else "",
        "local_iso": local.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "local_time": local_time,
        "local_day_time": f"{WEEKDAYS_ABBR[local.weekday()]} {local_time}",
    }


def _key(entry: CheckIn, oob: bool, answer_error: str, secret: str) -> str:
    raw = repr((entry.fragment_key, oob, answer_error, secret)).encode()
    return "entry:" + hashlib.md5(raw, usedforsecurity=False).hexdigest()


def render_entries(
    request: HttpRequest, entries: list[CheckIn], *, oob: bool = False, answer_error: str = ""
) -> None:
    """Give each entry (marked by `mark_for_viewer`) its HTML as `entry.html`: from the
    cache where it is there, rendered and kept where not. `oob` renders them to be swapped
    into the page out of band (an entry with a new answer)."""
    if not entries:
        return
    cache = caches["template_fragments"]
    # The forms carry the CSRF secret, so it is part of the key; asking for a token makes
    # sure a first visit has one before anything is kept under it.
    get_token(request)
    secret = request.META["CSRF_COOKIE"]
    keys = [_key(entry, oob, answer_error, secret) for entry in entries]
    found = cache.get_many(keys)
    missing = [(entry, key) for entry, key in zip(entries, keys, strict=True) if key not in found]
    if missing:
        # One context for all of them: the context processors run once, and the forms share
        # one masked CSRF token instead of masking the secret again for each entry.
        template = get_template(ENTRY_TEMPLATE).template
        context = make_context({"entry_oob": oob, "answer_error": answer_error}, request)
        with context.bind_template(template):
            for entry, key in missing:
                with context.push(entry=entry_view(entry)):
                    found[key] = template.render(context)
        cache.set_many({key: found[key] for _, key in missing}, KEEP_SECONDS)
    for entry, key in zip(entries, keys, strict=True):
        entry.html = mark_safe(found[key])  # noqa: S308 - our own autoescaped template
