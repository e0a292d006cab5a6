from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from attune.selectors import notifications_unread_count


def quick_exit(request: HttpRequest) -> dict:
    """Where "Leave quickly" goes: a neutral site, set by QUICK_EXIT_URL."""
    return {"quick_exit_url": settings.QUICK_EXIT_URL}


def notifications(request: HttpRequest) -> dict:
    """The unread count for the bell, counted only if a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": SimpleLazyObject(lambda: notifications_unread_count(user=user)),
        "bell_poll_seconds": settings.BELL_POLL_SECONDS,
    }
