import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers


def loads_user_itself(view: Callable) -> Callable:
    """Mark a view that authenticates on its own (the poll, checkins/poll.py), so no
    middleware spends a query on request.user before it runs."""
    view.loads_user_itself = True
    return view


class UserTimezoneMiddleware:
    """Show every time in the signed-in user's own time zone; storage stays in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(self, request: HttpRequest, view_func: Callable, *args) -> None:
        if getattr(view_func, "loads_user_itself", False):
            return
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()


class PermissionsPolicyMiddleware:
    """Sends the Permissions-Policy header, which Django's SecurityMiddleware does not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class SignedInNoStoreMiddleware:
    """Nothing shown to a signed-in person is kept by a browser or a proxy: every response to
    a signed-in session, pages and fragments alike, says `no-store` and varies on the
    cookie, so the back button after logging out, or the next person on a shared device or
    behind a shared proxy, never sees one person's timeline. Public pages stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No cookie, no session: a visitor's request is answered without touching it.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and SESSION_KEY in request.session:
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
        return response
