from projects.views import consultations, delivery, proposals

app_name = "projects"

urlpatterns = [*proposals.urlpatterns, *consultations.urlpatterns, *delivery.urlpatterns]
