"""The one way to write the audit trail. Every service calls :func:`record`.

The client IP comes from :mod:`accounts.middleware.AuditContextMiddleware` through a
context variable, so services need no request object.
"""

from contextvars import ContextVar
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from accounts.models import AuditEvent, Region

current_ip: ContextVar[str | None] = ContextVar("linli_current_ip", default=None)


def record(
    *,
    actor,
    verb: str,
    target: models.Model | None = None,
    region: Region | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction of the change it records.

    *data* must never hold recipients' personal data: it is shown to supervisors and in
    the admin; refer to private records by id only.
    """
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_label=(actor.email if authenticated else "system")[:254],
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        region=region,
        reason=reason,
        data=data or {},
        ip=current_ip.get(),
    )
