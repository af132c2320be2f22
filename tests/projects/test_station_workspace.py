"""A funded project's listing in the station workspace leads to the project's page, where
the station posts progress and records the acceptance."""

import pytest
from django.urls import reverse

from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site frame)
from tests.projects.delivery_fixtures import funded

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("site")
def test_the_workspace_links_a_project_listing_to_its_project(client, city, councils, make_user):
    project = funded(councils, city, make_user(email="giver@example.org"))
    client.force_login(councils.station)
    html = client.get(reverse("stations:workspace")).content.decode()
    link = reverse("projects:for_listing", kwargs={"reference": project.listing.reference})
    assert f'href="{link}"' in html
    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "projects:detail", kwargs={"reference": project.reference}
    )
    manage = reverse("projects:manage", kwargs={"pk": project.pk})
    assert f'href="{manage}"' in response.content.decode()
