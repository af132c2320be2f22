"""Request-level plumbing: audit context, admin CSP, and domain errors as 4xx pages."""

from django.conf import settings
from django.shortcuts import render

from accounts import audit
from accounts.errors import LinliError


def client_ip(request) -> str | None:
    """The client's address. Behind ``TRUSTED_PROXIES`` proxies that each append to
    X-Forwarded-For, the entry that many places from the right (the client as the outermost
    proxy saw it); anything further left was written by the client and is not trusted.
    """
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Makes the client's address available to :func:`accounts.audit.record`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = audit.current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            audit.current_ip.reset(token)


class AdminCSPMiddleware:
    """Gives the Django and Wagtail admins their looser policy (they use inline code).

    Sits after ``ContentSecurityPolicyMiddleware`` so that its response hook runs first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(settings.ADMIN_PATH_PREFIXES):
            response._csp_config = settings.ADMIN_CSP
        return response


class DomainErrorMiddleware:
    """An uncaught :class:`LinliError` becomes a translated page with its 4xx status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, LinliError):
            return render(
                request, "domain_error.html", {"error": exception}, status=exception.status
            )
        return None
