"""The poll: Attune's one fast path, and the only module where cost shapes the code.

Every open, visible timeline asks every TIMELINE_POLL_SECONDS whether anything is new, so
polls are most of Attune's traffic, and nearly all of them find nothing. "Nothing new" is
answered with an empty 204 in two queries: the session, then the signed-in user loaded
together with one yes/no, whether their active couple has a check-in or an answer newer
than the page's cursor (not counting the partner's check-ins kept back while they pause
sharing), in the one plain SQL statement Attune has. (News can only arrive
in the active couple: check-ins and answers need one, and an ended couple's history never
changes.) The login is checked as
`django.contrib.auth.get_user` checks it, session hash included, without loading the user a
second time. What is new is then read and shown like any other page, through
`checkins_visible_to` (`views.news_context`).
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from attune.middleware import loads_user_itself
from attune.models import Membership, User
from checkins.models import Answer, CheckIn
from checkins.selectors import LiveCursor
from checkins.timeline import live_cursor_decode
from checkins.views import TEMPLATE, news_context, parse_day


def _news_sql() -> str:
    """One statement: the user, and whether their active couple has a check-in or an answer
    newer than the cursor. Names come from the models' metadata; values are parameters.
    Built with the ORM (two `Exists` through the membership) it cost three times the
    floor's whole request to compile, and this question is most of Attune's traffic."""
    user, membership = User._meta.db_table, Membership._meta.db_table
    checkin, answer = CheckIn._meta.db_table, Answer._meta.db_table
    return (
        f"SELECT u.*, (EXISTS (SELECT 1 FROM {checkin} c "  # noqa: S608 - names are ours
        "WHERE c.couple_id = m.couple_id AND c.id > %s "
        "AND (c.withheld = %s OR c.author_id = u.id)) "
        f"OR EXISTS (SELECT 1 FROM {answer} a WHERE a.couple_id = m.couple_id AND a.id > %s)) "
        f"AS has_news FROM {user} u "
        f"LEFT JOIN {membership} m ON m.user_id = u.id AND m.ended_at IS NULL "
        "WHERE u.id = %s AND u.is_active = %s"
    )


def _user_with_news(user_id: int, since: LiveCursor) -> User | None:
    """The active user `user_id`, with `has_news`."""
    params = [since.checkin, False, since.answer, user_id, True]
    user = next(iter(User.objects.raw(_news_sql(), params)), None)
    if user is not None:
        user.has_news = bool(user.has_news)
    return user


def _signed_in(request: HttpRequest, since: LiveCursor) -> User | None:
    """The session's user with `has_news`, or None when the session holds no valid login."""
    try:
        user_id = User._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = _user_with_news(user_id, since)
    if user is None:
        return None
    session_hash = request.session.get(HASH_SESSION_KEY) or ""
    known = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, value) for value in known):
        return None
    return user


@loads_user_itself
@require_GET
def poll(request: HttpRequest) -> HttpResponse:
    """Anything new on the timeline since the client's cursor? 204 when not."""
    since = live_cursor_decode(request.GET.get("checkin"), request.GET.get("answer"))
    if since is None:
        return HttpResponseBadRequest("A poll needs the checkin and answer cursor.")
    user = _signed_in(request, since)
    if user is None:
        return HttpResponseClientRedirect(reverse("account_login"))
    if not user.has_news:
        return HttpResponse(status=204)
    request.user = user
    with timezone.override(user.time_zone):
        context = news_context(request, since, parse_day(request.GET.get("top")))
        return render(request, f"{TEMPLATE}#news", context)
