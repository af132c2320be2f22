"""Proposal pages: the public list and page (both languages, no personal data), making a
proposal (bad input answers 400 and keeps what was typed), and the action POSTs."""

import pytest
from django.urls import reverse
from django.utils import translation

from projects.models import Photo, Proposal, ProposalStatus
from projects.services import proposals as services
from tests.marketplace.giving_fixtures import site  # noqa: F401  (the Wagtail site frame)
from tests.projects.proposals_fixtures import consultation, jpeg_bytes, propose, support, upload

pytestmark = pytest.mark.django_db


def _supporters(make_user, n: int, tag: str = "sup") -> list:
    return [
        make_user(email=f"{tag}{i}@example.org", display_name=f"支持者{tag}{i}") for i in range(n)
    ]


# --- the list ---------------------------------------------------------------------------


def test_the_list_filters_by_town_community_and_status(client, site, city, councils):  # noqa: F811
    # given
    north = propose(councils.resident, city.north_a, title="北一扶手")
    south = propose(councils.resident, city.south_a, title="南一路灯")
    withdrawn = propose(councils.resident, city.north_a, title="撤回的提议")
    services.proposal_withdraw(actor=councils.resident, proposal=withdrawn, reason="x")
    url = reverse("projects:proposals")

    def titles(params=None) -> set[str]:
        response = client.get(url, params or {})
        assert response.status_code == 200
        return {p.title for p in response.context["page"]}

    # then
    assert titles() == {north.title, south.title}  # never the withdrawn one
    assert titles({"town": city.north.pk}) == {north.title}
    assert titles({"community": city.south_a.pk}) == {south.title}
    assert titles({"community": city.north_b.pk}) == set()
    services.proposal_table(actor=councils.members[1], proposal=north)
    assert titles({"status": "tabled"}) == {north.title}
    assert titles({"status": "open"}) == {south.title}
    assert titles({"town": "not-a-number"}) == {north.title, south.title}  # shown, ignored


def test_the_list_sorts_by_support_and_shows_the_bar(client, site, city, councils, make_user):  # noqa: F811
    few = propose(councils.resident, city.north_a, title="少")
    many = support(propose(councils.resident, city.north_a, title="多"), _supporters(make_user, 1))
    response = client.get(reverse("projects:proposals"), {"sort": "supported"})
    assert [p.pk for p in response.context["page"]] == [many.pk, few.pk]
    html = response.content.decode()
    assert '<progress class="support-bar" max="100" value="66"' in html


def test_the_empty_list_invites_a_proposal(client, site):  # noqa: F811
    response = client.get(reverse("projects:proposals"))
    assert response.status_code == 200
    assert reverse("projects:proposal_create") in response.content.decode()


# --- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_in_both_languages_shows_no_supporter(
    client,
    site,  # noqa: F811
    city,
    councils,
    make_user,
    language,
):
    # given: supporters with names and emails, a merged proposal, a photo
    people = _supporters(make_user, 2)
    proposal = support(propose(councils.resident, city.north_a), people[:1])
    other = propose(people[1], city.north_a, title="另一个扶手提议")
    services.proposal_merge(actor=councils.station, proposal=other, into=proposal, reason="重复")
    from projects.services.photos import photo_add

    photo = photo_add(
        actor=councils.resident,
        proposal=proposal,
        upload=upload(jpeg_bytes()),
        no_personal_data=True,
    )
    # when
    with translation.override(language):
        url = reverse("projects:proposal", args=[proposal.reference])
    response = client.get(url)
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert proposal.title in html and other.reference in html
    assert reverse("projects:photo", args=[photo.token]).split("/", 2)[2] in html
    for person in [*people, councils.resident, councils.station]:
        assert person.email not in html
        assert str(person) not in html
    if language == "en":
        assert "Gathering support" not in html  # tabled by now: 3 supporters + 1 carried
        assert "Tabled for consultation" in html
        assert "was merged into this one" in html
    else:
        assert '<html lang="zh-hans">' in html
        assert "北一社区" in html and "三号楼的老年住户" in html


def test_a_withdrawn_proposal_is_gone(client, site, city, councils):  # noqa: F811
    proposal = propose(councils.resident, city.north_a)
    services.proposal_withdraw(actor=councils.resident, proposal=proposal, reason="x")
    assert client.get(reverse("projects:proposal", args=[proposal.reference])).status_code == 404
    assert client.get(reverse("projects:proposal", args=["P0000-000000"])).status_code == 404


def test_the_page_links_its_consultation(client, site, city, councils):  # noqa: F811
    meeting = consultation(councils.north)
    proposal = propose(councils.resident, city.north_a)
    services.proposal_table(actor=councils.members[1], proposal=proposal)
    html = client.get(reverse("projects:proposal", args=[proposal.reference])).content.decode()
    assert reverse("projects:consultation", args=[meeting.pk]) in html


def test_actions_shown_by_role(client, site, city, councils, make_user):  # noqa: F811
    proposal = propose(councils.resident, city.north_a)
    propose(councils.resident, city.north_a, title="可以合并的")
    url = reverse("projects:proposal", args=[proposal.reference])
    client.force_login(councils.members[1])
    context = client.get(url).context
    assert context["table_form"] and context["merge_form"] and context["withdraw_form"]
    client.force_login(councils.south_members[0])
    context = client.get(url).context
    assert not context["table_form"] and not context["merge_form"]
    assert not context["withdraw_form"] and context["support_form"]
    client.force_login(councils.resident)
    context = client.get(url).context
    assert context["withdraw_form"] and not context["table_form"] and context["supports"]


# --- making a proposal ------------------------------------------------------------------


def _form(city, **overrides):
    data = {
        "title": "小区路灯维修",
        "community": city.north_a.pk,
        "category": "public_facility",
        "problem": "五号楼前路灯坏了半年。",
        "solution": "更换灯头和线路。",
        "estimated_budget": "3000",
        "beneficiaries": "五号楼住户",
        "beneficiary_count": "120",
    }
    data.update(overrides)
    return data


def test_a_resident_makes_a_proposal_with_a_photo(client, site, city, councils):  # noqa: F811
    client.force_login(councils.resident)
    url = reverse("projects:proposal_create")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert city.north_a.name in html and city.north_b.name not in html  # no council there
    # when
    response = client.post(
        url,
        _form(city, photo_1=upload(jpeg_bytes(gps=True)), no_personal_data="on"),
    )
    # then
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:proposal", args=[proposal.reference])
    assert proposal.proposed_by == councils.resident and proposal.support_count == 1
    assert Photo.objects.filter(proposal=proposal).count() == 1


def test_bad_input_answers_400_with_messages_and_keeps_what_was_typed(
    client,
    site,  # noqa: F811
    city,
    councils,
    english,
):
    client.force_login(councils.resident)
    url = reverse("projects:proposal_create")
    response = client.post(url, _form(city, title="", estimated_budget="-5"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "greater than or equal to 0" in html
    assert "五号楼前路灯坏了半年。" in html and "五号楼住户" in html
    assert not Proposal.objects.exists()


def test_a_photo_without_confirmation_or_not_an_image_is_refused(
    client,
    site,  # noqa: F811
    city,
    councils,
    english,
):
    client.force_login(councils.resident)
    url = reverse("projects:proposal_create")
    response = client.post(url, _form(city, photo_1=upload(jpeg_bytes())))
    assert response.status_code == 400
    assert "show no personal data" in response.content.decode()
    response = client.post(
        url,
        _form(city, photo_1=upload(b"not a photo at all", name="x.jpg"), no_personal_data="on"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This file cannot be accepted" in html and "小区路灯维修" in html
    assert not Proposal.objects.exists() and not Photo.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, site):  # noqa: F811
    response = client.get(reverse("projects:proposal_create"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- actions ----------------------------------------------------------------------------


def test_support_needs_the_checkbox_then_counts(client, site, city, councils, make_user, english):  # noqa: F811
    proposal = propose(councils.resident, city.north_a)
    neighbour = make_user()
    client.force_login(neighbour)
    url = reverse("projects:proposal_support", args=[proposal.reference])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "Please confirm that you live or work in this community." in response.content.decode()
    response = client.post(url, {"lives_here": "on"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.support_count == 2
    # twice: the message, no second count
    response = client.post(url, {"lives_here": "on"}, follow=True)
    assert "You already support this proposal." in response.content.decode()
    # and back
    client.post(reverse("projects:proposal_unsupport", args=[proposal.reference]))
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_a_south_member_gets_404_tabling_a_north_proposal(client, site, city, councils):  # noqa: F811
    proposal = propose(councils.resident, city.north_a)
    url = reverse("projects:proposal_table", args=[proposal.reference])
    client.force_login(councils.south_members[0])
    assert client.post(url).status_code == 404
    client.force_login(councils.members[1])
    assert client.post(url).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED


def test_merge_and_withdraw_from_the_page(client, site, city, councils, english):  # noqa: F811
    a = propose(councils.resident, city.north_a, title="甲")
    b = propose(councils.resident, city.north_a, title="乙")
    client.force_login(councils.members[1])
    url = reverse("projects:proposal_merge", args=[a.reference])
    response = client.post(url, {"merge-into": b.reference, "merge-reason": ""})
    assert response.status_code == 400  # the reason is required; the choice is kept
    assert f'value="{b.reference}" selected' in response.content.decode()
    response = client.post(url, {"merge-into": b.reference, "merge-reason": "同一件事"})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:proposal", args=[b.reference])
    # withdrawing a proposal on a pending agenda item is refused with its message
    consultation(councils.north)
    services.proposal_table(actor=councils.members[1], proposal=b)
    response = client.post(
        reverse("projects:proposal_withdraw", args=[b.reference]),
        {"withdraw-reason": "不需要了"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "on the agenda of a consultation" in html and "不需要了" in html


def test_signed_in_urls_of_the_matrix(client, site, city, councils, make_user):  # noqa: F811
    """The cases ``url_cases_proposals.signed_in_cases`` hands to the URL matrix."""
    from tests.projects.url_cases_proposals import signed_in_cases

    w = {"proposal_to_support": propose(councils.resident, city.north_a)}
    outsider = make_user(email="outsider.proposals@example.org")
    for name, kwargs, method, data, status in signed_in_cases(w):
        url = reverse(name, kwargs=kwargs)
        send = getattr(client, method)
        client.logout()
        response = send(url, data) if data else send(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        client.force_login(outsider)
        response = send(url, data) if data else send(url)
        assert response.status_code == status, name
