from marketplace.views import disbursements, donor, funds_staff, ledger, public, staff

app_name = "marketplace"

urlpatterns = [
    *public.urlpatterns,
    *donor.urlpatterns,
    *staff.urlpatterns,
    *funds_staff.urlpatterns,
    *disbursements.urlpatterns,
    *ledger.urlpatterns,
]
