import pytest

from attune.services import couple_link
from tests.factories import TherapistFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs a third of a second a user; tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def partner_a(db):
    return UserFactory(display_name="Alex")


@pytest.fixture
def partner_b(partner_a):
    partner = UserFactory(display_name="Sam")
    couple_link(first=partner_a, second=partner)
    return partner


@pytest.fixture
def couple(partner_a, partner_b):
    return partner_a.memberships.get(ended_at__isnull=True).couple


@pytest.fixture
def outsider(db):
    """A partner in another couple."""
    outsider = UserFactory(display_name="Robin")
    couple_link(first=outsider, second=UserFactory(display_name="Kim"))
    return outsider


@pytest.fixture
def unlinked(db):
    return UserFactory(display_name="Jo")


@pytest.fixture
def therapist(db):
    return TherapistFactory()
