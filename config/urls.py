from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts.views import healthz, livez
from marketplace.payments import views as payment_views

admin.site.site_header = "邻里 Linli"
admin.site.site_title = "邻里 Linli"

# Not translated: admins, documents, the language switch and health checks.
urlpatterns = [
    path("admin/", admin.site.urls),
    path("cms/admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    # Payment providers' notifications: signed, language-free.
    path("", include((payment_views.urlpatterns, "payments"))),
]

# Public and signed-in pages, under /zh-hans/ and /en/.
urlpatterns += i18n_patterns(
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("wishes.urls")),
    path("", include("marketplace.urls")),
    path("", include("stations.urls")),
    path("", include("feedback.urls")),
    path("", include("volunteers.urls")),
    path("", include("projects.urls")),
    # Wagtail serves the editorial pages and must come last: it matches every path.
    path("", include(wagtail_urls)),
    prefix_default_language=True,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
