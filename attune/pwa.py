"""The parts that make Attune an app on a phone: the web app manifest, the service worker
(served from the site root so its scope is the whole site), the offline page it shows when
the network is gone, and each device's opt-in to pushes."""

import hashlib
import json
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.templatetags.static import static
from django.views.decorators.http import require_POST, require_safe

from attune.decorators import partner_required
from attune.services import push_subscription_remove, push_subscription_save

# What the service worker keeps for a page to look right with no network: the styles, the
# scripts every page loads, and the marks. Never a page with anyone's data in it.
SHELL = [
    "css/attune.css",
    "js/timezone.js",
    "js/quick-exit.js",
    "js/pwa.js",
    "django_htmx/htmx-2.min.js",
    "img/mark.svg",
    "img/favicon.svg",
    "img/icon-192.png",
]


@lru_cache(maxsize=2)
def shell_version(debug: bool) -> str:
    """Changes whenever the worker or a file it keeps changes, so phones fetch the new
    ones: from the files' contents (hashed names in production say the same)."""
    digest = hashlib.sha256(get_template("attune/sw.js").template.source.encode())
    for name in SHELL:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    if settings.DEBUG:
        shell_version.cache_clear()  # an edited file shows up on the next load
    response = render(
        request,
        "attune/sw.js",
        {
            "version": shell_version(settings.DEBUG),
            "shell_json": json.dumps([static(name) for name in SHELL]),
        },
        content_type="text/javascript; charset=utf-8",
    )
    # Browsers check for a new worker on navigation; this makes the check reach us.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "attune/manifest.webmanifest", content_type="application/manifest+json"
    )
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """What a navigation gets with no network. The same for everyone and stored by the
    service worker without cookies, so it never holds anything of the person who saw it."""
    return render(request, "attune/offline.html", {"quick_exit_url": settings.QUICK_EXIT_URL})


def _json_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


@partner_required
@require_POST
def push_subscribe(request: HttpRequest) -> JsonResponse:
    """This device agreed to receive pushes (the browser's PushSubscription, as JSON)."""
    try:
        subscription = push_subscription_save(
            user=request.user,
            info=_json_body(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except ValidationError as error:
        return JsonResponse(
            {"error": "This browser's push details were not usable.", "fields": error.message_dict},
            status=400,
        )
    return JsonResponse({"device": subscription.device}, status=201)


@login_required
@require_POST
def push_unsubscribe(request: HttpRequest) -> JsonResponse:
    """This device turned pushes off (by its endpoint)."""
    endpoint = str(_json_body(request).get("endpoint", ""))
    removed = push_subscription_remove(user=request.user, endpoint=endpoint)
    return JsonResponse({"removed": removed})


@login_required
@require_POST
def push_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of one's own devices from the settings list (another's is not found)."""
    if push_subscription_remove(user=request.user, pk=pk):
        messages.success(request, "That device will get no more reminders.")
    else:
        messages.error(request, "That device was already removed.")
    return redirect("settings")
