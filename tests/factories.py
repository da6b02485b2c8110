"""factory-boy factories for the whole suite."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from apikeys import conf, keys
from apikeys.models import APIKey, KeyStatus, Mode
from organizations.models import Membership, Organization, Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        """Give the user a verified primary address, as signing in requires
        (`UserFactory(verified_email=False)`: one never confirmed)."""
        if create and extracted is not False:
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class APIKeyFactory(factory.django.DjangoModelFactory):
    """A key row built directly (tests of the lifecycle itself go through the services).

    The plaintext is kept on the instance as `.raw` so tests can authenticate with it.
    """

    class Meta:
        model = APIKey
        exclude = ("material",)

    organization = factory.SubFactory(OrganizationFactory)
    created_by = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    mode = Mode.LIVE
    material = factory.LazyAttribute(lambda o: keys.generate(conf.brand(), o.mode))
    prefix = factory.LazyAttribute(lambda o: o.material[1])
    hashed_key = factory.LazyAttribute(lambda o: keys.digest(o.material[0], conf.pepper()))
    hash_version = keys.HASH_VERSION
    scopes = factory.LazyFunction(lambda: ["records:read"])
    status = KeyStatus.ACTIVE
    created_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        raw = kwargs.pop("raw", None)
        obj = super()._create(model_class, *args, **kwargs)
        obj.raw = raw
        return obj

    @factory.lazy_attribute
    def raw(self):
        return self.material[0]
