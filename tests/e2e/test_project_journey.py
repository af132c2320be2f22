"""A community micro-project's whole life in a real browser, in both languages.

A resident of 胜和社区 proposes a project with a photo; a neighbour supports it; the
council's secretary tables it and it goes on the next consultation; on the meeting's day
three members vote online; the secretary closes the meeting (the system counts) and records
the decision; the town's reviewer approves it and it appears among the needs donors can
give to; a company pledges the money by bank transfer, which the station confirms; the
station posts progress and records the community's acceptance; beneficiaries are texted a
survey link and one rates it on their phone. The public project page shows all of it, and
no one's name, email or phone.
"""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from accounts import sms
from accounts.models import Region, Station
from feedback.models import Rating
from marketplace.models import ListingStatus, Payment
from projects.models import (
    AgendaItem,
    Consultation,
    ConsultationStatus,
    ItemResult,
    Project,
    ProjectStatus,
    Proposal,
    ProposalStatus,
    Vote,
)
from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "胜和小学门口加装护栏"
BENEFICIARY_PHONE = "+8613912345678"
LINK = re.compile(r"https?://\S+/feedback/r/[A-Za-z0-9_-]+/")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def _sign_in(page: Page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/en/accounts/login/")
    page.get_by_label(re.compile("^Email")).fill(email)
    page.get_by_label(re.compile("^Password:?$")).fill(DEMO_PASSWORD)
    page.locator("main").get_by_role("button", name=re.compile("^Sign in$", re.I)).click()
    # Signed in (the page may now be in the user's own language).
    expect(page.locator("header form[action$='/accounts/logout/']")).to_be_attached()


def _photo(tmp_path) -> str:
    out = BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG")
    path = tmp_path / "gate.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


def _vote_for(page: Page, base: str, email: str, consultation: Consultation, item, lang: str):
    _sign_in(page, base, email)
    page.goto(f"{base}/{lang}/projects/consultations/{consultation.pk}/vote/")
    ballot = page.locator(f"#item-{item.pk}")
    ballot.locator("input[name=choice][value=for]").check()
    ballot.get_by_role("button").click()
    expect(page.locator(f"#item-{item.pk} input[name=choice][value=for]")).to_be_checked()


def test_a_project_from_proposal_to_rating(demo, page: Page, browser: Browser, tmp_path, settings):
    base = demo.url
    settings.SITE_URL = base  # the texted link points at the live server
    shenghe = Region.objects.get(code="dg-nc-sh")
    station = Station.objects.get(community=shenghe)

    # 1. A resident proposes it, with a photo of the school gate (in Chinese).
    _sign_in(page, base, "resident@linli.local")
    page.goto(f"{base}/zh-hans/projects/proposals/new/")
    page.locator("main [name=title]").fill(TITLE)
    page.locator("main [name=community]").select_option(str(shenghe.pk))
    page.locator("main [name=category]").select_option("public_facility")
    page.locator("main [name=problem]").fill("放学时孩子们直接冲到马路上，车流很多。")
    page.locator("main [name=solution]").fill("在校门两侧加装 30 米护栏。")
    page.locator("main [name=estimated_budget]").fill("9000")
    page.locator("main [name=beneficiaries]").fill("胜和小学的学生和家长")
    page.locator("main [name=beneficiary_count]").fill("600")
    page.locator("main [name=photo_1]").set_input_files(_photo(tmp_path))
    page.locator("main [name=no_personal_data]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    proposal = Proposal.objects.get(title=TITLE)
    assert proposal.status == ProposalStatus.OPEN and proposal.photos.count() == 1

    # 2. A neighbour supports it.
    _sign_in(page, base, "donor@linli.local")
    page.goto(f"{base}/zh-hans/projects/proposals/{proposal.reference}/")
    support = page.locator("form[action$='/support/']")
    support.locator("[name=lives_here]").check()
    support.get_by_role("button").click()
    proposal.refresh_from_db()
    assert proposal.support_count == 2

    # 3. The council's secretary tables it: it joins the agenda of the next meeting.
    _sign_in(page, base, "council@linli.local")
    page.goto(f"{base}/zh-hans/projects/proposals/{proposal.reference}/")
    page.locator("form[action$='/table/'] button").click()
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.TABLED
    item = AgendaItem.objects.get(proposal=proposal)
    meeting = item.consultation
    assert meeting.status == ConsultationStatus.SCHEDULED

    # 4. The meeting's day comes; three of the five members vote online, one in English.
    now = timezone.now()
    Consultation.objects.filter(pk=meeting.pk).update(starts_at=now - timedelta(minutes=5))
    _vote_for(page, base, "council@linli.local", meeting, item, "zh-hans")
    _vote_for(page, base, "council.chen@linli.local", meeting, item, "en")
    _vote_for(page, base, "council.he@linli.local", meeting, item, "zh-hans")
    assert Vote.objects.filter(item=item).count() == 3

    # 5. Voting ends; the secretary closes the meeting and the system counts.
    Consultation.objects.filter(pk=meeting.pk).update(ends_at=timezone.now())
    _sign_in(page, base, "council@linli.local")
    page.goto(f"{base}/zh-hans/projects/council/consultations/{meeting.pk}/")
    page.locator("#action-close button[type=submit]").click()
    item.refresh_from_db()
    assert (item.result, item.votes_for, item.electorate) == (ItemResult.PASSED, 3, 5)
    page.goto(f"{base}/zh-hans/projects/consultations/{meeting.pk}/")
    expect(page.locator("main")).to_contain_text(TITLE)
    expect(page.locator("main")).to_contain_text("通过")

    # 6. The secretary records the decision: one money line, the station implements it.
    page.goto(f"{base}/zh-hans/projects/council/items/{item.pk}/decide/")
    page.locator("main [name=description]").fill("在校门两侧加装 30 米不锈钢护栏。")
    page.locator("main [name=beneficiaries]").fill("胜和小学的学生和家长")
    page.locator("main [name=beneficiary_count]").fill("600")
    page.locator("main [name=implementer_kind]").select_option("station")
    page.locator("main [name=station]").select_option(str(station.pk))
    page.locator("main [name=delivery_way]").fill("驿站组织施工，家长志愿者监督。")
    page.locator("main [name=lines-0-kind]").select_option("money")
    page.locator("main [name=lines-0-description]").fill("护栏及安装")
    page.locator("main [name=lines-0-target]").fill("9000")
    page.locator("main form button[type=submit]").last.click()
    project = Project.objects.get(proposal=proposal)
    assert project.status == ProjectStatus.SUBMITTED

    # 7. The town's reviewer approves it: it is published for donors.
    _sign_in(page, base, "town.reviewer@linli.local")
    page.goto(f"{base}/zh-hans/projects/review/{project.pk}/")
    page.locator("form[action$='/approve/'] button").click()
    project.refresh_from_db()
    assert project.status == ProjectStatus.FUNDING and project.listing is not None
    listing = project.listing
    page.goto(f"{base}/zh-hans/give/?kind=project")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()

    # 8. A company pledges the whole budget by bank transfer; the station confirms it.
    _sign_in(page, base, "company@linli.local")
    page.goto(f"{base}/en/give/{listing.reference}/pledge/")
    page.locator("main [name=line]").first.check()
    page.fill("[name=quantity]", "9000")
    page.locator("main form").get_by_role("button").last.click()
    page.locator("input[name=provider][value=offline]").check()
    page.locator("main form").get_by_role("button").last.click()
    payment = Payment.objects.get(pledge__line__listing=listing)
    _sign_in(page, base, "station.staff@linli.local")
    page.goto(f"{base}/en/staff/listings/{listing.pk}/")
    confirm = page.locator(f"form[action$='/staff/payments/{payment.pk}/confirm/']")
    confirm.locator("[name=receipt_number]").fill("ICBC-20261201-0901")
    confirm.get_by_role("button").click()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.FULLY_PLEDGED

    # 9. The station posts progress, then records the community's acceptance.
    page.goto(f"{base}/zh-hans/projects/station/{project.pk}/")
    progress = page.locator("form[action$='/progress/']")
    progress.locator("[name=body]").fill("护栏已全部安装完毕。")
    progress.locator("[name=milestone]").fill("安装完成")
    progress.locator("[name=percent]").fill("100")
    progress.locator("[name=photo_1]").set_input_files(_photo(tmp_path))
    progress.locator("[name=no_personal_data]").check()
    progress.locator("button[type=submit]").click()
    project.refresh_from_db()
    assert (project.status, project.percent_complete) == (ProjectStatus.IN_PROGRESS, 100)
    assert project.updates.get().photos.count() == 1
    accept = page.locator("form[action$='/accept/']")
    accept.locator("[name=note]").fill("议事会成员和家长代表现场查验，护栏牢固。")
    accept.locator("button[type=submit]").click()
    project.refresh_from_db()
    listing.refresh_from_db()
    assert project.status == ProjectStatus.ACCEPTED
    assert listing.status == ListingStatus.DELIVERED

    # 10. Beneficiaries are texted a survey link; one rates it on their phone.
    sms.outbox.clear()
    survey = page.locator("form[action$='/survey/']")
    survey.locator("[name=addresses]").fill(BENEFICIARY_PHONE)
    survey.locator("button[type=submit]").click()
    texts = [m for m in sms.outbox if LINK.search(m.body)]
    assert len(texts) == 1 and texts[0].to == BENEFICIARY_PHONE
    url = LINK.search(texts[0].body).group(0)
    phone = browser.new_context(**PHONE)
    beneficiary = phone.new_page()
    beneficiary.goto(url)
    expect(beneficiary.locator("main")).to_contain_text(TITLE)
    beneficiary.locator("label[for=id_received_0]").tap()
    beneficiary.locator("label[for=id_score_0]").tap()  # 5
    beneficiary.locator("main button[type=submit]").tap()
    expect(beneficiary).to_have_url(re.compile(r"/feedback/thanks/$"))
    phone.close()
    assert [r.score for r in Rating.objects.filter(listing=listing)] == [5]

    # 11. The public page, signed out, in both languages: accepted, rated, nobody named.
    page.context.clear_cookies()
    for language, accepted in (("zh-hans", "已完成并验收"), ("en", "Completed and accepted")):
        page.goto(f"{base}/{language}/projects/{project.reference}/")
        main = page.locator("main")
        expect(main).to_contain_text(TITLE)
        expect(main).to_contain_text(accepted)
        expect(main).to_contain_text("5.0")
        for private in ("resident@linli.local", "赵桂兰", "刘伟", BENEFICIARY_PHONE):
            expect(main).not_to_contain_text(private)
