"""Authentication for the cheapest requests (the timeline poll).

`request.user` costs a query of its own. A poll that may answer "nothing new" in two queries
(session, then user) loads the user through a queryset that carries what it needs to know, and
checks the session exactly as django.contrib.auth.get_user does.
"""

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from attune.models import User


def session_user(request: HttpRequest, *, queryset: QuerySet[User]) -> User | None:
    """The signed-in user loaded through `queryset` in one query, or None."""
    try:
        user_id = User._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = queryset.filter(pk=user_id, is_active=True).first()
    if user is None:
        return None
    session_hash = request.session.get(HASH_SESSION_KEY)
    known_hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not session_hash or not any(constant_time_compare(session_hash, h) for h in known_hashes):
        return None
    request.user = user
    return user
