from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def article_index(request: HttpRequest) -> HttpResponse:
    """The public reading room. Articles arrive with the editorial app (content/)."""
    return render(request, "content/index.html")
