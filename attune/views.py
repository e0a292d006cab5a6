from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What Attune is, for visitors; a signed-in partner goes straight to their timeline."""
    if request.user.is_authenticated:
        return redirect("checkins:timeline")
    return render(request, "home.html")
