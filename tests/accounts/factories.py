"""Factories for people and places. Regions are built through the service so paths are right."""

import factory
from allauth.account.models import EmailAddress

from accounts import services
from accounts.models import Organisation, OrganisationKind, Region, RegionLevel, Station, User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


_codes = iter(range(1, 10**9))


def make_region(
    level: str = RegionLevel.CITY, parent: Region | None = None, name: str = "", code: str = ""
) -> Region:
    code = code or f"r{next(_codes)}"
    return services.region_create(
        actor=None, name=name or f"地区{code}", code=code, level=level, parent=parent
    )


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    name = factory.Sequence(lambda n: f"第{n}驿站")
    address = factory.Sequence(lambda n: f"幸福路 {n} 号")
    opening_hours = "9:00–17:00"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"爱心企业{n}有限公司")
    kind = OrganisationKind.COMPANY
