"""Admin for the marketplace: read-only views of listings, claims, pledges, funds, matching
and the ledger. Changes go through the services (and so the staff pages), which check
rights, lock what guards the money, post to the ledger and write the audit trail; the admin
never writes money rows.

The ledger is read-only for everyone, superusers included. A fund's description is the one
thing edited here. Private payee data (an express payment's payee, a recipient's bank
account) is never in a list; superusers see it in the change form, and each such view is
audited like any other read of private data.
"""

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.admin_base import ReadOnlyAdmin
from accounts.money import format_cny
from marketplace import funds
from marketplace.models import (
    Account,
    Campaign,
    Claim,
    Disbursement,
    Fund,
    FundAllocation,
    FundGrant,
    FundTopUp,
    LedgerLine,
    LedgerTransaction,
    Listing,
    ListingLine,
    Match,
    PayeeKind,
    Pledge,
)


class ListingLineInline(admin.TabularInline):
    model = ListingLine
    extra = 0
    fields = ["kind", "description", "target", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "kind",
        "status",
        "community",
        "need_index",
        "published_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["reference", "title"]
    list_select_related = ["community"]
    inlines = [ListingLineInline]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["listing", "donor", "organisation", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    list_select_related = ["listing", "donor", "organisation"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnlyAdmin):
    list_display = ["reference", "line", "donor", "quantity", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["reference"]
    list_select_related = ["line__listing", "donor"]


# --- Funds -------------------------------------------------------------------------------


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    """Opened, topped up and allocated on the staff pages; only the description is edited
    here."""

    list_display = [
        "name",
        "owner",
        "region",
        "organisation",
        "shown_balance",
        "counterpart_ratio",
        "created_at",
    ]
    list_filter = ["owner"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["region", "organisation", "account"]
    fields = [
        "name",
        "owner",
        "region",
        "organisation",
        "counterpart_ratio",
        "account",
        "shown_balance",
        "shown_available",
        "description",
        "created_at",
    ]
    readonly_fields = [f for f in fields if f != "description"]

    @admin.display(description=_("balance"))
    def shown_balance(self, fund: Fund) -> str:
        return format_cny(fund.account.balance)

    @admin.display(description=_("free to promise"))
    def shown_available(self, fund: Fund) -> str:
        return format_cny(funds.available(fund))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundTopUp)
class FundTopUpAdmin(ReadOnlyAdmin):
    list_display = ["fund", "kind", "amount", "reference", "source", "received_on", "transaction"]
    list_filter = ["kind"]
    search_fields = ["reference", "fund__name"]
    list_select_related = ["fund", "transaction"]
    date_hierarchy = "received_on"


@admin.register(FundAllocation)
class FundAllocationAdmin(ReadOnlyAdmin):
    list_display = [
        "source",
        "target",
        "amount",
        "reference",
        "allocated_on",
        "allocated_by",
        "transaction",
    ]
    search_fields = ["reference", "source__name", "target__name"]
    list_select_related = ["source", "target", "allocated_by", "transaction"]


def _audit_private_view(request, obj, verb: str, region) -> None:
    audit.record(actor=request.user, verb=verb, target=obj, region=region)


@admin.register(FundGrant)
class FundGrantAdmin(ReadOnlyAdmin):
    """The payee of an express payment is private: superusers alone see it, in the form."""

    list_display = [
        "fund",
        "region",
        "amount",
        "payment_reference",
        "approved_by",
        "created_at",
        "transaction",
    ]
    search_fields = ["payment_reference", "fund__name"]
    list_select_related = ["fund", "region", "approved_by", "transaction"]
    PUBLIC = [
        "fund",
        "paid_for",
        "region",
        "amount",
        "payment_reference",
        "approved_by",
        "transaction",
        "created_at",
    ]
    PRIVATE = ["payee_name", "payee_account"]

    def get_fields(self, request, obj=None):
        return self.PUBLIC + (self.PRIVATE if request.user.is_superuser else [])

    @admin.display(description=_("paid for"))
    def paid_for(self, grant: FundGrant) -> str:
        return f"{grant.source_type.name} · {grant.source or grant.source_id}"

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        grant = self.get_object(request, object_id)
        if request.user.is_superuser and grant is not None and response.status_code == 200:
            _audit_private_view(request, grant, "grant.payee_view", grant.region)
        return response


# --- Matching ------------------------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    """Drafted, changed, started and paused on the staff pages (``campaign_update`` keeps the
    pool above what is matched and reserved)."""

    list_display = [
        "name",
        "fund",
        "status",
        "pool_cap",
        "matched",
        "region",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["status"]
    search_fields = ["name", "slug", "fund__name"]
    list_select_related = ["fund", "region"]


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    list_display = [
        "campaign",
        "listing",
        "donor",
        "pledged",
        "amount",
        "status",
        "created_at",
        "expires_at",
    ]
    list_filter = ["status"]
    search_fields = ["campaign__name", "listing__reference", "pledge__reference"]
    list_select_related = ["campaign", "listing", "donor"]


# --- Money out of a listing ---------------------------------------------------------------


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyAdmin):
    """Requested, approved and turned down on the staff pages (four eyes). The recipient's
    bank account is never in a list; superusers alone see it, in the form."""

    list_display = [
        "listing",
        "amount",
        "payee_kind",
        "public_payee",
        "stage",
        "status",
        "requested_by",
        "decided_by",
        "requested_at",
    ]
    list_filter = ["status", "payee_kind"]
    search_fields = ["listing__reference", "payment_reference"]
    list_select_related = ["listing", "requested_by", "decided_by"]
    PUBLIC = [
        "listing",
        "amount",
        "payee_kind",
        "payee_name",
        "stage",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "reason",
        "payment_reference",
        "transaction",
    ]

    def get_fields(self, request, obj=None):
        private = request.user.is_superuser and obj is not None and obj.recipient_account
        return self.PUBLIC + (["recipient_account"] if private else [])

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        payout = self.get_object(request, object_id)
        if (
            request.user.is_superuser
            and payout is not None
            and payout.payee_kind == PayeeKind.RECIPIENT
            and payout.recipient_account
            and response.status_code == 200
        ):
            _audit_private_view(
                request, payout, "disbursement.account_view", payout.listing.community
            )
        return response


# --- The ledger: read-only for everyone ---------------------------------------------------


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """``balance`` is kept for accounts that hold money; the ledger sum is shown beside it
    (they always agree, and the world accounts keep no cached balance)."""

    list_display = ["code", "name", "kind", "shown_balance", "ledger_sum", "listing"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    list_select_related = ["listing"]
    fields = ["code", "name", "kind", "listing", "shown_balance", "ledger_sum", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ledger_total=Sum("lines__amount"))

    @admin.display(description=_("balance"))
    def shown_balance(self, account: Account) -> str:
        return format_cny(account.balance) if account.is_holding else "—"

    @admin.display(description=_("ledger sum"))
    def ledger_sum(self, account: Account) -> str:
        return format_cny(account.ledger_total or 0)


class LedgerLineInline(admin.TabularInline):
    model = LedgerLine
    extra = 0
    can_delete = False
    fields = ["account", "amount"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    """Append-only: a mistake is corrected by a reversing transaction, posted by a service."""

    list_display = [
        "reference",
        "kind",
        "memo",
        "external_reference",
        "listing",
        "fund",
        "campaign",
        "created_at",
        "created_by",
    ]
    list_filter = ["kind"]
    search_fields = ["reference", "external_reference", "memo"]
    list_select_related = ["listing", "fund", "campaign", "created_by"]
    date_hierarchy = "created_at"
    fields = [
        "reference",
        "kind",
        "memo",
        "external_reference",
        "listing",
        "pledge",
        "campaign",
        "fund",
        "reverses",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields
    inlines = [LedgerLineInline]
