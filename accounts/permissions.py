"""One question, answered everywhere alike: may this user do X in region R?

A user's active role assignments are read once (one query) and kept on the user object for
the rest of the request; every further check is a string prefix test on region paths, so a
page that checks a hundred rows still costs one query.
"""

from dataclasses import dataclass

from django.db.models import Q

from accounts.models import Region, RoleAssignment
from accounts.roles import ROLE_PERMS, Perm

_CACHE_ATTR = "_linli_scopes"


@dataclass(frozen=True, slots=True)
class Scope:
    role: str
    region_id: int
    path: str

    def grants(self, perm: Perm) -> bool:
        return perm in ROLE_PERMS.get(self.role, ())


def scopes(user) -> tuple[Scope, ...]:
    """The user's active role assignments (one query per user object, then cached)."""
    if not getattr(user, "is_authenticated", False):
        return ()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        rows = (
            RoleAssignment.objects.active()
            .filter(user=user)
            .values_list("role", "region_id", "region__path")
        )
        cached = tuple(Scope(role, region_id, path) for role, region_id, path in rows)
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_scopes(user) -> None:
    """Drop the cached scopes (after the user's roles changed)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _path(region: Region | str) -> str:
    return region if isinstance(region, str) else region.path


def has_perm(user, perm: Perm, region: Region | str) -> bool:
    """True if *user* holds a role granting *perm* over *region* or a region above it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    path = _path(region)
    return any(s.grants(perm) and path.startswith(s.path) for s in scopes(user))


def has_perm_anywhere(user, perm: Perm) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(s.grants(perm) for s in scopes(user))


def scope_paths(user, perm: Perm) -> list[str]:
    """The top-most region paths where *user* has *perm* (nested ones folded away)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return ["/"]
    paths = sorted({s.path for s in scopes(user) if s.grants(perm)})
    tops: list[str] = []
    for p in paths:
        if not any(p.startswith(t) for t in tops):
            tops.append(p)
    return tops


def region_q(user, perm: Perm, field: str = "region") -> Q:
    """A filter for rows whose region (reached by *field*) lies in the user's scope for *perm*.

    Matches nothing when the user has no such scope.
    """
    paths = scope_paths(user, perm)
    if not paths:
        return Q(pk__in=[])
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q()
    for p in paths:
        q |= Q(**{lookup: p})
    return q
