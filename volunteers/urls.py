from django.urls import path

from volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("volunteer/profile/", views.profile, name="profile"),
    path("volunteer/shifts/", views.shifts, name="shifts"),
    path("volunteer/shifts/<int:pk>/signup/", views.signup, name="signup"),
    path("volunteer/signups/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("volunteer/hours/", views.my_hours, name="my_hours"),
    path("volunteer/certificate/", views.certificate, name="certificate"),
    path("staff/shifts/", views.station_shifts, name="station_shifts"),
    path("staff/shifts/<int:pk>/", views.shift, name="shift"),
    path("staff/shifts/<int:pk>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("staff/shifts/<int:pk>/complete/", views.shift_complete, name="shift_complete"),
    path("staff/shift-signups/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("staff/shift-signups/<int:pk>/check-out/", views.check_out, name="check_out"),
    path("staff/shift-signups/<int:pk>/verify/", views.verify, name="verify"),
    path("staff/volunteer-hours/", views.totals, name="totals"),
    path("staff/volunteer-hours.csv", views.totals_csv, name="totals_csv"),
]
