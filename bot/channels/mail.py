"""Sending e-mail over SMTP with aiosmtplib (the only module that imports it).

The password is handed to aiosmtplib and never formatted into a message or a log line;
errors are translated into :class:`MailFailed`, whose text comes from the server's reply
or the network error, not from our settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from bot.errors import BotError

#: Seconds an SMTP conversation may take before it counts as failed (and is retried).
TIMEOUT_S = 30.0


class MailFailed(BotError):
    """A mail was not sent.

    Attributes:
        reason: what went wrong, for the log (no secret in it).
        permanent: retrying cannot help (the server refused the recipient for good).
    """

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(f"mail not sent: {reason}")
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True, slots=True, repr=False)
class SmtpServer:
    """Where and how to send (``repr`` left out: it would show the password)."""

    host: str
    port: int
    security: Literal["starttls", "ssl", "none"]
    username: str | None = None
    password: str | None = None


class SmtpMailer:
    """Sends messages through one SMTP server, one connection per message.

    Args:
        server: the server and its login.
        timeout_s: how long one SMTP conversation may take.
    """

    def __init__(self, server: SmtpServer, *, timeout_s: float = TIMEOUT_S) -> None:
        self._server = server
        self._timeout_s = timeout_s

    async def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its ``To`` address.

        Raises:
            MailFailed: the server could not be reached or refused the message.
        """
        server = self._server
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.security == "ssl",
                start_tls=server.security == "starttls",
                timeout=self._timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = {error.code for error in exc.recipients}
            raise MailFailed(
                f"recipient refused ({', '.join(map(str, sorted(codes)))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise MailFailed(f"server answered {exc.code} {exc.message}") from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailFailed(f"{type(exc).__name__}: {exc}") from None
