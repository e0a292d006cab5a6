from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from attune.models import User
from checkins.models import CheckIn, Need, State
from content.models import Article

TEST_PASSWORD = "a-long-test-passphrase-42"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    """A partner with a verified primary e-mail address, ready to log in."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("first_name")
    time_zone = "Europe/Berlin"
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TherapistFactory(UserFactory):
    kind = User.Kind.THERAPIST
    display_name = factory.Sequence(lambda n: f"Dr. Therapist {n}")


class CheckInFactory(factory.django.DjangoModelFactory):
    """A check-in by `author` in their active couple (pass `couple` for anything else)."""

    class Meta:
        model = CheckIn

    author = factory.SubFactory(UserFactory)
    couple = factory.LazyAttribute(lambda o: o.author.memberships.get(ended_at__isnull=True).couple)
    state = State.REGULATED
    intensity = 2
    need = Need.NONE


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, live since yesterday."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Article {n}")
    slug = factory.Sequence(lambda n: f"article-{n}")
    summary = "A summary."
    body = "## Part\n\nSome words."
    status = Article.Status.PUBLISHED
    publish_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
