"""Timeline entries as HTML, written here and kept per process once written.

An entry is the one fragment a timeline repeats: twenty on a page, and a new check-in is
written once for each partner in each web process. Through the template engine one took
about 110 microseconds, ten times as long as this function (see bench/); `entry_html` writes
the same markup, escaping every value as the template would (tests/checkins/test_rendering.py).

An entry never changes once written; what it looks like to one viewer depends only on what
`mark_for_viewer` put in `entry.fragment_key` (its answers, names, the viewer's zone, what
the viewer may do with it), on whether it is swapped out of band, on an answer error, and on
the CSRF secret its forms carry. Under all of that together, the rendered entry is kept in
the `template_fragments` cache, and a page looks up all of its entries at once.

A `{% cache %}` tag per entry spent most of the cache's saving again on resolving its five
keys and hashing them (see bench/).
"""

import hashlib
import html

from django.core.cache import caches
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.safestring import SafeData, SafeString

from attune.csrf import masked_token
from checkins.models import CheckIn, Need, NoteVisibility

KEEP_SECONDS = 86400
# A one-tap answer's three buttons, the same on every entry that offers them.
_ANSWER_BUTTONS = "".join(
    '      <button class="button button--quiet button--small" type="submit" name="kind" '
    f'value="{kind}">{words}</button>\n'
    for kind, words in (
        ("see_you", "I see you"),
        ("take_your_time", "Take your time"),
        ("here_when_ready", "I'm here when you're ready"),
    )
)


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


def esc(value) -> str:
    """`value` escaped as `{{ value }}` escapes it (Django's conditional_escape), without
    the lazy-string checks that made escaping most of writing an entry."""
    text = str(value)
    return text if isinstance(text, SafeData) else html.escape(text)


def _form_open(css_class: str, url: str, pk: int, csrf_input: str, more: str = "") -> str:
    """An entry's form up to its CSRF field: posted by htmx, which swaps the entry."""
    url = esc(url)
    return (
        f'\n  <form class="{css_class}" method="post" action="{url}" data-hx-post="{url}" '
        f'data-hx-target="#checkin-{pk}" data-hx-swap="outerHTML"{more}>\n    {csrf_input}\n'
    )


def entry_html(entry: dict, *, oob: bool, answer_error: str, csrf_input: str) -> str:
    """One timeline entry as HTML from `entry_view`'s values, each escaped as `{{ }}` would
    escape it; `csrf_input` is the forms' hidden CSRF field, already HTML. The markup (and
    its whitespace) is what the entry template wrote, so pages read the same."""
    pk = entry["pk"]
    state = esc(entry["state"])
    out = [
        f'\n\n<li class="entry entry--{state}" id="checkin-{pk}"',
        ' data-hx-swap-oob="true">' if oob else ">",
        '\n  <div class="entry__head">\n',
        f'    <strong class="entry__who">{esc(entry["who"])}</strong>\n',
        f'    <time class="entry__time" datetime="{esc(entry["local_iso"])}">',
        f"{esc(entry['local_time'])}</time>\n",
        '  </div>\n  <p class="entry__state">\n',
        f'    <span class="state state--{state}">{esc(entry["state_label"])}</span>\n',
        f'    <span class="intensity" role="img" aria-label="intensity {esc(entry["intensity"])}',
        f' of 5">{esc(entry["dots"])}</span>\n    ',
    ]
    if entry["need"]:
        out.append(f'<span class="entry__need">needs {esc(entry["need"])}</span>')
    out.append(f'\n  </p>\n  <p class="entry__desc muted">{esc(entry["description"])}</p>\n  ')
    if entry["cues"] or entry["stressors"]:
        out.append('\n  <ul class="tags" aria-label="Body cues and stressors">\n    ')
        out.extend(f'<li class="tag">{esc(label)}</li>' for label in entry["cues"])
        out.append("\n    ")
        out.extend(
            f'<li class="tag tag--stressor">{esc(label)}</li>' for label in entry["stressors"]
        )
        out.append("\n  </ul>\n  ")
    out.append("\n  ")
    if entry["note"]:
        out.append(
            f'\n  <blockquote class="entry__note">{linebreaksbr(entry["note"])}</blockquote>\n  '
        )
        if entry["private"]:
            out.append('<p class="entry__private muted">Only you can see this note.</p>')
        out.append("\n  ")
    out.append("\n  ")
    if entry["answers"]:
        out.append('\n  <ul class="answers">\n    ')
        out.extend(f"<li>{esc(who)}: “{esc(kind)}”</li>" for who, kind in entry["answers"])
        out.append("\n  </ul>\n  ")
    out.append("\n  ")
    if answer_error:
        out.append(f'<p class="field__error" role="alert">{esc(answer_error)}</p>')
    out.append("\n  ")
    if entry["answer_url"]:
        out.append(_form_open("answer-form", entry["answer_url"], pk, csrf_input))
        out.append(
            f'    <p class="answer-form__label muted" id="answer-{pk}-label">'
            "Answer with one tap:</p>\n"
            '    <div class="answer-form__buttons" role="group" '
            f'aria-labelledby="answer-{pk}-label">\n{_ANSWER_BUTTONS}    </div>\n  </form>\n  '
        )
    out.append("\n  ")
    if entry["delete_url"]:
        confirm = ' data-hx-confirm="Delete this check-in? Your partner will no longer see it."'
        out.append(_form_open("entry__delete", entry["delete_url"], pk, csrf_input, confirm))
        out.append(
            '    <button class="link-button" type="submit">Delete<span class="visually-hidden">'
            f" your check-in from {esc(entry['local_day_time'])}</span></button>\n  </form>\n  "
        )
    out.append("\n</li>\n")
    return "".join(out)


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
    # sure a first visit has one before anything is kept under it. The entries written
    # now share the response's one masked token with the template's forms.
    token = masked_token(request)
    secret = request.META["CSRF_COOKIE"]
    keys = [_key(entry, oob, answer_error, secret) for entry in entries]
    found = cache.get_many(keys)
    missing = [(entry, key) for entry, key in zip(entries, keys, strict=True) if key not in found]
    if missing:
        csrf_input = format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
        )
        for entry, key in missing:
            found[key] = entry_html(
                entry_view(entry), oob=oob, answer_error=answer_error, csrf_input=csrf_input
            )
        cache.set_many({key: found[key] for _, key in missing}, KEEP_SECONDS)
    for entry, key in zip(entries, keys, strict=True):
        # SafeString rather than mark_safe, whose check for lazy strings cost more than the
        # lookup: every value was escaped in entry_html.
        entry.html = SafeString(found[key])
