"""Authentication for the cheapest requests (the timeline poll).

`request.user` costs a query of its own. A poll that may answer "nothing new" in two queries
(session, then user) loads the user with what it needs to know in the same query, and
checks the session exactly as django.contrib.auth.get_user does.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from attune.models import User


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
