"""Loading the signed-in user with what the request needs to know, in the same query.

`request.user` costs a query of its own. Every page shows the notifications bell, and most
pages show or act on the couple, so the backends load the user together with their unread
count, their active couple and their partner (two queries less per page). A poll that may
answer "nothing new" in two queries (session, then user) loads the user with its has-news
flag instead, and checks the session exactly as django.contrib.auth.get_user does.
"""

import functools
from collections.abc import Callable

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from attune.models import Couple, Membership, Notification, User
from attune.selectors import memberships_known
from attune.sql import columns, split, table


@functools.cache
def _user_sql() -> str:
    user, couple = table(User), table(Couple)
    membership, notification = table(Membership), table(Notification)
    # Names come from the models' own metadata; the id goes in as a parameter. Plain SQL,
    # because building these joins with the ORM cost more than the queries they save.
    # A user has at most one active couple, and it at most one other active member.
    return (
        f"SELECT {columns(User, 'u')}, {columns(Couple, 'c')}, {columns(User, 'p')}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {notification} n "
        "WHERE n.user_id = u.id AND n.read_at IS NULL) AS unread_count, "
        f"EXISTS (SELECT 1 FROM {membership} e "
        "WHERE e.user_id = u.id AND e.ended_at IS NOT NULL) AS has_ended_couples "
        f"FROM {user} u "
        f"LEFT JOIN {membership} m ON m.user_id = u.id AND m.ended_at IS NULL "
        f"LEFT JOIN {couple} c ON c.id = m.couple_id "
        f"LEFT JOIN {membership} pm "
        "ON pm.couple_id = m.couple_id AND pm.ended_at IS NULL AND pm.user_id <> u.id "
        f"LEFT JOIN {user} p ON p.id = pm.user_id "
        "WHERE u.id = %s"
    )


def user_with_unread_count(user_id: int) -> User | None:
    """The user `user_id` with `unread_count` (how many of their notifications are unread)
    and, unless they have ended couples too, their memberships remembered for the request."""
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(), [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user, couple, partner, unread_count, has_ended_couples = split(row, User, Couple, User)
    user.unread_count = unread_count
    if not has_ended_couples:
        memberships_known(user, couple=couple, partner=partner)
    return user


class _UserWithUnreadCount:
    def get_user(self, user_id):
        user = user_with_unread_count(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class UserBackend(_UserWithUnreadCount, ModelBackend):
    """Django's model backend, loading the signed-in user with their unread count."""


class AccountBackend(_UserWithUnreadCount, AuthenticationBackend):
    """allauth's backend (log in by e-mail), loading the user with their unread count."""


def session_user(request: HttpRequest, *, load: Callable[[int], User | None]) -> User | None:
    """The signed-in user, loaded by `load(user_id)` in one query (None for no such active
    user), or None when the session does not hold a valid login."""
    try:
        user_id = User._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load(user_id)
    if user is None or not user.is_active:
        return None
    session_hash = request.session.get(HASH_SESSION_KEY)
    known_hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not session_hash or not any(constant_time_compare(session_hash, h) for h in known_hashes):
        return None
    request.user = user
    return user
