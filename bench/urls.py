"""Attune's URLs plus the floor: the cheapest view Django can serve through the same
middleware, so the load test can say what share of that each real endpoint reaches."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from attune.urls import urlpatterns as attune_urlpatterns


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *attune_urlpatterns]
