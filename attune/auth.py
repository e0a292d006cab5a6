"""Loading the signed-in user with what the request needs to know, in the same query.

`request.user` costs a query of its own. Every page shows the notifications bell, so the
backends load the user together with their unread count (one query less per page). A poll
that may answer "nothing new" in two queries (session, then user) loads the user with its
has-news flag instead, and checks the session exactly as django.contrib.auth.get_user does.
"""

from collections.abc import Callable

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from attune.models import Notification, User


def with_unread_count(users):
    """`users` with `unread_count`: how many of each one's notifications are unread."""
    unread = (
        Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return users.annotate(unread_count=Coalesce(Subquery(unread), 0, output_field=IntegerField()))


class _UserWithUnreadCount:
    def get_user(self, user_id):
        user = with_unread_count(User._default_manager.filter(pk=user_id)).first()
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
