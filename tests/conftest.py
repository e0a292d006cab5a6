import pytest
from django.core.cache import caches

from attune.models import TherapistProfile
from attune.services import couple_link, therapist_consent, therapist_invite, therapist_join
from tests.factories import TherapistFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs a third of a second a user; tests make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_fragment_cache():
    """Rendered entries are kept per process under their ids; a test database that hands
    out the same ids again (SQLite after a rollback) must not meet another test's."""
    caches["template_fragments"].clear()
    yield
    caches["template_fragments"].clear()


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


@pytest.fixture
def rivera(db):
    """A therapist account with its profile, not yet anyone's therapist."""
    therapist = TherapistFactory(display_name="Rivera")
    TherapistProfile.objects.create(
        user=therapist, professional_name="Dr. Rivera", practice="Rivera Practice"
    )
    return therapist


@pytest.fixture
def half(partner_a, partner_b, rivera):
    """Alex invited Dr. Rivera, who joined; neither has consented to Dr. Rivera yet."""
    access, code = therapist_invite(partner=partner_a, duration_days=90)
    return therapist_join(therapist=rivera, code=code)


@pytest.fixture
def live(half, partner_a, partner_b):
    therapist_consent(partner=partner_a, access=half)
    return therapist_consent(partner=partner_b, access=half)
