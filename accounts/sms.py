"""Sending text messages. One interface, backends chosen by ``SMS_BACKEND``.

No SMS gateway is integrated yet: the console backend prints, the locmem backend keeps the
messages for tests (``accounts.sms.outbox``). A gateway backend subclasses :class:`SmsBackend`.
"""

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextMessage:
    to: str
    body: str


outbox: list[TextMessage] = []


class SmsBackend:
    def send(self, message: TextMessage) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Prints the message (development). The number is masked: logs must not collect phones."""

    def send(self, message: TextMessage) -> None:
        masked = (
            message.to[:-4].replace(message.to[3:-4], "****") + message.to[-4:]
            if len(message.to) > 7
            else "****"
        )
        sys.stdout.write(f"[SMS to {masked}] {message.body}\n")


class LocmemSmsBackend(SmsBackend):
    """Keeps messages in :data:`outbox` (tests)."""

    def send(self, message: TextMessage) -> None:
        outbox.append(message)


def send_sms(to: str, body: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(TextMessage(to=to, body=body))
