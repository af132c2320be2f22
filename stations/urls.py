from django.urls import path

from stations.views import shared
from stations.views import workspace as views

app_name = "stations"

urlpatterns = [
    path("staff/station/", views.workspace, name="workspace"),
    path("staff/station/listings/<int:pk>/", views.listing_delivery, name="listing_delivery"),
    path("staff/station/listings/<int:pk>/deliveries/", views.delivery_log, name="delivery_log"),
    path("staff/station/listings/<int:pk>/intake/", views.intake_record, name="intake_record"),
    path("staff/station/deliveries/<int:pk>/photos/", views.photo_upload, name="photo_upload"),
    path(
        "staff/station/deliveries/<int:pk>/attest/", views.delivery_attest, name="delivery_attest"
    ),
    path("staff/station/photos/<int:pk>/share/", views.photo_share, name="photo_share"),
    path("staff/station/photos/<str:token>/", views.photo, name="photo"),
    path("me/giving/impact/<int:pk>/", shared.impact, name="impact"),
    path("me/giving/impact/photos/<str:token>/", shared.shared_photo, name="shared_photo"),
]
