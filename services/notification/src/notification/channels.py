"""The one interface every channel implements, and the e-mail channel (SMTP via aiosmtplib).

A sender turns one claimed delivery into a `SendOutcome`; it never raises for a provider
problem (that is a TransientFailure or PermanentFailure) and never touches the delivery log.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate
from typing import Protocol

import aiosmtplib

from notification.domain import (
    Channel,
    OutgoingMessage,
    PermanentFailure,
    SendOutcome,
    Sent,
    TransientFailure,
)
from notification.settings import SmtpSettings

logger = logging.getLogger(__name__)


class Sender(Protocol):
    channel: Channel

    async def send(self, message: OutgoingMessage) -> SendOutcome: ...


def build_email(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    """A multipart/alternative mail whose Message-ID is the delivery's, on every attempt."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address or ""
    mail["Subject"] = message.content["subject"]
    mail["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    mail["Message-ID"] = message.message_id
    mail["X-Notification-Id"] = str(message.notification_id)
    mail["X-Notification-Kind"] = message.kind.value
    mail.set_content(message.content["text"])
    mail.add_alternative(message.content["html"], subtype="html")
    return mail


class SmtpEmailSender:
    """Real SMTP. 5xx replies are permanent; connection problems, timeouts and 4xx are retried."""

    channel = Channel.EMAIL

    def __init__(self, settings: SmtpSettings) -> None:
        self._s = settings

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        s = self._s
        mail = build_email(message, sender=s.from_address)
        try:
            refused, reply = await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password.get_secret_value() if s.password else None,
                use_tls=s.use_tls,
                start_tls=s.start_tls,
                timeout=s.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return _by_code(min(codes, default=550), f"recipient refused: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            return _by_code(exc.code, f"SMTP {exc.code}: {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return TransientFailure(f"{type(exc).__name__}: {exc}")
        if refused:
            return PermanentFailure(f"recipient refused: {refused}")
        return Sent(provider_id=reply[:500])


def _by_code(code: int, error: str) -> SendOutcome:
    return PermanentFailure(error) if 500 <= code < 600 else TransientFailure(error)
