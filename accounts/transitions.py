"""Explicit state machines: one table of allowed moves per lifecycle, one way to move.

    INVITATION = Workflow("invitation", {PENDING: {ACCEPTED, REVOKED, EXPIRED}})
    INVITATION.move(invitation, ACCEPTED, actor=user, reason="…", region=…)

``move`` refuses a move that is not in the table, saves only the status (and any extra
fields the caller changed), and writes an audit event recording who, when, from, to and why.
The caller holds the row lock (``select_for_update``) inside ``transaction.atomic``.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models

from accounts import audit
from accounts.errors import InvalidTransition
from accounts.models import AuditEvent, Region


class Workflow:
    def __init__(
        self, name: str, moves: Mapping[str, Iterable[str]], *, field: str = "status"
    ) -> None:
        self.name = name
        self.field = field
        self.moves: dict[str, frozenset[str]] = {
            str(k): frozenset(map(str, v)) for k, v in moves.items()
        }

    def allowed(self, current: str) -> frozenset[str]:
        return self.moves.get(str(current), frozenset())

    def can(self, obj: models.Model, to: str) -> bool:
        return str(to) in self.allowed(getattr(obj, self.field))

    def move(
        self,
        obj: models.Model,
        to: str,
        *,
        actor,
        reason: str = "",
        region: Region | None = None,
        data: dict[str, Any] | None = None,
        update_fields: Iterable[str] = (),
    ) -> AuditEvent:
        """Move *obj* to status *to*; save; record it.

        Raises:
            InvalidTransition: *to* is not an allowed move from the current status.
        Caller must hold the row lock on *obj*.
        """
        current = getattr(obj, self.field)
        if not self.can(obj, to):
            display = getattr(obj, f"get_{self.field}_display", lambda: current)()
            raise InvalidTransition(current=display)
        setattr(obj, self.field, to)
        obj.save(update_fields=[self.field, *update_fields])
        return audit.record(
            actor=actor,
            verb=f"{self.name}.{to}",
            target=obj,
            region=region,
            reason=reason,
            data={"from": str(current), "to": str(to), **(data or {})},
        )
