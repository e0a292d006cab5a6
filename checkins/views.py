"""The shared timeline, check-ins, answers, the pause page and revisits.

Live updates use polling, not server-sent events: an open SSE stream would hold a gunicorn
worker per open page, while a poll is a stream of short requests that any proxy and worker
class handles. The poll itself, the one fast path, is checkins/poll.py.
"""

import zoneinfo
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from attune.decorators import partner_required
from attune.models import User
from attune.selectors import CoupleView, couple_for_user, memberships_of
from checkins.calendar import revisit_ics
from checkins.charts import patterns_view
from checkins.forms import (
    AnswerForm,
    CheckInForm,
    DeclineForm,
    MoreTimeForm,
    PatternsForm,
    RatingForm,
    RevisitForm,
)
from checkins.fragments import entries_render
from checkins.mismatch import describe
from checkins.models import CheckIn, Flag, Revisit, state_meanings
from checkins.patterns import couple_patterns, patterns_couple_id
from checkins.presenters import (
    days_of,
    entries_for_viewer,
    names_for,
    picture_window,
    two_lane_pictures,
)
from checkins.quiet import hold_for_quiet_hours
from checkins.selectors import (
    Cursor,
    LiveCursor,
    TimelinePage,
    checkins_between,
    checkins_visible_to,
    current_checkin,
    flag_for,
    flags_recent,
    live_cursor,
    live_cursor_after,
    revisit_open,
    revisits_visible_to,
    timeline_news,
    timeline_page,
    with_answers,
)
from checkins.services import (
    REVISIT_DEFAULT,
    answer_give,
    checkin_delete,
    checkin_record,
    revisit_accept,
    revisit_cancel,
    revisit_decline,
    revisit_mark_done,
    revisit_move,
    revisit_propose,
    revisit_rate,
    revisit_window,
)
from checkins.timeline import cursor_decode, cursor_encode, is_plain_number, live_cursor_decode

TEMPLATE = "checkins/timeline.html"


def parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _shown(
    request: HttpRequest,
    entries: list[CheckIn],
    couple_view: CoupleView | None,
    *,
    oob: bool = False,
    answer_error: str = "",
) -> list:
    """The entries as the viewer reads them, rendered, grouped into days of their calendar."""
    viewer = request.user
    entries_for_viewer(
        entries,
        viewer=viewer,
        couple_id=couple_view.couple.pk if couple_view else None,
        names=names_for(viewer, [couple_view.partner if couple_view else None]),
        now=timezone.now(),
    )
    entries_render(request, entries, oob=oob, answer_error=answer_error)
    return days_of(entries, tz=timezone.get_current_timezone(), today=timezone.localdate())


def _pictures(
    viewer: User, couple_view: CoupleView | None, flags: list[Flag], page: TimelinePage | None
) -> list:
    """Today and the week for the viewer and their partner. A first page that reaches back
    past the week (as most couples' does) holds every check-in the pictures need."""
    now, tz = timezone.now(), timezone.get_current_timezone()
    window = picture_window(now=now, tz=tz)
    if page is not None and page.holds_everything_since(window.reads_from):
        rows = sorted(page.entries, key=lambda e: (e.occurred_at, e.pk))
    else:
        rows = checkins_between(viewer=viewer, start=window.reads_from, end=window.day_end)
    partner = couple_view.partner if couple_view else None
    return two_lane_pictures(
        rows,
        window=window,
        now=now,
        tz=tz,
        top=(viewer.pk, "You"),
        bottom=(None, partner.display_name if partner else "Partner"),
        flags=flags,
    )


def _live_context(live: LiveCursor, top_day: date | None) -> dict:
    return {"live": live, "top_day": top_day, "poll_seconds": settings.TIMELINE_POLL_SECONDS}


def news_context(request: HttpRequest, since: LiveCursor, top_day: date | None) -> dict:
    """What changed since the client's cursor: new entries sorted into the client's days,
    entries with new answers to replace, fresh pictures and the next cursor."""
    viewer = request.user
    couple_view = couple_for_user(user=viewer)
    news = timeline_news(viewer=viewer, since=since)
    fresh = [e for e in news if e.pk > since.checkin]
    changed = [e for e in news if e.pk <= since.checkin]
    days = _shown(request, fresh, couple_view)
    _shown(request, changed, couple_view, oob=True)
    newest_day = max([d.date for d in days] + ([top_day] if top_day else []), default=None)
    return {
        "couple_view": couple_view,
        "new_days": [d for d in days if top_day is None or d.date > top_day],
        "known_days": [d for d in days if top_day is not None and d.date <= top_day],
        "changed": changed,
        "pictures": _pictures(viewer, couple_view, flags_recent(viewer=viewer), None),
        "oob": True,
        **_live_context(live_cursor_after(since=since, news=news), newest_day),
    }


def _described(flags: list[Flag], viewer: User, couple_view: CoupleView | None) -> list[Flag]:
    partner = couple_view.partner.display_name if couple_view and couple_view.partner else ""
    for flag in flags:
        flag.words = describe(
            flag.pattern, viewer_pursues=flag.pursuer_id == viewer.pk, partner=partner
        )
    return flags


def _page_context(
    request: HttpRequest, *, before: Cursor | None = None, form: CheckInForm | None = None
) -> dict:
    """The whole page; with `before`, an older page of entries under the same header (for
    a browser without JavaScript, or "Load older" opened in a new tab)."""
    viewer = request.user
    couple_view = couple_for_user(user=viewer)
    page = timeline_page(viewer=viewer, before=before)
    days = _shown(request, page.entries, couple_view)
    flags = flags_recent(viewer=viewer)
    first = before is None
    return {
        "couple_view": couple_view,
        # Neutral words for whoever is left, whether or not they were told at the time.
        "timeline_ended": couple_view is None
        and bool(memberships_of(user=viewer).ended_couple_ids),
        "days": days,
        "older": cursor_encode(page.older) if page.older else None,
        "last_day": days[-1].date if days else None,
        "form": form or CheckInForm(),
        "state_meanings": state_meanings(),
        "is_first_page": first,
        "pictures": _pictures(viewer, couple_view, flags, page if first else None),
        "flags": _described([f for f in flags if f.is_open], viewer, couple_view),
        "revisit": revisit_open(viewer=viewer),
        **_live_context(
            page.live if first else live_cursor(viewer=viewer),
            days[0].date if days and first else None,
        ),
    }


def _older_context(request: HttpRequest, before) -> dict:
    """The next older page; a day already on the page continues in its own list."""
    viewer = request.user
    page = timeline_page(viewer=viewer, before=before)
    days = _shown(request, page.entries, couple_for_user(user=viewer))
    continued = parse_day(request.GET.get("day"))
    head = days[0] if days and days[0].date == continued else None
    return {
        "continued": head,
        "days": days[1:] if head else days,
        "older": cursor_encode(page.older) if page.older else None,
        "last_day": days[-1].date if days else None,
    }


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """The shared timeline; with `before`, the next older page (a partial for htmx)."""
    if request.user.is_therapist:
        return redirect("therapist_dashboard")
    before = cursor_decode(request.GET.get("before", ""))
    if before is not None and request.htmx:
        return render(request, f"{TEMPLATE}#older_page", _older_context(request, before))
    return render(request, TEMPLATE, _page_context(request, before=before))


@partner_required
@require_GET
def patterns(request: HttpRequest) -> HttpResponse:
    """The couple's patterns over weeks and months, for a period the viewer picks."""
    form = PatternsForm(request.GET or {"span": "4w"})
    couple_view = couple_for_user(user=request.user)
    couple_id = patterns_couple_id(viewer=request.user)
    view = None
    if form.is_valid() and couple_id is not None and couple_view.partner is not None:
        partner = couple_view.partner
        found = couple_patterns(
            viewer=request.user,
            couple_id=couple_id,
            period=form.period(timezone.get_current_timezone()),
            partners=[request.user.pk, partner.pk],
        )
        view = patterns_view(found, names=names_for(request.user, [partner]), couple_words="you")
    context = {"form": form, "view": view, "couple_view": couple_view}
    return render(request, "checkins/patterns.html", context)


def _checkin_saved(request: HttpRequest, recorded, since: LiveCursor | None) -> HttpResponse:
    """After a check-in. For htmx: fresh fields, a line beside the button saying it is
    saved, the pause card under it when the check-in forms a mismatch, and the news since
    the page's cursor. Without htmx: the pause page for a mismatch, else the timeline."""
    if not request.htmx:
        if recorded.flag is not None:
            return redirect("checkins:flag", recorded.flag.pk)
        messages.success(
            request,
            "Checked in. Sharing is paused, so it stays with you."
            if recorded.checkin.withheld
            else "Checked in. Your partner will see it on your timeline.",
        )
        return redirect("checkins:timeline")
    context = news_context(request, since, parse_day(request.POST.get("top")))
    context |= {"form": CheckInForm(), "saved": recorded.checkin}
    if recorded.flag is not None:
        flag = _described([recorded.flag], request.user, context["couple_view"])[0]
        context["flag_saved"] = flag
    return render(request, f"{TEMPLATE}#checkin_response", context)


def _page_cursor(request: HttpRequest) -> LiveCursor | None:
    """For htmx, the page's cursor, read before the check-in is saved: the response brings
    everything newer. A request without one gets what this check-in adds, not the whole
    history."""
    if not request.htmx:
        return None
    since = live_cursor_decode(request.POST.get("checkin"), request.POST.get("answer"))
    return since or live_cursor(viewer=request.user)


@login_required
@require_POST
def checkin_create(request: HttpRequest) -> HttpResponse:
    """Post a check-in; bad input comes back with its messages beside the fields."""
    if couple_for_user(user=request.user) is None:
        messages.error(request, "Link with your partner to start checking in.")
        url = reverse("checkins:timeline")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    since = _page_cursor(request)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            recorded = checkin_record(author=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _checkin_saved(request, recorded, since)
    if request.htmx:
        context = {"form": form, "couple_view": couple_for_user(user=request.user), "oob": True}
        return render(request, f"{TEMPLATE}#checkin_reply", context)
    return render(request, TEMPLATE, _page_context(request, form=form))


@login_required
@require_POST
def checkin_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one's own check-in; the partner's are not found (404)."""
    own = checkins_visible_to(viewer=request.user).filter(author=request.user)
    checkin_delete(actor=request.user, checkin=get_object_or_404(own, pk=pk))
    if request.htmx:
        return HttpResponse("")
    messages.success(request, "Check-in deleted.")
    return redirect("checkins:timeline")


@login_required
@require_POST
def answer_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a partner's check-in with one tap; htmx gets the entry back."""
    viewer = request.user
    checkin = get_object_or_404(checkins_visible_to(viewer=viewer), pk=pk)
    form = AnswerForm(request.POST)
    error = "" if form.is_valid() else "Choose one of the answers."
    if not error:
        try:
            answer_give(author=viewer, checkin=checkin, kind=form.cleaned_data["kind"])
        except ValidationError as exc:
            error = exc.messages[0]
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("checkins:timeline")
    entry = get_object_or_404(with_answers(checkins_visible_to(viewer=viewer)), pk=pk)
    _shown(request, [entry], couple_for_user(user=viewer), answer_error=error)
    return HttpResponse(entry.html)


def _revisit_form(flag: Flag | None) -> RevisitForm:
    """The form, suggesting now + 30 minutes (inside the allowed window)."""
    earliest, latest = revisit_window(flag=flag, now=timezone.now())
    suggestion = min(max(timezone.now() + REVISIT_DEFAULT, earliest), latest)
    local = timezone.localtime(suggestion).replace(second=0, microsecond=0)
    return RevisitForm(initial={"scheduled_for": local})


@login_required
@require_GET
def flag(request: HttpRequest, pk: int) -> HttpResponse:
    """The pause page: what is happening in plain words, and a time to come back."""
    found = flag_for(viewer=request.user, pk=pk)
    if found is None:
        raise Http404
    couple_view = couple_for_user(user=request.user)
    _described([found], request.user, couple_view)
    context = {
        "flag": found,
        "couple_view": couple_view,
        "revisit": revisit_open(viewer=request.user),
        "form": _revisit_form(found if found.is_open else None),
    }
    return render(request, "checkins/flag.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def revisit_new(request: HttpRequest) -> HttpResponse:
    """Propose a time to come back together, from a flag or without one."""
    raw_flag = request.POST.get("flag") or request.GET.get("flag") or ""
    found = flag_for(viewer=request.user, pk=int(raw_flag)) if is_plain_number(raw_flag) else None
    if raw_flag and found is None:
        raise Http404
    anchor = found if found and found.is_open else None
    form = RevisitForm(request.POST) if request.method == "POST" else _revisit_form(anchor)
    if request.method == "POST" and form.is_valid():
        try:
            revisit = revisit_propose(
                proposer=request.user, when=form.cleaned_data["scheduled_for"], flag=anchor
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Proposed. Your partner can accept or suggest another time.")
            return redirect("checkins:revisit", pk=revisit.pk)
    return render(
        request,
        "checkins/revisit_new.html",
        {"form": form, "flag": found, "couple_view": couple_for_user(user=request.user)},
    )


def _partner_held_until(revisit: Revisit, couple_view: CoupleView | None):
    """When the partner's reminder would wait for the end of their quiet hours, that time
    (shown to the proposer at once, so they can pick another)."""
    partner = couple_view.partner if couple_view else None
    if partner is None or not revisit.is_open:
        return None
    held = hold_for_quiet_hours(
        revisit.scheduled_for,
        tz=zoneinfo.ZoneInfo(partner.time_zone),
        start=partner.quiet_hours_start,
        end=partner.quiet_hours_end,
    )
    return held if held != revisit.scheduled_for else None


def _revisit_or_404(request: HttpRequest, pk: int) -> Revisit:
    return get_object_or_404(revisits_visible_to(viewer=request.user), pk=pk)


@login_required
@require_GET
def revisit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _revisit_or_404(request, pk)
    context = {
        "revisit": found,
        "couple_view": couple_for_user(user=request.user),
        "mine": found.proposed_by_id == request.user.pk,
        "counter_form": _revisit_form(found.flag if found.flag and found.flag.is_open else None),
        "decline_form": DeclineForm(),
        "more_time_form": MoreTimeForm(),
        "due": found.scheduled_for <= timezone.now(),
        "current": current_checkin(viewer=request.user),
        "rating_form": RatingForm(),
        "my_rating": found.ratings.filter(user=request.user).first(),
        "partner_held_until": _partner_held_until(found, couple_for_user(user=request.user)),
        "reminders": found.reminders.filter(user=request.user, sequence=found.sequence),
    }
    return render(request, "checkins/revisit.html", context)


def _revisit_action(request: HttpRequest, pk: int, act, done: str, **extra) -> HttpResponse:
    """Run `act(user=, revisit=, **extra)` (a service, or a small function that reads a form
    first) on one of the couple's revisits; say `done`, or why not."""
    found = _revisit_or_404(request, pk)
    try:
        act(user=request.user, revisit=found, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("checkins:revisit", pk=found.pk)


def _valid(form, message: str):
    """The form's cleaned data, or a ValidationError with `message`."""
    if not form.is_valid():
        raise ValidationError(message)
    return form.cleaned_data


@login_required
@require_POST
def revisit_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _revisit_action(request, pk, revisit_accept, "Agreed. Attune will remind you both.")


@login_required
@require_POST
def revisit_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    message = form.cleaned_data["message"] if form.is_valid() else ""
    done = "Declined. You can propose another time whenever you like."
    return _revisit_action(request, pk, revisit_decline, done, message=message)


@login_required
@require_POST
def revisit_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _revisit_action(request, pk, revisit_cancel, "Cancelled. Your partner has been told.")


@login_required
@require_POST
def revisit_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = "Marked as done. Well done for coming back together."
    return _revisit_action(request, pk, revisit_mark_done, done)


@login_required
@require_POST
def revisit_rate_view(request: HttpRequest, pk: int) -> HttpResponse:
    def act(*, user, revisit):
        rating = _valid(RatingForm(request.POST), "Choose from 1 to 5.")["rating"]
        revisit_rate(user=user, revisit=revisit, rating=rating)

    return _revisit_action(request, pk, act, "Thank you.")


@login_required
@require_POST
def revisit_more_time_view(request: HttpRequest, pk: int) -> HttpResponse:
    """ "I need more time": the agreed time moves on by 15 or 30 minutes."""

    def act(*, user, revisit):
        minutes = _valid(MoreTimeForm(request.POST), "Choose 15 or 30 minutes.")["minutes"]
        when = revisit.scheduled_for + timedelta(minutes=minutes)
        revisit_move(user=user, revisit=revisit, when=max(when, timezone.now()))

    return _revisit_action(request, pk, act, "Moved. Your partner has been told.")


@login_required
@require_POST
def revisit_change_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Another time: a counter-proposal while proposed, a move once agreed."""

    def act(*, user, revisit):
        form = RevisitForm(request.POST)
        errors = form.errors.get("scheduled_for") or ["Choose a time."]
        when = _valid(form, " ".join(errors))["scheduled_for"]
        if revisit.status == Revisit.Status.PROPOSED:
            revisit_propose(proposer=user, when=when, flag=revisit.flag)
        else:
            revisit_move(user=user, revisit=revisit, when=when)

    return _revisit_action(request, pk, act, "New time sent to your partner.")


@login_required
@require_GET
def revisit_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The agreed revisit as an .ics event; its UID stays, its SEQUENCE rises on a move."""
    found = _revisit_or_404(request, pk)
    if found.status != Revisit.Status.AGREED:
        raise Http404
    body = revisit_ics(
        found, url=request.build_absolute_uri(reverse("checkins:revisit", args=[pk]))
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="attune-revisit.ics"'
    return response
