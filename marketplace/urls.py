from marketplace.views import donor, public, staff

app_name = "marketplace"

urlpatterns = [*public.urlpatterns, *donor.urlpatterns, *staff.urlpatterns]
