"""Wish pages for requesters and the public: raising a wish online, following it,
withdrawing it, the public notice and published lists, the anonymised page and objections.

Query counts are pinned exactly and checked again after the data grows. A signed-in request
costs 2 queries before the view runs (session, user); the site frame costs 3 (Wagtail site,
menu pages, footer site settings).
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from tests.wishes.factories import make_household, make_wish
from wishes import services
from wishes.models import Household, Objection, Status, Wish
from wishes.services import NeedLine


@pytest.fixture(autouse=True)
def _no_language_leak():
    """A request to /en/ leaves English active in this thread; later tests expect the default."""
    yield
    translation.deactivate()


@pytest.fixture
def site(db):
    from cms.demo import seed_site

    return seed_site()


def wish_form_data(community, /, **overrides) -> dict[str, str]:
    """A complete, valid POST of the online form: one money line, one goods line."""
    data = {
        "title": "孩子下学期的学费",
        "story": "家里收入少，孩子下学期的学费还差一些，希望得到帮助。",
        "category": "education",
        "urgency": "normal",
        "needs-TOTAL_FORMS": "3",
        "needs-INITIAL_FORMS": "0",
        "needs-MIN_NUM_FORMS": "0",
        "needs-MAX_NUM_FORMS": "10",
        "needs-0-kind": "money",
        "needs-0-amount": "3000",
        "needs-1-kind": "goods",
        "needs-1-item": "书包",
        "needs-1-quantity": "1",
        "needs-1-specification": "小学用",
        "needs-2-kind": "",
        "head_name": "李秀英",
        "id_number": "441900198001011234",
        "phone": "13800001111",
        "address": "北一社区 3 栋 201",
        "community": str(community.pk),
        "member_count": "3",
        "monthly_income_per_person": "800",
        "disability_grade": "0",
        "housing": "adequate",
        "elderly_dependants": "0",
        "child_dependants": "1",
        "disabled_dependants": "0",
        "disaster_loss": "0",
        "consent": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def raise_online(user, community, *, title: str = "孩子的学费") -> Wish:
    """A wish raised online by *user* (status submitted), through the services."""
    household = make_household(community, user)
    return services.wish_submit(
        user=user,
        household=household,
        title=title,
        story="需要帮助支付下学期学费。",
        category="education",
        urgency="normal",
        needs=[NeedLine(kind="money", amount=Decimal("3000"))],
    )


# --- Raising a wish online --------------------------------------------------------------


@pytest.mark.django_db
def test_new_wish_needs_sign_in(client, city, site):
    response = client.get(reverse("wishes:new"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_new_wish_form_lists_every_community(client, city, site, people):
    client.force_login(people.resident)
    response = client.get(reverse("wishes:new"))
    assert response.status_code == 200
    for community in (city.north_a, city.north_b, city.south_a):
        assert f'value="{community.pk}"' in response.text
    assert 'name="needs-TOTAL_FORMS"' in response.text
    assert 'name="consent_note"' not in response.text  # online consent is the tick box


@pytest.mark.django_db
def test_raising_a_wish_online(client, city, site, people, django_capture_on_commit_callbacks):
    client.force_login(people.resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("wishes:new"), wish_form_data(city.north_b))
    wish = Wish.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:my_wish", args=[wish.reference])
    assert wish.status == Status.SUBMITTED and wish.raised_by == people.resident
    assert wish.channel == "web" and wish.community == city.north_b
    assert wish.station == city.station_north  # the town's station takes north_b's wishes
    assert [(n.kind, n.amount, n.item, n.quantity) for n in wish.needs.all()] == [
        ("money", Decimal("3000.00"), "", None),
        ("goods", None, "书包", 1),
    ]
    household = wish.household
    assert household.head_name == "李秀英" and household.consent_note == "online"
    assert household.consent_at is not None and household.created_by == people.resident
    assert Household.objects.with_id_number("441900198001011234").get() == household
    page = client.get(response["Location"])
    assert wish.reference in page.text  # the message names the reference
    assert "孩子下学期的学费" in page.text


@pytest.mark.django_db
def test_raising_a_wish_message_in_english(client, city, site, people, english):
    client.force_login(people.resident)
    response = client.post(reverse("wishes:new"), wish_form_data(city.north_a), follow=True)
    wish = Wish.objects.get()
    assert "A station near you will contact you" in response.text
    assert wish.reference in response.text


@pytest.mark.django_db
def test_no_station_in_the_town_is_a_form_error_and_saves_nothing(
    client, city, site, people, english
):
    from tests.accounts.factories import make_region

    town = make_region("town", city.city, name="远方镇")
    far = make_region("community", town, name="远方社区")  # no station in its town
    client.force_login(people.resident)
    response = client.post(reverse("wishes:new"), wish_form_data(far, title="远方的心愿"))
    assert response.status_code == 400
    assert "There is no open station for this community yet" in response.text
    assert "远方的心愿" in response.text
    assert not Wish.objects.exists() and not Household.objects.exists()


# --- The requester's pages --------------------------------------------------------------


@pytest.mark.django_db
def test_my_wishes_lists_only_mine_with_status_and_deadline(client, city, site, people):
    mine = raise_online(people.resident, city.north_a, title="我的心愿")
    accepted = raise_online(people.resident, city.north_a, title="已受理的心愿")
    services.wish_accept(actor=people.north_staff, wish=accepted)
    accepted.refresh_from_db()
    other = raise_online(people.north_staff, city.north_a, title="别人的心愿")
    client.force_login(people.resident)
    response = client.get(reverse("wishes:mine"))
    assert response.status_code == 200
    assert "我的心愿" in response.text and "已受理的心愿" in response.text
    assert "别人的心愿" not in response.text
    assert reverse("wishes:my_wish", args=[mine.reference]) in response.text
    assert reverse("wishes:my_wish", args=[other.reference]) not in response.text
    assert accepted.due_on.isoformat() in response.text


@pytest.mark.django_db
def test_my_wishes_empty_state_links_to_the_form(client, site, people, english):
    client.force_login(people.resident)
    response = client.get(reverse("wishes:mine"))
    assert "You have not raised a wish yet." in response.text
    assert reverse("wishes:new") in response.text


@pytest.mark.django_db
def test_my_wish_shows_every_step_and_only_requester_reasons(client, city, site, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    wish.raised_by = people.resident  # as if raised online: the requester owns it
    wish.save(update_fields=["raised_by"])
    services.wish_send_back(actor=people.north_reviewer, wish=wish, reason="内部复核意见")
    services.wish_reject(actor=people.north_reviewer, wish=wish, reason="已享受低保救助")
    client.force_login(people.resident)
    response = client.get(reverse("wishes:my_wish", args=[wish.reference]))
    assert response.status_code == 200
    assert response.text.count("<time") >= 3  # accepted, verified, sent back, rejected
    assert "已享受低保救助" in response.text  # the requester is told why
    assert "内部复核意见" not in response.text  # internal reasons stay internal
    assert reverse("wishes:mine") in response.text
    assert 'action="' + reverse("wishes:my_wish_withdraw", args=[wish.reference]) not in (
        response.text
    )  # nothing left to withdraw


@pytest.mark.django_db
def test_my_wish_is_404_for_another_user(client, city, site, people, make_user):
    wish = raise_online(people.resident, city.north_a)
    client.force_login(make_user(email="someone.else@example.org"))
    assert client.get(reverse("wishes:my_wish", args=[wish.reference])).status_code == 404
    response = client.post(
        reverse("wishes:my_wish_withdraw", args=[wish.reference]), {"reason": "不需要了"}
    )
    assert response.status_code == 404
    wish.refresh_from_db()
    assert wish.status == Status.SUBMITTED


@pytest.mark.django_db
def test_my_wish_is_404_for_staff_who_took_it_in(client, city, site, people):
    """Staff read wishes in the staff workspace; the requester's page is the requester's."""
    wish = make_wish(people.north_staff, city.north_a)
    client.force_login(people.north_staff)
    assert client.get(reverse("wishes:my_wish", args=[wish.reference])).status_code == 404


@pytest.mark.django_db
def test_withdraw_my_wish(client, city, site, people):
    wish = raise_online(people.resident, city.north_a)
    client.force_login(people.resident)
    page = client.get(reverse("wishes:my_wish", args=[wish.reference]))
    assert reverse("wishes:my_wish_withdraw", args=[wish.reference]) in page.text
    response = client.post(
        reverse("wishes:my_wish_withdraw", args=[wish.reference]), {"reason": "问题已经解决了"}
    )
    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.status == Status.WITHDRAWN and wish.decision_reason == "问题已经解决了"
    page = client.get(response["Location"])
    assert "问题已经解决了" in page.text  # a withdrawal's reason is a step the requester sees
    assert reverse("wishes:my_wish_withdraw", args=[wish.reference]) not in page.text


@pytest.mark.django_db
def test_withdraw_needs_a_reason(client, city, site, people, english):
    wish = raise_online(people.resident, city.north_a)
    client.force_login(people.resident)
    response = client.post(
        reverse("wishes:my_wish_withdraw", args=[wish.reference]), {"reason": "   "}
    )
    assert response.status_code == 400
    assert "This field is required." in response.text
    wish.refresh_from_db()
    assert wish.status == Status.SUBMITTED


@pytest.mark.django_db
def test_withdraw_a_closed_wish_is_refused_with_the_reason_shown(client, city, site, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    wish.raised_by = people.resident
    wish.save(update_fields=["raised_by"])
    services.wish_reject(actor=people.north_reviewer, wish=wish, reason="不符合条件")
    client.force_login(people.resident)
    response = client.post(
        reverse("wishes:my_wish_withdraw", args=[wish.reference]), {"reason": "改主意了"}
    )
    assert response.status_code == 409
    assert "改主意了" in response.text  # what was typed is kept
    wish.refresh_from_db()
    assert wish.status == Status.REJECTED


@pytest.mark.django_db
def test_withdraw_is_post_only(client, city, site, people):
    wish = raise_online(people.resident, city.north_a)
    client.force_login(people.resident)
    assert client.get(reverse("wishes:my_wish_withdraw", args=[wish.reference])).status_code == 405


# --- Public notice, published, the public page ------------------------------------------


@pytest.mark.django_db
def test_notice_list_shows_wishes_on_notice_anonymised(client, city, site, people, english):
    on_notice = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    published = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.PUBLISHED,
        reviewer=people.north_reviewer,
        title="已公开的心愿",
    )
    response = client.get(reverse("wishes:notice"))
    assert response.status_code == 200
    text = response.text
    assert on_notice.reference in text and on_notice.title in text
    assert reverse("wishes:public", args=[on_notice.reference]) in text
    assert published.reference not in text
    assert city.north_a.name in text and city.north.name in text  # community and town
    assert "Elder care" in text  # category
    assert "Money: ¥1200.00" in text and "Goods: 轮椅 × 1" in text
    assert str(on_notice.need_index) in text
    assert on_notice.notice_ends_at.astimezone().strftime("%Y-%m-%d") in text
    assert "file an objection" in text  # what public notice means and how to object


@pytest.mark.django_db
def test_published_list(client, city, site, people):
    published = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    on_notice = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.NOTICE,
        reviewer=people.north_reviewer,
        title="公示中的心愿",
    )
    response = client.get(reverse("wishes:published"))
    assert response.status_code == 200
    assert published.reference in response.text
    assert on_notice.reference not in response.text


@pytest.mark.django_db
def test_lists_empty_state(client, site, english):
    assert "No wish is on public notice at the moment." in client.get(reverse("wishes:notice")).text
    assert "No wish is published yet." in client.get(reverse("wishes:published")).text


@pytest.mark.django_db
def test_lists_rank_by_need_index_and_paginate(client, city, site, people):
    wishes = [
        make_wish(
            people.north_staff,
            city.north_a,
            status=Status.NOTICE,
            reviewer=people.north_reviewer,
            title=f"心愿{i:02d}",
        )
        for i in range(22)
    ]
    Wish.objects.filter(pk=wishes[-1].pk).update(need_index=Decimal("99.00"))
    first = client.get(reverse("wishes:notice"))
    assert first.text.index("心愿21") < first.text.index("心愿00")  # most in need first
    assert "?page=2" in first.text
    second = client.get(reverse("wishes:notice"), {"page": "2"})
    assert second.status_code == 200 and second.text.count('class="card"') == 2
    assert client.get(reverse("wishes:notice"), {"page": "junk"}).status_code == 200


@pytest.mark.django_db
def test_public_page_of_a_wish_on_notice(client, city, site, people, english):
    wish = make_wish(
        people.north_staff,
        city.north_a,
        status=Status.NOTICE,
        reviewer=people.north_reviewer,
        story="第一段。\n\n第二段：需要轮椅。",
    )
    response = client.get(reverse("wishes:public", args=[wish.reference]))
    assert response.status_code == 200
    text = response.text
    assert wish.title in text and "<p>第一段。</p>" in text and "<p>第二段：需要轮椅。</p>" in text
    assert "Elder care" in text and "Urgent" in text and "On public notice" in text
    assert city.north_a.name in text and city.north.name in text
    assert "Goods: 轮椅 × 1" in text
    # Anonymous visitors are asked to sign in, and come back to the form.
    assert "Sign in to object" in text
    assert "?next=" + reverse("wishes:object", args=[wish.reference]) in text


@pytest.mark.django_db
def test_public_page_of_a_published_wish_has_no_objection_form(client, city, site, people):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    client.force_login(people.resident)
    response = client.get(reverse("wishes:public", args=[wish.reference]))
    assert response.status_code == 200
    assert reverse("wishes:object", args=[wish.reference]) not in response.text


@pytest.mark.django_db
def test_public_page_is_404_for_wishes_not_public_and_unknown_references(
    client, city, site, people
):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    assert client.get(reverse("wishes:public", args=[wish.reference])).status_code == 404
    assert client.get(reverse("wishes:public", args=["W0000-NOPE"])).status_code == 404


@pytest.mark.django_db
def test_fixed_paths_are_not_references(client, site, people):
    with translation.override("zh-hans"):
        assert reverse("wishes:new") == "/zh-hans/wishes/new/"
        assert reverse("wishes:notice") == "/zh-hans/wishes/notice/"
    notice = client.get("/zh-hans/wishes/notice/")
    assert notice.status_code == 200 and notice.resolver_match.url_name == "notice"
    client.force_login(people.resident)
    new = client.get("/en/wishes/new/")
    assert new.status_code == 200 and new.resolver_match.url_name == "new"


# --- Objections -------------------------------------------------------------------------


@pytest.fixture
def on_notice(city, people):
    return make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )


@pytest.mark.django_db
def test_signed_in_user_files_an_objection(client, site, people, on_notice):
    client.force_login(people.resident)
    page = client.get(reverse("wishes:public", args=[on_notice.reference]))
    assert reverse("wishes:object", args=[on_notice.reference]) in page.text
    response = client.post(
        reverse("wishes:object", args=[on_notice.reference]),
        {"text": "这户人家上个月已经领过轮椅。"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("wishes:public", args=[on_notice.reference])
    objection = Objection.objects.get()
    assert objection.wish == on_notice and objection.filed_by == people.resident
    assert objection.text == "这户人家上个月已经领过轮椅。"


@pytest.mark.django_db
def test_objection_needs_sign_in(client, site, on_notice):
    url = reverse("wishes:object", args=[on_notice.reference])
    response = client.post(url, {"text": "有问题"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Objection.objects.exists()


@pytest.mark.django_db
def test_objection_get_after_sign_in_returns_to_the_wish(client, site, people, on_notice):
    client.force_login(people.resident)
    response = client.get(reverse("wishes:object", args=[on_notice.reference]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("wishes:public", args=[on_notice.reference]))


@pytest.mark.django_db
def test_empty_objection_is_400(client, site, people, on_notice, english):
    client.force_login(people.resident)
    response = client.post(reverse("wishes:object", args=[on_notice.reference]), {"text": "  "})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not Objection.objects.exists()


@pytest.mark.django_db
def test_second_open_objection_is_409_and_keeps_the_text(client, site, people, on_notice):
    client.force_login(people.resident)
    url = reverse("wishes:object", args=[on_notice.reference])
    client.post(url, {"text": "第一次异议"})
    with_lang = client.post(url, {"text": "第二次异议内容"})
    assert with_lang.status_code == 409
    assert "第二次异议内容" in with_lang.text
    assert Objection.objects.count() == 1


@pytest.mark.django_db
def test_objection_to_a_published_wish_is_409(client, city, site, people, english):
    wish = make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    client.force_login(people.resident)
    response = client.post(reverse("wishes:object", args=[wish.reference]), {"text": "太晚了吗"})
    assert response.status_code == 409
    assert "Objections can only be filed while a wish is on public notice." in response.text
    assert "太晚了吗" in response.text


@pytest.mark.django_db
def test_objection_to_a_wish_not_public_is_404(client, city, site, people):
    wish = make_wish(people.north_staff, city.north_a, status=Status.VERIFIED)
    client.force_login(people.resident)
    response = client.post(reverse("wishes:object", args=[wish.reference]), {"text": "异议"})
    assert response.status_code == 404


# --- Exact query counts -----------------------------------------------------------------


def _grow(city, people, n=3):
    """More public wishes, with more need lines each, in both public statuses."""
    needs = [
        NeedLine(kind="money", amount=Decimal("500")),
        NeedLine(kind="goods", item="棉被", quantity=2),
        NeedLine(kind="service", skill="陪诊", hours=Decimal("4")),
    ]
    for status in (Status.NOTICE, Status.PUBLISHED):
        for _ in range(n):
            make_wish(
                people.north_staff,
                city.north_a,
                status=status,
                reviewer=people.north_reviewer,
                needs=needs,
            )


@pytest.mark.django_db
def test_public_pages_query_counts(client, city, site, people, django_assert_num_queries):
    notice = make_wish(
        people.north_staff, city.north_a, status=Status.NOTICE, reviewer=people.north_reviewer
    )
    make_wish(
        people.north_staff, city.north_a, status=Status.PUBLISHED, reviewer=people.north_reviewer
    )
    public_url = reverse("wishes:public", args=[notice.reference])
    client.get(reverse("wishes:notice"))  # warm Wagtail's per-process caches
    for grow in (False, True):
        if grow:
            _grow(city, people)
        # count, page of wishes (with community and town), their needs + frame 3
        with django_assert_num_queries(6):
            assert client.get(reverse("wishes:notice")).status_code == 200
        with django_assert_num_queries(6):
            assert client.get(reverse("wishes:published")).status_code == 200
        # wish (with community and town), its needs + frame 3
        with django_assert_num_queries(5):
            assert client.get(public_url).status_code == 200


@pytest.mark.django_db
def test_public_page_signed_in_query_count(
    client, site, people, on_notice, django_assert_num_queries
):
    client.force_login(people.resident)
    url = reverse("wishes:public", args=[on_notice.reference])
    client.get(url)
    # session, user + wish, needs + frame 3
    with django_assert_num_queries(7):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_requester_pages_query_counts(client, city, site, people, django_assert_num_queries):
    from wishes.tracking import tracking_token

    wish = raise_online(people.resident, city.north_a)
    client.force_login(people.resident)
    my_url = reverse("wishes:my_wish", args=[wish.reference])
    track_url = reverse("wishes:track", args=[tracking_token(wish.reference)])
    client.get(my_url)
    for grow in (False, True):
        if grow:
            for _ in range(3):
                raise_online(people.resident, city.north_b)
            services.wish_accept(actor=people.north_staff, wish=wish)
            services.wish_verify(
                actor=people.north_staff,
                wish=wish,
                visited_on=wish.created_at.date(),
                notes="家访记录",
            )
        # session, user + count, page of wishes (with community) + frame 3
        with django_assert_num_queries(7):
            assert client.get(reverse("wishes:mine")).status_code == 200
        # session, user + wish (with community, station), needs, steps + frame 3
        with django_assert_num_queries(8):
            assert client.get(my_url).status_code == 200
        # session, user + wish (with station), needs, steps + frame 3
        with django_assert_num_queries(8):
            assert client.get(track_url).status_code == 200


@pytest.mark.django_db
def test_tracking_link_shows_progress_but_offers_no_withdrawal(client, city, site, people):
    """The link travels by SMS and may be forwarded: it shows, it does not act."""
    from wishes.tracking import tracking_token

    wish = raise_online(people.resident, city.north_a)
    response = client.get(reverse("wishes:track", args=[tracking_token(wish.reference)]))
    assert response.status_code == 200 and wish.title in response.text
    assert reverse("wishes:my_wish_withdraw", args=[wish.reference]) not in response.text
    assert reverse("wishes:mine") not in response.text
