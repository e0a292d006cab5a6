"""The shared timeline.

Live updates use polling, not server-sent events: an open SSE stream would hold a gunicorn
worker per open page, while a poll is a stream of short requests that any proxy and worker
class handles. The poll runs every TIMELINE_POLL_SECONDS (10 s), only while the tab is
visible, and answers "nothing new" with an empty 204 in two queries (session, then the user
loaded together with a has-news flag).
"""

import zoneinfo
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from attune.auth import session_user
from attune.middleware import loads_user_itself
from attune.models import User
from attune.selectors import CoupleView, couple_for_user
from checkins.calendar import revisit_ics
from checkins.forms import (
    AnswerForm,
    CheckInForm,
    DeclineForm,
    MoreTimeForm,
    RatingForm,
    RevisitForm,
)
from checkins.mismatch import describe
from checkins.models import CheckIn, Flag, Revisit
from checkins.quiet import hold_for_quiet_hours
from checkins.rendering import render_entries
from checkins.selectors import (
    Cursor,
    LiveCursor,
    TimelinePage,
    checkins_visible_to,
    current_checkin,
    flag_for,
    flags_recent,
    live_cursor,
    live_cursor_after,
    mark_for_viewer,
    poll_viewer,
    revisit_open,
    revisits_visible_to,
    timeline_news,
    timeline_page,
    two_lane_pictures,
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
from checkins.timeline import (
    cursor_decode,
    cursor_encode,
    day_label,
    group_by_day,
    is_plain_number,
    live_cursor_decode,
)

TEMPLATE = "checkins/timeline.html"


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _mark(
    request: HttpRequest,
    entries: list[CheckIn],
    couple_view: CoupleView | None,
    *,
    oob: bool = False,
    answer_error: str = "",
) -> None:
    """Mark the entries for the signed-in viewer and render them (`entry.html`)."""
    viewer = request.user
    if couple_view is None:
        mark_for_viewer(entries, viewer=viewer, couple_id=None)
    else:
        mark_for_viewer(
            entries,
            viewer=viewer,
            couple_id=couple_view.couple.pk,
            people=[couple_view.partner],
        )
    render_entries(request, entries, oob=oob, answer_error=answer_error)


def _days(
    request: HttpRequest, entries: list[CheckIn], couple_view: CoupleView | None
) -> list[dict]:
    """Entries, rendered, grouped into labelled days of the viewer's calendar."""
    _mark(request, entries, couple_view)
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    return [
        {
            "date": day.date,
            "slug": day.date.isoformat(),
            "label": day_label(day.date, today),
            "entries": day.entries,
        }
        for day in group_by_day(entries, tz)
    ]


def _pictures(
    viewer: User,
    couple_view: CoupleView | None,
    flags: list[Flag],
    page: TimelinePage | None = None,
) -> list:
    return two_lane_pictures(
        viewer=viewer,
        partner=couple_view.partner if couple_view else None,
        now=timezone.now(),
        tz=timezone.get_current_timezone(),
        flags=flags,
        page=page,
    )


def _live_context(viewer: User, top_day: date | None, live: LiveCursor | None = None) -> dict:
    return {
        "live": live or live_cursor(viewer=viewer),
        "top_day": top_day,
        "poll_seconds": settings.TIMELINE_POLL_SECONDS,
    }


def _news_context(request: HttpRequest, since: LiveCursor, top_day: date | None) -> dict:
    """What changed since the client's cursor: new entries sorted into the client's days,
    entries with new answers to replace, a fresh picture and the next cursor."""
    viewer = request.user
    couple_view = couple_for_user(user=viewer)
    news = timeline_news(viewer=viewer, since=since)
    fresh = [e for e in news if e.pk > since.checkin]
    changed = [e for e in news if e.pk <= since.checkin]
    days = _days(request, fresh, couple_view)
    _mark(request, changed, couple_view, oob=True)
    new_days = [d for d in days if top_day is None or d["date"] > top_day]
    known_days = [d for d in days if top_day is not None and d["date"] <= top_day]
    newest_day = max([d["date"] for d in days] + ([top_day] if top_day else []), default=None)
    return {
        "couple_view": couple_view,
        "new_days": new_days,
        "known_days": known_days,
        "changed": changed,
        "pictures": _pictures(viewer, couple_view, flags_recent(viewer=viewer)),
        **_live_context(viewer, newest_day, live_cursor_after(since=since, news=news)),
    }


def _described(flags: list[Flag], viewer: User, couple_view: CoupleView | None) -> list[Flag]:
    partner = couple_view.partner.display_name if couple_view and couple_view.partner else ""
    for flag in flags:
        flag.words = describe(
            flag.pattern, viewer_pursues=flag.pursuer_id == viewer.pk, partner=partner
        )
    return flags


def _form_context(form: CheckInForm | None) -> dict:
    """The check-in form: `form` when it is bound (it shows its errors), else a new one. A
    new form's fields are the same for everyone and come from the fragment cache, so the
    template gets the form class and calls it only when that cache misses (building one
    deep-copies every field)."""
    return {"form": form, "new_form": CheckInForm}


def _page_context(
    request: HttpRequest, *, before: Cursor | None, form: CheckInForm | None = None
) -> dict:
    viewer = request.user
    couple_view = couple_for_user(user=viewer)
    page = timeline_page(viewer=viewer, before=before)
    days = _days(request, page.entries, couple_view)
    flags = flags_recent(viewer=viewer)
    return {
        "couple_view": couple_view,
        "days": days,
        "older": cursor_encode(page.older) if page.older else None,
        "last_day": days[-1]["date"] if days else None,
        **_form_context(form),
        "is_first_page": before is None,
        "pictures": _pictures(viewer, couple_view, flags, page if before is None else None),
        "flags": _described([f for f in flags if f.is_open], viewer, couple_view),
        "revisit": revisit_open(viewer=viewer),
        **_live_context(viewer, days[0]["date"] if days and before is None else None, page.live),
    }


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """The shared timeline; with `before`, the next older page (a partial for htmx)."""
    if request.user.is_therapist:
        return redirect("therapist_dashboard")
    before = cursor_decode(request.GET.get("before", ""))
    if request.htmx and before is not None:
        # Infinite scroll: a day already on the page continues in its own list.
        couple_view = couple_for_user(user=request.user)
        page = timeline_page(viewer=request.user, before=before)
        days = _days(request, page.entries, couple_view)
        continued = _parse_day(request.GET.get("day"))
        head = days[0] if days and days[0]["date"] == continued else None
        context = {
            "continued": head,
            "days": days[1:] if head else days,
            "older": cursor_encode(page.older) if page.older else None,
            "last_day": days[-1]["date"] if days else None,
        }
        return render(request, f"{TEMPLATE}#older_page", context)
    context = _page_context(request, before=before)
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def checkin_create(request: HttpRequest) -> HttpResponse:
    """Post a check-in. htmx gets a fresh form plus the news since its cursor; without
    JavaScript the browser is redirected back to the timeline."""
    viewer = request.user
    if couple_for_user(user=viewer) is None:
        messages.error(request, "Link with your partner to start checking in.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("checkins:timeline"))
        return redirect("checkins:timeline")
    form = CheckInForm(request.POST)
    recorded = None
    since = None
    if request.htmx:
        # The page's cursor: the response brings everything newer. A request without one
        # gets what this check-in adds, not the whole history.
        since = live_cursor_decode(request.POST.get("checkin"), request.POST.get("answer"))
        since = since or live_cursor(viewer=viewer)
    if form.is_valid():
        try:
            recorded = checkin_record(author=viewer, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
    if recorded is not None and recorded.flag is not None:
        # Posting into a mismatch: a calm pause page rather than the timeline.
        url = reverse("checkins:flag", args=[recorded.flag.pk])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if form.is_valid():
        if not request.htmx:
            messages.success(request, "Checked in. Your partner will see it on your timeline.")
            return redirect("checkins:timeline")
        context = _news_context(request, since, _parse_day(request.POST.get("top")))
        context.update(_form_context(None), oob=True)
        return render(request, f"{TEMPLATE}#checkin_response", context)
    if request.htmx:
        context = {"form": form, "couple_view": couple_for_user(user=viewer)}
        return render(request, f"{TEMPLATE}#checkin_form", context)
    # Without JavaScript, the whole page again with the messages by the fields.
    return render(request, TEMPLATE, _page_context(request, before=None, form=form))


@loads_user_itself
@require_GET
def poll(request: HttpRequest) -> HttpResponse:
    """Anything new on the timeline since the client's cursor? 204 when not."""
    since = live_cursor_decode(request.GET.get("checkin"), request.GET.get("answer"))
    if since is None:
        return HttpResponseBadRequest("A poll needs the checkin and answer cursor.")
    viewer = session_user(request, load=lambda pk: poll_viewer(user_id=pk, since=since))
    if viewer is None:
        return HttpResponseClientRedirect(reverse("account_login"))
    if not viewer.has_news:
        return HttpResponse(status=204)
    with timezone.override(viewer.time_zone):
        context = _news_context(request, since, _parse_day(request.GET.get("top")))
        context["oob"] = True
        return render(request, f"{TEMPLATE}#news", context)


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
    """Answer a partner's check-in with one tap."""
    viewer = request.user
    checkin = get_object_or_404(checkins_visible_to(viewer=viewer), pk=pk)
    form = AnswerForm(request.POST)
    error = None
    if not form.is_valid():
        error = "Choose one of the answers."
    else:
        try:
            answer_give(author=viewer, checkin=checkin, kind=form.cleaned_data["kind"])
        except ValidationError as exc:
            error = exc.messages[0]
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("checkins:timeline")
    entry = checkins_visible_to(viewer=viewer).get(pk=pk)
    _mark(request, [entry], couple_for_user(user=viewer), answer_error=error or "")
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


@login_required
@require_POST
def revisit_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept, decline, cancel, mark done, move or ask for more time."""
    found = _revisit_or_404(request, pk)
    user = request.user
    try:
        if action == "accept":
            revisit_accept(user=user, revisit=found)
            messages.success(request, "Agreed. Attune will remind you both.")
        elif action == "decline":
            form = DeclineForm(request.POST)
            message = form.cleaned_data["message"] if form.is_valid() else ""
            revisit_decline(user=user, revisit=found, message=message)
            messages.success(request, "Declined. You can propose another time whenever you like.")
        elif action == "cancel":
            revisit_cancel(user=user, revisit=found)
            messages.success(request, "Cancelled. Your partner has been told.")
        elif action == "done":
            revisit_mark_done(user=user, revisit=found)
            messages.success(request, "Marked as done. Well done for coming back together.")
        elif action == "rate":
            form = RatingForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose from 1 to 5.")
            revisit_rate(user=user, revisit=found, rating=form.cleaned_data["rating"])
            messages.success(request, "Thank you.")
        elif action == "more-time":
            form = MoreTimeForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose 15 or 30 minutes.")
            when = found.scheduled_for + timedelta(minutes=form.cleaned_data["minutes"])
            revisit_move(user=user, revisit=found, when=max(when, timezone.now()))
            messages.success(request, "Moved. Your partner has been told.")
        elif action in ("move", "counter"):
            form = RevisitForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["scheduled_for"][0])
            when = form.cleaned_data["scheduled_for"]
            if found.status == Revisit.Status.PROPOSED:
                revisit_propose(proposer=user, when=when, flag=found.flag)
            else:
                revisit_move(user=user, revisit=found, when=when)
            messages.success(request, "New time sent to your partner.")
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("checkins:revisit", pk=found.pk)


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
