"""Replies by e-mail to a web customer who has left: the address, its state, the retry rule.

A web customer may leave an e-mail address when the desk is closed or the wait is long.
When an agent replies and the customer's open chat does not receive the reply (no stream
of theirs, in any process, delivered it), the reply is mailed to that address after a
short delay, several replies of a burst in one mail. The state that makes this exact lives
in the store, one row per customer who was asked (:class:`ReplyMailState`):

* ``seen_through``: the latest message an open chat of the customer received (any process
  records it when its stream delivers a reply), so a reply read in the chat is never mailed;
* ``mailed_through``: the latest reply already mailed;
* ``sending_through``: a mail being sent now; claimed (a conditional update) before the
  SMTP conversation starts and cleared when it ended, so two processes or two timer ticks
  never send the same replies twice. A claim left by a process that died in the middle is
  taken as sent (it may have been): a customer gets a reply once or, rarely, not by mail,
  but never twice.

Pure: no I/O. The store keeps the rows (:mod:`handoff.store.reply_mail`), the desk's
timer sends (``bot.desk.reply_mail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from handoff.errors import HandoffError

#: Attempts at sending one mail before it is given up (logged for the operator).
MAX_ATTEMPTS = 8
#: The first retry waits this long; each next one twice as long, up to :data:`MAX_BACKOFF`.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
#: A send claimed longer ago than this was cut short (the process stopped): taken as sent.
STALE_CLAIM = timedelta(minutes=15)
#: RFC 5321's limit for a whole address.
MAX_ADDRESS_CHARS = 254


class InvalidAddress(HandoffError):
    """The customer's text is not an e-mail address we can send to.

    Attributes:
        reason: the validator's explanation, for logs (the customer gets a phrase).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"not an e-mail address: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ReplyMailState:
    """What the store keeps about mailing one customer's replies.

    Attributes:
        customer_id: whose.
        address: where to mail replies; None when the customer skipped the question.
        asked_at: when the customer was asked (they are asked once).
        seen_through: the latest message id an open chat of theirs received.
        mailed_through: the latest reply id already mailed.
        sending_through: the latest reply id of a mail being sent now, if any.
        sending_since: when that send was claimed.
        attempts: failed attempts at the pending mail.
    """

    customer_id: int
    address: str | None
    asked_at: datetime
    seen_through: int = 0
    mailed_through: int = 0
    sending_through: int | None = None
    sending_since: datetime | None = None
    attempts: int = 0

    @property
    def handled_through(self) -> int:
        """Replies up to this id need no mail: read in the chat, or mailed already."""
        return max(self.seen_through, self.mailed_through)


def check_address(text: str) -> str:
    """The address in ``text``, normalised, if it is one we can send to.

    Only the syntax is checked (no DNS look-up: that would make the customer wait on the
    network, and a typo in a real domain passes it anyway).

    Raises:
        InvalidAddress: it is not a valid address.
    """
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_ADDRESS_CHARS:
        raise InvalidAddress("empty or too long")
    try:
        valid = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(str(exc)) from None
    return valid.normalized


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next attempt after ``attempts`` failed ones (1, 2, 4...
    minutes, at most an hour)."""
    wait: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)
