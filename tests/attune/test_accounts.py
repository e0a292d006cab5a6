import re

import pytest
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects

from attune.models import User
from tests.factories import TEST_PASSWORD, UserFactory

SIGNUP = {
    "display_name": "Alex",
    "email": "alex@example.com",
    "password1": TEST_PASSWORD,
    "password2": TEST_PASSWORD,
    "time_zone": "Europe/Lisbon",
}


def field_error(html: str, field: str) -> str:
    """The error paragraph rendered inside the field's own wrapper, or ''."""
    match = re.search(
        rf'<div class="field [^"]*field--error">(?:(?!<div class="field ).)*?'
        rf'id="id_{field}".*?<p class="field__error" id="id_{field}_error">(.*?)</p>',
        html,
        re.S,
    )
    return match.group(1) if match else ""


@pytest.mark.django_db
def test_signup_creates_an_unverified_partner_and_sends_a_verification_email(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assertRedirects(response, reverse("account_email_verification_sent"))
    user = User.objects.get(email="alex@example.com")
    assert (user.display_name, user.time_zone, user.kind) == ("Alex", "Europe/Lisbon", "partner")
    assert not user.emailaddress_set.get().verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alex@example.com"]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_login_before_verification_is_held_at_the_verification_step(client):
    client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": SIGNUP["email"], "password": TEST_PASSWORD}
    )
    assertRedirects(response, reverse("account_email_verification_sent"))
    assert client.get(reverse("checkins:timeline")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"email": "alex@"}, "email", "valid email"),
        ({"password1": "password", "password2": "password"}, "password1", "too common"),
        ({"password1": "84920175638", "password2": "84920175638"}, "password1", "numeric"),
        ({"password2": "something-else-entirely"}, "password2", "same password"),
        ({"display_name": "   "}, "display_name", "This field is required"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice"),
    ],
)
def test_bad_signup_input_is_explained_next_to_the_field_and_stores_nothing(
    client, change, field, message
):
    response = client.post(reverse("account_signup"), {**SIGNUP, **change})
    assert response.status_code == 200
    html = response.content.decode()
    assert message.lower() in field_error(html, field).lower()
    assert re.search(rf'id="id_{field}"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-invalid="true"[^>]*id="id_{field}"', html
    )
    assert not User.objects.exists()
    assert not mail.outbox


@pytest.mark.django_db
def test_signing_up_with_a_registered_email_does_not_reveal_it(client):
    """The stranger sees the same "check your inbox" step as a new sign-up; the owner of
    the address is told by e-mail instead, and no second account appears."""
    owner = UserFactory(email="alex@example.com")
    response = client.post(reverse("account_signup"), SIGNUP)
    assertRedirects(response, reverse("account_email_verification_sent"))
    assert User.objects.filter(email__iexact="alex@example.com").count() == 1
    assert owner.display_name != "Alex" or User.objects.get().pk == owner.pk
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alex@example.com"]
    assert "already" in mail.outbox[0].body.lower()


@pytest.mark.django_db
def test_a_wrong_password_reads_the_same_for_known_and_unknown_addresses(client):
    UserFactory(email="known@example.com")
    known = client.post(
        reverse("account_login"), {"login": "known@example.com", "password": "wrong-one-1"}
    )
    unknown = client.post(
        reverse("account_login"), {"login": "nobody@example.com", "password": "wrong-one-1"}
    )
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_address_for_a_while(client):
    UserFactory(email="known@example.com")
    for i in range(5):
        response = client.post(
            reverse("account_login"), {"login": "known@example.com", "password": f"wrong-{i}"}
        )
        assert "Too many tries for this address" not in response.content.decode()
    # Even the right password is refused while the lock holds.
    response = client.post(
        reverse("account_login"), {"login": "known@example.com", "password": TEST_PASSWORD}
    )
    assertContains(response, "Too many tries for this address")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signups_are_rate_limited_per_ip(client):
    statuses = [
        client.post(reverse("account_signup"), {**SIGNUP, "email": f"p{i}@example.com"}).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [302] * 10
    assert statuses[10:] == [429, 429]
    assert User.objects.count() == 10


@pytest.mark.django_db
def test_verified_partner_logs_in_and_lands_on_the_timeline(client):
    UserFactory(email="sam@example.com")
    response = client.post(
        reverse("account_login"), {"login": "SAM@example.com", "password": TEST_PASSWORD}
    )
    assertRedirects(response, reverse("checkins:timeline"))
