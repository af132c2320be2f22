"""The delivery pages: the public list and page, the decision, town review, running it."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEvent
from feedback.exceptions import BadAddress
from feedback.models import Rating
from marketplace.models import ListingStatus
from projects.models import Project, ProjectStatus
from projects.services import delivery
from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site frame)
from tests.projects.delivery_fixtures import approved, decide, funded, passed_item

pytestmark = pytest.mark.django_db


def _jpeg() -> bytes:
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "JPEG")
    return out.getvalue()


def test_public_list_filters_and_shows_no_people(client, site, city, councils, make_user):  # noqa: F811
    project = funded(councils, city, make_user(email="generous.donor@example.org"))
    other = approved(councils, city)
    delivery.project_cancel(actor=councils.reviewer, project=other, reason="场地拆迁")
    decide(councils, city)  # not approved: not public
    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    page = list(response.context["page"])
    assert {p.pk for p in page} == {project.pk, other.pk}
    body = response.content.decode()
    assert "generous.donor" not in body and "¥3000 / ¥3000" in body.replace(",", "")
    response = client.get(reverse("projects:list"), {"status": "cancelled"})
    assert [p.pk for p in response.context["page"]] == [other.pk]
    response = client.get(reverse("projects:list"), {"community": city.south_a.pk})
    assert list(response.context["page"]) == []


def test_detail_in_english_shows_the_decision_funding_and_cancel_reason(
    client,
    site,  # noqa: F811
    city,
    councils,
    english,
):
    project = approved(councils, city)
    delivery.progress_post(
        actor=councils.station,
        project=project,
        body="Materials bought",
        percent=30,
        milestone="Purchase",
    )
    delivery.project_cancel(actor=councils.reviewer, project=project, reason="The site is gone")
    url = reverse("projects:detail", kwargs={"reference": project.reference})
    assert url.startswith("/en/")
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This project was cancelled. Reason:" in body and "The site is gone" in body
    assert "Materials bought" in body and "Purchase" in body and "30 percent" in body
    assert reverse("marketplace:detail", args=[project.listing.reference]) in body
    assert reverse("projects:consultation", args=[project.decided_by.consultation_id]) in body
    assert reverse("projects:proposal", args=[project.proposal.reference]) in body
    assert councils.station.email not in body


def test_an_unapproved_project_has_no_public_page(client, city, councils):
    project = decide(councils, city)
    response = client.get(reverse("projects:detail", kwargs={"reference": project.reference}))
    assert response.status_code == 404


def test_the_secretary_decides_through_the_form(client, site, city, councils):  # noqa: F811
    item = passed_item(councils)
    client.force_login(councils.secretary)
    url = reverse("projects:decide", kwargs={"pk": item.pk})
    assert client.get(url).status_code == 200
    data = {
        "description": "装扶手",
        "beneficiaries": "老人",
        "beneficiary_count": "30",
        "implementer_kind": "station",
        "station": str(city.station_north.pk),
        "delivery_way": "驿站组织",
        "deadline_months": "6",
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
    }
    # No line: refused, and what was typed is kept
    response = client.post(url, data)
    assert response.status_code == 400
    assert "装扶手" in response.content.decode()
    assert not Project.objects.exists()
    data.update({"lines-0-kind": "money", "lines-0-description": "材料", "lines-0-target": "800"})
    response = client.post(url, data)
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:decided", kwargs={"pk": project.pk})
    assert project.lines.get().target == Decimal("800.00")
    # A second submission is refused with the message, the form kept
    response = client.post(url, data)
    assert response.status_code == 409 and "装扶手" in response.content.decode()
    assert client.get(response.wsgi_request.path).status_code == 200


def test_other_members_and_councils_get_404_on_the_decision(client, city, councils):
    item = passed_item(councils)
    url = reverse("projects:decide", kwargs={"pk": item.pk})
    for user in (councils.members[1], councils.south_members[0], councils.station):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_review_send_back_revise_and_approve(client, site, city, councils):  # noqa: F811
    project = decide(councils, city)
    client.force_login(councils.south_reviewer)
    assert client.get(reverse("projects:review", kwargs={"pk": project.pk})).status_code == 404
    assert client.post(reverse("projects:approve", kwargs={"pk": project.pk})).status_code == 404
    response = client.get(reverse("projects:review_queue"))
    assert list(response.context["page"]) == []
    client.force_login(councils.reviewer)
    response = client.get(reverse("projects:review_queue"))
    assert [p.pk for p in response.context["page"]] == [project.pk]
    response = client.post(reverse("projects:send_back", kwargs={"pk": project.pk}), {"reason": ""})
    assert response.status_code == 400
    response = client.post(
        reverse("projects:send_back", kwargs={"pk": project.pk}), {"reason": "预算要细化"}
    )
    assert response.status_code == 302
    client.force_login(councils.secretary)
    response = client.get(reverse("projects:decided", kwargs={"pk": project.pk}))
    assert "预算要细化" in response.content.decode()
    response = client.get(reverse("projects:revise", kwargs={"pk": project.pk}))
    assert response.status_code == 200 and "预算要细化" in response.content.decode()
    form = response.context["form"]
    lines = response.context["lines"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data["station"] = city.station_north.pk
    data.update(
        {
            "lines-TOTAL_FORMS": str(lines.total_form_count()),
            "lines-INITIAL_FORMS": str(lines.initial_form_count()),
            "lines-0-kind": "money",
            "lines-0-description": "材料",
            "lines-0-target": "2500",
            "lines-1-kind": "service",  # the second line emptied: taken out
        }
    )
    response = client.post(reverse("projects:revise", kwargs={"pk": project.pk}), data)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.SUBMITTED
    client.force_login(councils.reviewer)
    response = client.post(reverse("projects:approve", kwargs={"pk": project.pk}))
    project.refresh_from_db()
    assert response["Location"] == reverse("projects:detail", args=[project.reference])
    assert project.status == ProjectStatus.FUNDING and project.listing.lines.count() == 1


def test_cancel_form_says_the_reason_is_public(client, site, city, councils):  # noqa: F811
    project = approved(councils, city)
    client.force_login(councils.reviewer)
    with translation.override("en"):
        response = client.get(reverse("projects:review", kwargs={"pk": project.pk}))
        assert "Published on the project" in response.content.decode()
        response = client.post(
            reverse("projects:cancel", kwargs={"pk": project.pk}), {"reason": "没钱了"}
        )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.CANCELLED and project.listing.status == "cancelled"


def test_station_runs_the_project_from_progress_to_ratings(
    client,
    site,  # noqa: F811
    city,
    councils,
    make_user,
):
    project = funded(councils, city, make_user(email="donor@example.org"))
    url = reverse("projects:manage", kwargs={"pk": project.pk})
    client.force_login(councils.south_station)
    assert client.get(url).status_code == 404
    client.force_login(councils.station)
    assert client.get(url).status_code == 200
    post = reverse("projects:progress_post", kwargs={"pk": project.pk})
    photo = BytesIO(_jpeg())
    photo.name = "site.jpg"
    # A photo without the no-personal-data confirmation: refused, the text kept
    response = client.post(post, {"body": "开工了", "percent": "40", "photo_1": photo})
    assert response.status_code == 400 and "开工了" in response.content.decode()
    photo.seek(0)
    response = client.post(
        post,
        {
            "body": "开工了",
            "percent": "40",
            "milestone": "开工",
            "photo_1": photo,
            "no_personal_data": "on",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.IN_PROGRESS and project.percent_complete == 40
    assert project.updates.get().photos.count() == 1
    response = client.post(post, {"body": "倒退", "percent": "10"})
    assert response.status_code == 400 and "倒退" in response.content.decode()
    response = client.post(
        reverse("projects:accept", kwargs={"pk": project.pk}), {"note": "验收合格"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACCEPTED
    assert project.listing.status == ListingStatus.DELIVERED
    survey = reverse("projects:survey_send", kwargs={"pk": project.pk})
    response = client.post(survey, {"channel": "sms", "addresses": "13800138000\nnot-a-phone"})
    assert response.status_code == 400
    assert str(BadAddress(line=2)) in response.content.decode()
    response = client.post(survey, {"channel": "sms", "addresses": "13800138000\n13900139000"})
    assert response.status_code == 302
    response = client.post(
        reverse("projects:rating_record", kwargs={"pk": project.pk}),
        {"score": "4", "received": "on", "channel": "phone"},
    )
    assert response.status_code == 302
    assert Rating.objects.filter(listing=project.listing).count() == 1
    assert not AuditEvent.objects.filter(data__icontains="13900139000").exists()
    public = client.get(reverse("projects:detail", args=[project.reference])).content.decode()
    assert "开工了" in public and "验收合格" in public
    assert reverse("projects:photo", args=[project.updates.get().photos.get().token]) in public


def test_the_secretary_posts_progress_but_does_not_accept(client, city, councils, make_user):
    project = funded(councils, city, make_user(email="donor@example.org"))
    client.force_login(councils.secretary)
    response = client.get(reverse("projects:manage", kwargs={"pk": project.pk}))
    assert response.status_code == 200 and response.context["accept_form"] is None
    response = client.post(reverse("projects:accept", kwargs={"pk": project.pk}), {"note": "验收"})
    assert response.status_code == 403


def test_the_listing_links_to_its_project_with_the_projects_category(
    client,
    site,  # noqa: F811
    city,
    councils,
):
    project = approved(councils, city)
    response = client.get(reverse("marketplace:detail", args=[project.listing.reference]))
    link = reverse("projects:for_listing", args=[project.listing.reference])
    assert link in response.content.decode()
    assert str(response.context["listing"].category_label) == str(project.get_category_display())
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", args=[project.reference])
    assert client.get(reverse("projects:for_listing", args=["L0000-NOPE"])).status_code == 404
    # The marketplace's category filter offers the projects' categories and finds it
    response = client.get(reverse("marketplace:list"), {"category": "public_facility"})
    assert response.status_code == 200
    assert [listing.pk for listing in response.context["page"]] == [project.listing_id]
    assert str(project.get_category_display()) in response.content.decode()


def test_overdue_projects_are_flagged_and_filtered(client, site, city, councils):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    late = approved(councils, city)
    Project.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    on_time = approved(councils, city)
    response = client.get(reverse("projects:list"), {"status": "overdue"})
    assert [p.pk for p in response.context["page"]] == [late.pk]
    assert response.context["page"][0].overdue
    response = client.get(reverse("projects:detail", args=[late.reference]))
    assert response.context["overdue"]
    response = client.get(reverse("projects:detail", args=[on_time.reference]))
    assert not response.context["overdue"]


def test_acceptance_photos_show_on_the_public_page(client, site, city, councils, make_user):  # noqa: F811
    project = funded(councils, city, make_user(email="donor@example.org"))
    client.force_login(councils.station)
    photo = BytesIO(_jpeg())
    photo.name = "done.jpg"
    response = client.post(
        reverse("projects:accept", kwargs={"pk": project.pk}),
        {"note": "坡道平整", "photo_1": photo, "no_personal_data": "on"},
    )
    assert response.status_code == 302
    acceptance = Project.objects.get(pk=project.pk).acceptance
    token = acceptance.photos.get().token
    client.logout()
    body = client.get(reverse("projects:detail", args=[project.reference])).content.decode()
    assert "坡道平整" in body and reverse("projects:photo", args=[token]) in body
