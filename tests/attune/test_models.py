import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from attune.models import Couple, Membership, User
from attune.services import couple_link
from tests.factories import UserFactory


@pytest.mark.django_db
def test_email_is_the_login_and_is_stored_in_lower_case():
    user = User.objects.create_user(email="Alex@Example.COM", password="x", display_name="Alex")
    assert user.email == "alex@example.com"
    assert User.USERNAME_FIELD == "email"


@pytest.mark.django_db
def test_the_same_address_in_another_case_is_refused_by_the_database():
    UserFactory(email="sam@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="SAM@example.com", display_name="Sam")])


@pytest.mark.django_db
def test_time_zone_must_be_a_real_iana_zone():
    user = UserFactory.build(time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert "time_zone" in excinfo.value.message_dict
    user.time_zone = "America/Argentina/Buenos_Aires"
    user.full_clean(exclude=["password"])


def test_a_user_is_in_at_most_one_active_couple(partner_a, partner_b, unlinked):
    with pytest.raises(ValidationError, match="already linked"):
        couple_link(first=partner_a, second=unlinked)
    # Nothing half-saved: no third couple row, no membership for the refused pair.
    assert Couple.objects.count() == 1
    assert not Membership.objects.filter(user=unlinked).exists()


def test_the_database_refuses_a_second_active_membership(partner_a, partner_b):
    other = Couple.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(couple=other, user=partner_a, seat=1)


def test_a_couple_has_two_seats(couple, unlinked):
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(couple=couple, user=unlinked, seat=3)


@pytest.mark.django_db
def test_nobody_links_with_themselves_or_with_a_therapist(therapist):
    person = UserFactory()
    with pytest.raises(ValidationError):
        couple_link(first=person, second=person)
    with pytest.raises(ValidationError):
        couple_link(first=person, second=therapist)
    assert Couple.objects.count() == 0
