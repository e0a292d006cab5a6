import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from attune.models import Couple, User
from attune.selectors import couple_for_user


@pytest.mark.django_db
def test_home_tells_a_visitor_what_attune_is(client):
    response = client.get(reverse("home"))
    assertContains(response, "nervous systems are out of sync")
    assertContains(response, f'href="{reverse("account_signup")}"')
    assertContains(response, f'href="{reverse("content:index")}"')
    assertContains(response, 'class="skip-link" href="#main"')


def test_a_signed_in_partner_lands_on_their_timeline(client, partner_a, partner_b):
    client.force_login(partner_a)
    assertRedirects(client.get(reverse("home")), reverse("checkins:timeline"))
    response = client.get(reverse("checkins:timeline"))
    assertContains(response, "You and Sam share this timeline")


def test_an_unlinked_user_is_invited_to_link(client, unlinked):
    client.force_login(unlinked)
    response = client.get(reverse("checkins:timeline"))
    assertContains(response, "Attune works with two")
    assertNotContains(response, "share this timeline")


@pytest.mark.django_db
def test_the_timeline_needs_a_login(client):
    response = client.get(reverse("checkins:timeline"))
    assertRedirects(response, f"{reverse('account_login')}?next={reverse('checkins:timeline')}")


@pytest.mark.django_db
def test_pages_refuse_the_wrong_method(client):
    assert client.post(reverse("home")).status_code == 405
    assert client.post(reverse("content:index")).status_code == 405


@pytest.mark.django_db
def test_the_article_index_is_public(client):
    assertContains(client.get(reverse("content:index")), "<h1>Articles</h1>")


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_the_demo_couple_can_log_in(client):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.count() == 3
    assert Couple.objects.count() == 1
    alex = User.objects.get(email="alex@demo.attune")
    assert couple_for_user(user=alex).partner.email == "sam@demo.attune"
    assert User.objects.get(email="rivera@demo.attune").is_therapist
    response = client.post(
        reverse("account_login"), {"login": "alex@demo.attune", "password": "attune-demo-2026"}
    )
    assertRedirects(response, reverse("checkins:timeline"))


def test_navigation_links_are_reversed_once_per_script_prefix():
    from django.template import Context, Template
    from django.test.utils import override_script_prefix

    link = Template("{% load nav %}{% nav_url 'checkins:timeline' %}")
    assert link.render(Context()) == reverse("checkins:timeline") == "/timeline/"
    with override_script_prefix("/attune/"):
        assert link.render(Context()) == "/attune/timeline/"
    assert link.render(Context()) == "/timeline/"
    article = Template("{% load nav %}{% nav_url 'content:article' 'states-explained' %}")
    with override_script_prefix("/attune/"):
        assert article.render(Context()) == "/attune/articles/states-explained/"
    assert article.render(Context()) == reverse("content:article", args=["states-explained"])


def test_a_signed_in_request_reads_the_user_itself_once_loaded(partner_a):
    """The time-zone middleware loads the user; the view then gets the user, not Django's
    lazy wrapper, in the user's zone."""
    from django.contrib.auth.middleware import AuthenticationMiddleware
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory
    from django.utils import timezone

    from attune.middleware import UserTimezoneMiddleware
    from attune.models import User

    partner_a.time_zone = "Asia/Kolkata"
    partner_a.save()
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: None).process_request(request)
    request.session["_auth_user_id"] = str(partner_a.pk)
    request.session["_auth_user_backend"] = "attune.auth.UserBackend"
    request.session["_auth_user_hash"] = partner_a.get_session_auth_hash()
    AuthenticationMiddleware(lambda r: None).process_request(request)
    middleware = UserTimezoneMiddleware(lambda r: None)
    try:
        middleware.process_view(request, lambda r: None)
        assert type(request.user) is User
        assert request.user.pk == partner_a.pk
        assert timezone.get_current_timezone_name() == "Asia/Kolkata"
    finally:
        timezone.deactivate()
