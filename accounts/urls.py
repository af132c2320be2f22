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
    path(
        "orgs/<int:pk>/members/<int:member_pk>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path(
        "orgs/<int:pk>/members/<int:member_pk>/admin/",
        views.membership_admin,
        name="membership_admin",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("stations/", views.station_list, name="stations"),
    path("stations/<int:pk>/", views.station_detail, name="station"),
    path("staff/", views.workspace, name="workspace"),
    path("staff/regions/<int:pk>/", views.region_detail, name="region"),
    path("staff/regions/<int:pk>/roles/", views.region_role_assign, name="region_role_assign"),
    path("staff/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("staff/audit/", views.audit_log, name="audit"),
]
