import pytest
from django.core.management import call_command
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from attune.models import Couple, User
from attune.selectors import couple_for_user


@pytest.mark.django_db
def test_home_tells_a_visitor_what_attune_is(client):
    response = client.get(reverse("home"))
    assertContains(response, "points out when your check-ins pull in opposite directions")
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
