from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from attune.selectors import couple_for_user


@login_required
@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """The shared timeline: the partner's own view of their couple."""
    return render(
        request, "checkins/timeline.html", {"couple_view": couple_for_user(user=request.user)}
    )
