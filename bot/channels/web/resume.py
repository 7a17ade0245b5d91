"""Resume links: a mailed link that lets a web customer go on with their conversation.

A web customer is known by a bearer token kept in their browser. A reply mailed to them
(``bot.desk.reply_mail``) carries a link that opens the chat elsewhere (another device, a
new tab) on the same conversation. The link is:

* **signed** with the service's key, so nobody can make one up;
* **single-purpose**: its own salt, so neither a stream ticket nor a console cookie
  passes for one, and it opens nothing but the chat's exchange;
* **expiring** after ``resume_link_days``;
* **kept out of logs**: it travels in the URL's fragment (``/#resume=...``), which browsers
  never send to the server (nor in a Referer); the chat page posts it in a request body and
  takes it out of the address bar at once.

Exchanged, it gives a new bearer token of the same customer (stored as a digest like the
first one), so the first browser keeps its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

import itsdangerous

#: The fragment's key on the chat page.
FRAGMENT_KEY = "resume"
_SALT = "helpline.chat.resume-link"


class ResumeRefused(Exception):
    """The link is forged, malformed or expired."""


def _clocked(clock: Callable[[], float]) -> type[itsdangerous.TimestampSigner]:
    """A signer that stamps and ages on ``clock`` (tests move it; the service's is real)."""

    class Signer(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return Signer


class ResumeLinks:
    """Issues and checks resume links.

    Args:
        secret_key: the service's signing key (set it, or links die with the process).
        max_age_s: how long a link works.
        clock: seconds since the epoch (what the signature's time stamp counts in).
    """

    def __init__(
        self, secret_key: str, *, max_age_s: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._serializer = itsdangerous.URLSafeTimedSerializer(
            secret_key, salt=_SALT, signer=_clocked(clock)
        )
        self.max_age_s = max_age_s

    def token(self, customer_id: int) -> str:
        """The signed part of a link for ``customer_id``, stamped now."""
        return self._serializer.dumps([customer_id])

    def url(self, public_url: str, customer_id: int, language: str) -> str:
        """The whole link: the chat page in ``language`` with the token in its fragment."""
        base = public_url.rstrip("/")
        return f"{base}/?lang={quote(language)}#{FRAGMENT_KEY}={self.token(customer_id)}"

    def redeem(self, token: str) -> int:
        """The customer a link names.

        Raises:
            ResumeRefused: forged, malformed or expired (or stamped in the future).
        """
        try:
            payload = self._serializer.loads(token, max_age=self.max_age_s)
        except (itsdangerous.BadData, ValueError, TypeError) as exc:
            raise ResumeRefused from exc
        if not isinstance(payload, list) or len(payload) != 1 or type(payload[0]) is not int:
            raise ResumeRefused
        return int(payload[0])
