"""Therapist pages, and the couple's side of therapist access."""

from datetime import timedelta

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attune.decorators import partner_required
from attune.forms import CodeForm, PeriodForm, TherapistInviteForm, TherapistProfileForm
from attune.ratelimits import rate_limited
from attune.selectors import (
    access_log_for,
    couple_for_user,
    therapist_access_for,
    therapist_accesses_of_couple,
    therapist_couples,
)
from attune.services import (
    access_log_write,
    therapist_become,
    therapist_consent,
    therapist_invite,
    therapist_join,
    therapist_renew,
    therapist_revoke,
)
from checkins.charts import patterns_view
from checkins.fragments import entries_render
from checkins.patterns import Period, couple_patterns, patterns_couple_id
from checkins.presenters import (
    days_of,
    entries_for_viewer,
    names_for,
    picture_window,
    two_lane_pictures,
)
from checkins.selectors import checkins_between, timeline_page
from therapists.selectors import couple_flags_recent, couple_partners, couple_summary

NEW_CODE = "attune_new_therapist_code"
OVERVIEW = "counts of new flags and missed revisits"


def _therapist_only(request: HttpRequest) -> None:
    if not request.user.is_therapist:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def therapist_setup(request: HttpRequest) -> HttpResponse:
    """ "I'm a therapist": a fresh account becomes a therapist account."""
    form = TherapistProfileForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            therapist_become(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your therapist account is ready.")
            return redirect("therapist_dashboard")
    return render(request, "therapists/setup.html", {"form": form})


@login_required
@require_GET
def therapist_dashboard(request: HttpRequest) -> HttpResponse:
    _therapist_only(request)
    accesses = therapist_couples(therapist=request.user)
    # The counts of new flags and missed revisits are the couple's data too: logged.
    access_log_write(therapist=request.user, accesses=accesses, what=OVERVIEW)
    return render(
        request, "therapists/dashboard.html", {"accesses": accesses, "now": timezone.now()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def therapist_join_view(request: HttpRequest) -> HttpResponse:
    _therapist_only(request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and rate_limited(request, "therapist_code"):
        form.add_error(None, "Too many tries. Wait a few minutes, then try again.")
    if request.method == "POST" and form.is_valid():
        try:
            therapist_join(therapist=request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(
                request,
                "Joined. The couple can now see who you are; access starts once both consent.",
            )
            return redirect("therapist_dashboard")
    return render(request, "therapists/join.html", {"form": form})


def _access_or_404(request: HttpRequest, pk: int):
    _therapist_only(request)
    access = therapist_access_for(therapist=request.user, pk=pk)
    if access is None:
        raise Http404
    return access


def _pictures(request: HttpRequest, access, partners) -> list:
    now, tz = timezone.now(), timezone.get_current_timezone()
    window = picture_window(now=now, tz=tz)
    if not partners:
        return []
    rows = checkins_between(
        viewer=request.user,
        start=window.reads_from,
        end=window.day_end,
        couple_id=access.couple_id,
    )
    first, second = partners
    return two_lane_pictures(
        rows,
        window=window,
        now=now,
        tz=tz,
        top=(first.pk, first.display_name),
        bottom=(second.pk, second.display_name),
        flags=couple_flags_recent(access=access, partners=partners),
    )


@login_required
@require_GET
def therapist_couple(request: HttpRequest, pk: int) -> HttpResponse:
    """Read-only: the couple's timeline and two-lane picture. Every view is logged."""
    access = _access_or_404(request, pk)
    access_log_write(therapist=request.user, access=access, what="timeline")
    page = timeline_page(viewer=request.user, couple_id=access.couple_id)
    partners = couple_partners(access=access)
    names = names_for(request.user, partners or ())
    entries_for_viewer(
        page.entries, viewer=request.user, couple_id=None, names=names, now=timezone.now()
    )
    entries_render(request, page.entries)
    days = days_of(page.entries, tz=timezone.get_current_timezone(), today=timezone.localdate())
    context = {
        "access": access,
        "days": days,
        "pictures": _pictures(request, access, partners),
        "members": partners,
    }
    return render(request, "therapists/couple.html", context)


@login_required
@require_GET
def therapist_summary(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access_or_404(request, pk)
    today = timezone.localdate()
    form = PeriodForm(request.GET or {"start": today - timedelta(days=89), "end": today})
    summary = view = None
    partners = couple_partners(access=access)
    if form.is_valid():
        period = Period(
            first=form.cleaned_data["start"],
            last=form.cleaned_data["end"],
            tz=timezone.get_current_timezone(),
        )
        summary = couple_summary(
            viewer=request.user, access=access, start=period.starts_at, end=period.ends_at
        )
        couple_id = patterns_couple_id(viewer=request.user, couple_id=access.couple_id)
        if partners and couple_id is not None:
            found = couple_patterns(
                viewer=request.user,
                couple_id=couple_id,
                period=period,
                partners=[p.pk for p in partners],
            )
            names = {p.pk: p.display_name for p in partners}
            view = patterns_view(found, names=names, couple_words="the couple")
        access_log_write(therapist=request.user, access=access, what="summary")
    context = {
        "access": access,
        "form": form,
        "summary": summary,
        "view": view,
        "members": partners,
    }
    return render(request, "therapists/summary.html", context)


# --- The couple's side --------------------------------------------------------------------


@partner_required
@require_GET
def therapist_access(request: HttpRequest) -> HttpResponse:
    """Invite a therapist, consent, revoke, renew; and the log of every view."""
    return _access_page(request, new_code=request.session.pop(NEW_CODE, None))


def _access_page(request: HttpRequest, **extra) -> HttpResponse:
    accesses = therapist_accesses_of_couple(partner=request.user)
    for access in accesses:
        named = [c for c in access.consents.all() if c.therapist_id == access.therapist_id]
        access.viewer_consented = any(c.partner_id == request.user.pk for c in named)
        access.consent_count = len(named) if access.therapist_id else 0
    context = {
        "couple_view": couple_for_user(user=request.user),
        "accesses": accesses,
        "log": access_log_for(partner=request.user),
        "invite_form": TherapistInviteForm(),
        "now": timezone.now(),
        **extra,
    }
    return render(request, "therapists/access.html", context)


@partner_required
@require_POST
def therapist_invite_view(request: HttpRequest) -> HttpResponse:
    form = TherapistInviteForm(request.POST)
    if not form.is_valid():
        return _access_page(request, invite_form=form)
    try:
        _access, code = therapist_invite(
            partner=request.user,
            duration_days=form.cleaned_data["duration_days"],
            email=form.cleaned_data["email"],
            join_url=request.build_absolute_uri(reverse("therapist_join")),
        )
    except ValidationError as error:
        if hasattr(error, "error_dict"):  # about a field (the address): shown next to it
            form.add_error(None, error)
            return _access_page(request, invite_form=form)
        messages.error(request, error.messages[0])
        return redirect("therapist_access")
    # Shown once, after a redirect (so a reload doesn't invite twice); then gone.
    request.session[NEW_CODE] = code
    return redirect("therapist_access")


def _access_action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    """Run `service(partner=, access=)` on one of the couple's therapist accesses (404 for
    any other); say `done`, or why not."""
    own = {a.pk: a for a in therapist_accesses_of_couple(partner=request.user)}
    access = own.get(pk)
    if access is None:
        raise Http404
    try:
        service(partner=request.user, access=access)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done)
    return redirect("therapist_access")


# Consenting and renewing let someone in, so they ask for the password again when the
# last confirmation is a few minutes old (a borrowed, signed-in phone is not enough).
# Ending access never does: it must stay quick and quiet.


@partner_required
@require_POST
@reauthentication_required
def therapist_consent_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = "Thank you. Your consent is recorded."
    return _access_action(request, pk, therapist_consent, done)


@partner_required
@require_POST
@reauthentication_required
def therapist_renew_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = "Renewal asked. It starts once your partner consents too."
    return _access_action(request, pk, therapist_renew, done)


@partner_required
@require_POST
def therapist_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    done = "Access ended. The therapist sees nothing from now on."
    return _access_action(request, pk, therapist_revoke, done)
