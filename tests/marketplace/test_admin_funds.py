"""The admin shows funds, matching and the ledger, and changes none of it: the ledger and
every money row with a ledger transaction are read-only for everyone, superusers included,
and private payee data stays out of the lists."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditEvent, User
from marketplace import funds
from marketplace.models import (
    Account,
    Campaign,
    Disbursement,
    Fund,
    FundAllocation,
    FundGrant,
    FundTopUp,
    LedgerLine,
    LedgerTransaction,
    Match,
    PayeeKind,
    TopUpKind,
)

MODELS = [
    Fund,
    FundTopUp,
    FundAllocation,
    FundGrant,
    Campaign,
    Match,
    Disbursement,
    Account,
    LedgerTransaction,
]
# Rows that record money on the ledger: never added, changed or deleted in the admin.
LEDGER = [Account, LedgerTransaction, FundTopUp, FundAllocation, FundGrant, Disbursement]


def url(model, action: str = "", pk=None) -> str:
    base = f"/admin/marketplace/{model._meta.model_name}/"
    return base + (f"{pk}/{action}/" if pk is not None else action and f"{action}/")


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--force", "--quiet-logins", stdout=StringIO())
    return User.objects.get(email="admin@linli.local")  # the demo's superuser


@pytest.fixture
def admin_client(client, demo):
    client.force_login(demo)
    return client


def test_every_fund_and_ledger_page_loads_read_only(admin_client):
    # (The demo takes a while to load: the lists' query counts are checked here too.)
    for model in MODELS:
        assert model.objects.exists(), model.__name__
        assert admin_client.get(url(model)).status_code == 200, model.__name__
        obj = model.objects.order_by("pk").first()
        response = admin_client.get(url(model, "change", obj.pk))
        assert response.status_code == 200, model.__name__
        if model in LEDGER:
            # No add, no change, no delete: not even for a superuser.
            assert admin_client.get(url(model, "add")).status_code == 403, model.__name__
            assert 'name="_save"' not in response.text, model.__name__
            before = model.objects.count()
            assert admin_client.post(url(model, "change", obj.pk), {}).status_code == 403
            assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403
            assert (
                admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
            )
            assert model.objects.count() == before
    # The lines are shown with their transaction, and cannot be touched there either.
    entry = LedgerTransaction.objects.order_by("pk").first()
    response = admin_client.get(url(LedgerTransaction, "change", entry.pk))
    for line in entry.lines.all():
        assert line.account.code in response.text
    assert "add-row" not in response.text and "_delete" not in response.text

    # The lists cost the same however much money moved.
    def queries() -> dict[str, int]:
        spent = {}
        for model in MODELS:
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(url(model)).status_code == 200
            spent[model.__name__] = len(captured)
        return spent

    baseline = queries()
    # More money moves: top-ups and an allocation (more transactions, lines and rows).
    city_admin = User.objects.get(email="city.admin@linli.local")
    city = Fund.objects.get(owner="city")
    for n in range(3):
        funds.fund_top_up(
            actor=city_admin,
            fund=city,
            kind=TopUpKind.APPROPRIATION,
            amount=Decimal("1000"),
            reference=f"东财〔2026〕{90 + n}号",
        )
    funds.fund_allocate(
        actor=city_admin,
        source=city,
        target=Fund.objects.filter(owner="town").first(),
        amount=Decimal("500"),
        reference="东民微〔2026〕99号",
    )
    assert queries() == baseline


def test_ledger_admin_permissions_are_refused_to_superusers(rf, superuser, city_fund):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = superuser
    entry = LedgerTransaction.objects.get()
    for model in (LedgerTransaction, Account, FundTopUp, FundAllocation, FundGrant):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request, entry)
        assert not model_admin.has_delete_permission(request, entry)
        assert model_admin.has_view_permission(request, entry)
    inline = admin.site._registry[LedgerTransaction].get_inline_instances(request, entry)[0]
    assert inline.model is LedgerLine
    assert not inline.has_add_permission(request, entry)
    assert not inline.has_change_permission(request, entry)
    assert not inline.has_delete_permission(request, entry)
    # The actions menu offers no bulk delete.
    assert "delete_selected" not in admin.site._registry[LedgerTransaction].get_actions(request)


def test_a_fund_description_is_the_one_thing_edited(client, superuser, city_fund):
    client.force_login(superuser)
    fund = Fund.objects.select_related("account").get(pk=city_fund.pk)
    balance = fund.account.balance
    response = client.post(
        url(Fund, "change", fund.pk),
        {"description": "新的说明", "name": "改名", "counterpart_ratio": "3.00"},
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.description == "新的说明"
    assert fund.name != "改名" and fund.account.balance == balance
    assert client.get(url(Fund, "add")).status_code == 403
    assert client.get(url(Fund, "delete", fund.pk)).status_code == 403


def test_payees_stay_out_of_lists_and_are_shown_to_superusers_alone(admin_client, make_user):
    grant = FundGrant.objects.get()
    asked = Disbursement.objects.get(payee_kind=PayeeKind.RECIPIENT)
    assert asked.recipient_account
    secrets = [grant.payee_name, grant.payee_account, asked.recipient_account]
    for model in MODELS:
        listing = admin_client.get(url(model)).text
        assert not any(secret in listing for secret in secrets), model.__name__
    for model in (LedgerTransaction, Account, Match):
        for obj in model.objects.all():
            page = admin_client.get(url(model, "change", obj.pk)).text
            assert not any(secret in page for secret in secrets), model.__name__
    # A superuser sees them in the form, and the view is on the record.
    assert grant.payee_name in admin_client.get(url(FundGrant, "change", grant.pk)).text
    assert asked.recipient_account in admin_client.get(url(Disbursement, "change", asked.pk)).text
    assert AuditEvent.objects.filter(verb="grant.payee_view", target_id=str(grant.pk)).exists()
    assert AuditEvent.objects.filter(
        verb="disbursement.account_view", target_id=str(asked.pk)
    ).exists()
    # Staff allowed to read the admin's money pages see everything but them.
    reader = make_user(is_staff=True)
    reader.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="marketplace",
            codename__in=["view_fundgrant", "view_disbursement"],
        )
    )
    admin_client.force_login(reader)
    page = admin_client.get(url(FundGrant, "change", grant.pk))
    assert page.status_code == 200 and grant.payment_reference in page.text
    assert grant.payee_name not in page.text and grant.payee_account not in page.text
    page = admin_client.get(url(Disbursement, "change", asked.pk))
    assert page.status_code == 200 and asked.recipient_account not in page.text
