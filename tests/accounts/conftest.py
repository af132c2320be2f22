import pytest

from accounts import services


@pytest.fixture
def organisation(city, make_user):
    admin = make_user(email="org.admin@example.org")
    return services.organisation_create(
        actor=admin, name="华信电子", kind="company", region=city.south
    )


@pytest.fixture
def org_admin(organisation):
    return organisation.memberships.get(is_admin=True).user


@pytest.fixture
def invitation(organisation, org_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.organisation_invite(
            actor=org_admin, organisation=organisation, email="new@example.org"
        )
