"""Rate limits on claiming and pledging, per user and per client address.

Fixed one-minute windows counted in Django's cache (``cache.add`` then ``cache.incr``, both
atomic on Redis and Memcached). A limit is a brake on scripted abuse, not a guarantee: the
cap on open unpaid pledges (in the service) is the hard rule.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import LinliError
from accounts.middleware import client_ip

WINDOW_SECONDS = 60


class RateLimited(LinliError):
    code = "rate_limited"
    status = 429
    message = _("You are doing that too often. Please wait a minute and try again.")


def _limits() -> tuple[int, int]:
    return (
        getattr(settings, "GIVING_RATE_PER_USER", 10),
        getattr(settings, "GIVING_RATE_PER_IP", 30),
    )


def _hit(key: str) -> int:
    if cache.add(key, 1, timeout=WINDOW_SECONDS + 5):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS + 5)
        return 1


def current_window() -> int:
    """The number of the current one-minute window (tests pin it)."""
    return int(timezone.now().timestamp()) // WINDOW_SECONDS


def check(request: HttpRequest, scope: str = "give") -> None:
    """Count one attempt by this user and this address in the current minute.

    Raises:
        RateLimited: either count is over its limit.
    """
    per_user, per_ip = _limits()
    window = current_window()
    over = False
    if request.user.is_authenticated:
        over |= _hit(f"rl:{scope}:u:{request.user.pk}:{window}") > per_user
    ip = client_ip(request)
    if ip:
        over |= _hit(f"rl:{scope}:ip:{ip}:{window}") > per_ip
    if over:
        raise RateLimited()
