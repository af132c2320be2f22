"""Demo giving: on the demo's published listings, a claim, pledges in each state, and money
received by bank transfer with its receipt. Idempotent; called by ``manage.py seed_demo``.
"""

from decimal import Decimal

from django.db import transaction

from accounts.models import Organisation, User
from marketplace import services
from marketplace.models import Claim, LineKind, Listing, ListingStatus, Pledge
from marketplace.payments import services as payments
from marketplace.payments.offline import offline_confirm


@transaction.atomic
def seed_giving() -> int:
    """Returns how many pledges were made (0 if there already are some)."""
    if Pledge.objects.exists() or Claim.objects.exists():
        return 0
    listings = list(Listing.objects.filter(status=ListingStatus.OPEN).order_by("pk"))
    if not listings:
        return 0
    donor = User.objects.get(email="donor@linli.local")
    company_admin = User.objects.get(email="company@linli.local")
    company = Organisation.objects.get(name="东莞华信电子有限公司")
    staff = User.objects.get(email="station.staff@linli.local")
    made = 0
    # The first listing: the company pledges half its money and pays by transfer; an
    # individual pledges anonymously and has not paid yet.
    first = listings[0]
    money = first.lines.filter(kind=LineKind.MONEY).first()
    if money is not None:
        half = (money.target / 2).quantize(Decimal("1"))
        paid = services.pledge_create(
            donor=company_admin, line=money, quantity=half, organisation=company
        )
        payment = payments.payment_start(pledge=paid, provider_id="offline")
        offline_confirm(actor=staff, payment=payment, receipt_number="ICBC-DEMO-0001")
        services.pledge_create(donor=donor, line=money, quantity=Decimal("100"), anonymous=True)
        made += 2
    # A second listing, if the demo has one: claimed whole by the individual donor.
    if len(listings) > 1:
        services.claim_create(donor=donor, listing=listings[1])
    return made
