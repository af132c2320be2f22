from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("me/", views.dashboard, name="dashboard"),
    path("me/profile/", views.profile_edit, name="profile"),
    path("orgs/<int:pk>/", views.organisation_detail, name="organisation"),
    path("orgs/<int:pk>/invite/", views.organisation_invite, name="organisation_invite"),
    path(
        "orgs/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("stations/", views.station_list, name="stations"),
    path("stations/<int:pk>/", views.station_detail, name="station"),
    path("staff/", views.workspace, name="workspace"),
    path("staff/regions/<int:pk>/", views.region_detail, name="region"),
    path("staff/audit/", views.audit_log, name="audit"),
]
