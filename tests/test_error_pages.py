"""Error pages speak the visitor's language and never show a traceback."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "lang", "heading"),
    [("/zh-hans", "zh-hans", "页面不存在"), ("/en", "en", "Page not found")],
)
def test_404_is_translated(client, prefix, lang, heading):
    response = client.get(f"{prefix}/staff/regions/999999/")
    missing = client.get(f"{prefix}/no-such-page-here/")
    assert missing.status_code == 404
    assert f'lang="{lang}"' in missing.text and heading in missing.text
    assert response.status_code == 302  # a protected page asks for sign-in first


@pytest.mark.parametrize(
    ("lang", "heading"), [("zh-hans", "出错了"), ("en", "Something went wrong")]
)
def test_500_page_renders_without_context(lang, heading):
    request = RequestFactory().get("/")
    with translation.override(lang):
        response = server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert heading in body and "Traceback" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "heading"), [("zh-hans", "无权访问"), ("en", "Not allowed")])
def test_403_is_translated(lang, heading):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = RequestFactory().get(f"/{lang}/")
    request.user = AnonymousUser()
    with translation.override(lang):
        response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403 and heading in response.content.decode()
