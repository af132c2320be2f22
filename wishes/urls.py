from wishes.views import files, public, staff

app_name = "wishes"

urlpatterns = [*public.urlpatterns, *staff.urlpatterns, *files.urlpatterns]
