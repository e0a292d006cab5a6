"""Timeline entries rendered from the `entry` partial of checkins/timeline.html and kept in
the per-process `template_fragments` cache (Django's local-memory cache).

An entry never changes once written. What it looks like to one viewer depends on what
`presenters.entries_for_viewer` put in `entry.fragment_key` (who wrote it and its answers,
in the viewer's words; what the viewer may do with it; their zone), on whether it is swapped
out of band, on an answer error, and on the CSRF secret its forms carry. Under all of that
together the rendered entry is kept, so nothing can serve a stale one: an answer, a rename
or a move to another zone makes a new key, and a deleted entry is never asked for again.
A page looks its entries up at once; rendering twenty through the template engine was about
a fifth of a timeline page.
"""

import hashlib

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils import timezone

from checkins.models import CheckIn

KEEP_SECONDS = 86400


def _key(entry: CheckIn, oob: bool, answer_error: str, secret: str, zone: str) -> str:
    raw = repr((entry.fragment_key, oob, answer_error, secret, zone)).encode()
    return "entry:" + hashlib.md5(raw, usedforsecurity=False).hexdigest()


def entries_render(
    request: HttpRequest, entries: list[CheckIn], *, oob: bool = False, answer_error: str = ""
) -> None:
    """Give each entry (shaped by `entries_for_viewer`) its markup as `entry.html`, from the
    cache where it is there, rendered from the partial and kept where not."""
    if not entries:
        return
    cache = caches["template_fragments"]
    # The forms carry a token for this browser's CSRF secret, so the secret is part of the
    # key; asking for a token first makes sure a first visit has one.
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    zone = timezone.get_current_timezone_name()  # the partial shows times in it
    keys = [_key(entry, oob, answer_error, secret, zone) for entry in entries]
    found = cache.get_many(keys)
    missing = {key: entry for key, entry in zip(keys, entries, strict=True) if key not in found}
    if missing:
        partial = get_template("checkins/timeline.html#entry")
        common = {"csrf_token": token, "oob": oob, "answer_error": answer_error}
        rendered = {key: partial.render({**common, "entry": e}) for key, e in missing.items()}
        cache.set_many(rendered, KEEP_SECONDS)
        found.update(rendered)
    for entry, key in zip(entries, keys, strict=True):
        entry.html = found[key]
