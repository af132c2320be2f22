"""The domain error base class: every app's ``exceptions.py`` subclasses it.

A domain error carries a translatable message, a stable machine-readable code and the HTTP
status a view should answer with; ``accounts.middleware.DomainErrorMiddleware`` turns an
uncaught one into a translated 4xx page, never a 500.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _


class LinliError(Exception):
    """Base class of all expected, user-facing failures."""

    code: str = "error"
    status: int = 400
    message: Any = _("The request could not be completed.")

    def __init__(self, message: Any = None, *, code: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.params = params
        super().__init__(str(self))

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


class NotPermitted(LinliError):
    """The actor may not do this here (answered as 403)."""

    code = "not_permitted"
    status = 403
    message = _("You are not allowed to do this.")


class InvalidTransition(LinliError):
    """A status change that the lifecycle's table of moves does not allow (409)."""

    code = "invalid_transition"
    status = 409
    message = _("This cannot be done while it is %(current)s.")


class Conflict(LinliError):
    """The thing changed under us, or is already taken (409)."""

    code = "conflict"
    status = 409
    message = _("Someone else changed this first. Please reload and try again.")
