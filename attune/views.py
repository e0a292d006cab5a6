import csv
import json
import sys

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from attune.adapters import invitation_drop, invitation_keep
from attune.decorators import partner_required
from attune.delivery import push_enabled
from attune.forms import CodeForm, ConfirmForm, InviteEmailForm, ProfileForm, UnlinkForm
from attune.models import Invitation
from attune.ratelimits import rate_limited
from attune.selectors import (
    couple_for_user,
    export_sections,
    invitations_pending,
    notifications_for,
)
from attune.services import (
    account_delete,
    couple_unlink,
    invitation_accept,
    invitation_create,
    invitation_find,
    invitation_revoke,
    notifications_mark_read,
    profile_update,
    sharing_pause,
    sharing_resume,
)
from checkins.models import state_meanings

NEW_CODE = "attune_new_code"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What Attune is, for visitors; a signed-in partner goes straight to their timeline."""
    if request.user.is_authenticated:
        return redirect("therapist_dashboard" if request.user.is_therapist else "checkins:timeline")
    return render(request, "home.html", {"state_meanings": state_meanings()})


@require_GET
def safety(request: HttpRequest) -> HttpResponse:
    """When a pause is not the right tool, and where to find help: public, and with the
    quick exit even for a visitor who is not signed in."""
    return render(request, "attune/safety.html", {"show_quick_exit": True})


def _partner_page(request: HttpRequest, **extra) -> HttpResponse:
    context = {
        "couple_view": couple_for_user(user=request.user),
        "pending": invitations_pending(user=request.user),
        "email_form": InviteEmailForm(),
        "code_form": CodeForm(),
        **extra,
    }
    return render(request, "attune/partner.html", context)


@partner_required
@require_GET
def partner(request: HttpRequest) -> HttpResponse:
    """Your partner: who it is, or how to invite them and accept their invitation."""
    return _partner_page(request, new_code=request.session.pop(NEW_CODE, None))


def _accept_url(request: HttpRequest):
    return lambda token: request.build_absolute_uri(reverse("invitation", args=[token]))


@partner_required
@require_POST
def invite_email(request: HttpRequest) -> HttpResponse:
    form = InviteEmailForm(request.POST)
    if rate_limited(request, "link_invite"):
        form.add_error(None, "That's a lot of invitations. Try again in a while.")
    if form.is_valid():
        try:
            invitation_create(
                inviter=request.user,
                channel=Invitation.Channel.EMAIL,
                email=form.cleaned_data["email"],
                accept_url=_accept_url(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
    if not form.is_valid():
        return _partner_page(request, email_form=form)
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect("partner")


@partner_required
@require_POST
def invite_code(request: HttpRequest) -> HttpResponse:
    if rate_limited(request, "link_invite"):
        messages.error(request, "That's a lot of invitations. Try again in a while.")
        return redirect("partner")
    try:
        _invitation, code = invitation_create(
            inviter=request.user, channel=Invitation.Channel.CODE, accept_url=_accept_url(request)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("partner")
    # Shown once, after a redirect (so a reload doesn't make another); the database keeps
    # only a hash, and the session holds the code until the page has shown it.
    request.session[NEW_CODE] = code
    return redirect("partner")


@partner_required
@require_POST
def invitation_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    own = {i.pk: i for i in invitations_pending(user=request.user)}
    invitation = own.get(pk)
    if invitation is None:
        return _not_found(request)
    invitation_revoke(inviter=request.user, invitation=invitation)
    messages.success(request, "Invitation withdrawn.")
    return redirect("partner")


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


@partner_required
@require_http_methods(["GET", "POST"])
def code_enter(request: HttpRequest) -> HttpResponse:
    """Type the code your partner reads out; see who invited you before accepting."""
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if rate_limited(request, "link_code"):
            form.add_error(None, "Too many tries. Wait a few minutes, then try again.")
        if form.is_valid():
            try:
                invitation = invitation_find(
                    raw=form.cleaned_data["code"], channel=Invitation.Channel.CODE
                )
            except ValidationError as error:
                form.add_error("code", error)
            else:
                return render(
                    request,
                    "attune/invitation.html",
                    {"invitation": invitation, "code": form.cleaned_data["code"]},
                )
    return render(request, "attune/code.html", {"form": form})


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an e-mailed link opens: who invites you, and a button to accept."""
    try:
        found = invitation_find(raw=token, channel=Invitation.Channel.EMAIL)
    except ValidationError as error:
        return render(request, "attune/invitation.html", {"error": error.messages[0]}, status=410)
    if not request.user.is_authenticated:
        # Kept for the sign-up that may follow: the account it creates comes back here to
        # accept, and no other account can use it (see attune.adapters).
        invitation_keep(request, token)
        return render(request, "attune/invitation.html", {"invitation": found, "token": token})
    if request.method == "GET":
        return render(request, "attune/invitation.html", {"invitation": found, "token": token})
    return _accept_link(request, token)


# Linking lets a partner see your timeline, so pressing accept asks for the password again
# when the last confirmation is a few minutes old: a borrowed, signed-in phone is not
# enough. allauth keeps the POST and finishes it once the password is confirmed.
@partner_required
@reauthentication_required
def _accept_link(request: HttpRequest, token: str) -> HttpResponse:
    return _accept(request, raw=token, channel=Invitation.Channel.EMAIL)


@partner_required
@require_POST
@reauthentication_required
def code_accept(request: HttpRequest) -> HttpResponse:
    if rate_limited(request, "link_code"):
        messages.error(request, "Too many tries. Wait a few minutes, then try again.")
        return redirect("code_enter")
    return _accept(request, raw=request.POST.get("code", ""), channel=Invitation.Channel.CODE)


def _accept(request: HttpRequest, *, raw: str, channel: str) -> HttpResponse:
    try:
        couple = invitation_accept(user=request.user, raw=raw, channel=channel)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("partner")
    invitation_drop(request)
    partner = next(m.user for m in couple.memberships.all() if m.user_id != request.user.pk)
    messages.success(request, f"You and {partner.display_name} are linked. Welcome.")
    return redirect("checkins:timeline")


@partner_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def unlink(request: HttpRequest) -> HttpResponse:
    couple_view = couple_for_user(user=request.user)
    if couple_view is None:
        return redirect("partner")
    form = UnlinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        couple_unlink(user=request.user, notify=form.cleaned_data["tell"] == UnlinkForm.NOW)
        messages.success(request, "You are no longer linked. Your own check-ins stay yours.")
        return redirect("checkins:timeline")
    return render(request, "attune/unlink.html", {"form": form, "couple_view": couple_view})


@partner_required
@require_http_methods(["GET", "POST"])
def sharing(request: HttpRequest) -> HttpResponse:
    """Pause or resume sharing new check-ins with the partner. Quiet by design: the partner
    is never told, and nothing they can see shows it."""
    couple_view = couple_for_user(user=request.user)
    if couple_view is None:
        return redirect("partner")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "pause":
            sharing_pause(user=request.user)
            messages.success(request, "Sharing is paused. Your new check-ins stay with you.")
        elif action == "resume":
            sharing_resume(user=request.user)
            messages.success(request, "Sharing is back on. New check-ins go to your timeline.")
        return redirect("sharing")
    return render(request, "attune/sharing.html", {"couple_view": couple_view})


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, data={f: form.cleaned_data[f] for f in form.fields})
        messages.success(request, "Settings saved.")
        return redirect("settings")
    push = push_enabled() and not request.user.is_therapist
    return render(
        request,
        "attune/settings.html",
        {
            "form": form,
            "couple_view": couple_for_user(user=request.user),
            "push": push,
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "push_devices": list(request.user.push_subscriptions.all()) if push else [],
        },
    )


@login_required
@reauthentication_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Everything the user wrote, in their time zone: JSON, or CSV (one row per record).
    Streamed as it is read, so a long history neither times out nor fills memory."""
    sections = export_sections(user=request.user)
    filename = f"attune-export-{request.user.pk}"
    if fmt == "json":
        response = StreamingHttpResponse(
            _json_stream(sections), content_type="application/json; charset=utf-8"
        )
    else:
        response = StreamingHttpResponse(
            _csv_stream(sections), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _json_stream(sections: dict):
    """The sections as one JSON object, a record a line."""
    yield "{"
    for number, (name, rows) in enumerate(sections.items()):
        yield f"{',' if number else ''}\n  {json.dumps(name)}: "
        if isinstance(rows, dict):
            yield json.dumps(rows, ensure_ascii=False)
            continue
        yield "["
        empty = True
        for row in rows:
            yield f"{'' if empty else ','}\n    {json.dumps(row, ensure_ascii=False)}"
            empty = False
        yield "]" if empty else "\n  ]"
    yield "\n}\n"


class _Line:
    """What csv.writer writes to: it hands each line back instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def _csv_stream(sections: dict):
    writer = csv.writer(_Line())
    yield writer.writerow(["record", "field", "value"])
    for record, rows in sections.items():
        for index, row in enumerate([rows] if isinstance(rows, dict) else rows):
            for field, value in row.items():
                yield writer.writerow([f"{record}[{index}]", field, _csv_value(value)])


def _csv_value(value) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        account_delete(user=user)
        messages.success(request, "Your account and everything you wrote are deleted.")
        return redirect("home")
    return render(request, "attune/delete.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications_mark_read(user=request.user)
        return redirect("notifications")
    return render(
        request, "attune/notifications.html", {"items": notifications_for(user=request.user)}
    )


@login_required
@require_GET
def notifications_bell(request: HttpRequest) -> HttpResponse:
    """The bell's unread count, refreshed by htmx while a page is open."""
    return render(request, "attune/partials/bell.html")


# Retry-After on a 503: how long a browser (and the poll) should wait before asking again.
UNAVAILABLE_RETRY_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that is restarting or out of reach is not a bug: it gets a
    calm 503 saying so, with Retry-After, and the poll waits that long (static/js/live.js).
    Rendered without the request's context processors, which would ask the database again.
    Anything else is the plain 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        page = render_to_string(
            "503.html",
            {"retry_seconds": UNAVAILABLE_RETRY_SECONDS, "quick_exit_url": settings.QUICK_EXIT_URL},
        )
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_SECONDS)
        add_never_cache_headers(response)
        return response
    return HttpResponse(render_to_string("500.html"), status=500)
