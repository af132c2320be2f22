import pytest

from tests.projects.world import Councils, project_councils


@pytest.fixture
def councils(city, make_user) -> Councils:
    return project_councils(city, make_user)
