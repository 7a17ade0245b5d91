"""How many console logins may be tried, and by whom, without locking out the owner.

Three counts, each over the last ``window_s`` seconds:

* per login and address: ``max_failures`` attempts. A stranger guessing Maria's password
  uses up their own budget, not Maria's: the count is per pair, never per login.
* per address across logins: ``4 x max_failures``. Without it one address could try a
  common password against every login (password spraying) at ``max_failures`` each.
* per device: an agent's browser that logged in before carries a signed device cookie
  naming that login (OWASP's "device cookies"). An attempt with it counts only against
  that device's own budget, so the owner still gets in while strangers at the same
  address (one office, or everyone behind a proxy that ``trusted_proxies`` does not name)
  have used up the address's budget.

Every attempt is recorded before the password is checked, in one step with the check of
the limit (no await in between), so parallel attempts cannot all pass the check while the
slow hash runs; a successful login takes its attempt back. The counts live in the
process's memory (:class:`~bot.channels.throttle.SlidingWindow`).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Hashable
from dataclasses import dataclass

import itsdangerous

from bot.channels.throttle import Clock, SlidingWindow

#: The cookie that marks a browser an agent logged in from, sent to the login form only.
DEVICE_COOKIE = "helpline_device"
#: How long a device stays known without another login from it.
DEVICE_MAX_AGE_S = 30 * 24 * 60 * 60
#: The per-address budget, as a multiple of the per-login budget (an office's agents
#: mistyping together stay within it).
ADDRESS_FACTOR = 4


class TooManyAttempts(Exception):
    """The budget of this attempt is used up; ``retry_after_s`` says for how long."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many login attempts; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt, counted already; :meth:`LoginThrottle.succeeded` takes it back."""

    counted: tuple[tuple[SlidingWindow, Hashable], ...]
    #: Made from a browser this login logged in from before (a valid device cookie).
    known_device: bool


def fold_login(login: str) -> str:
    """The login as the throttle counts it: ``Maria`` and `` maria`` are one login."""
    return login.strip().casefold()


class LoginThrottle:
    """The console's login budgets (see the module docstring).

    Args:
        secret_key: the service's signing key (device cookies are signed with it).
        max_failures: attempts per login and address, and per device, in a window.
        window_s: the window, in seconds.
        clock: a monotonic clock for the windows (tests pass a fake one).
        wall_clock: seconds since the epoch, for the device cookie's age.
    """

    def __init__(
        self,
        secret_key: str,
        *,
        max_failures: int,
        window_s: float,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self._pairs = SlidingWindow(limit=max_failures, window_s=window_s, clock=clock)
        self._addresses = SlidingWindow(
            limit=ADDRESS_FACTOR * max_failures, window_s=window_s, clock=clock
        )
        self._devices = SlidingWindow(limit=max_failures, window_s=window_s, clock=clock)

        class Signer(itsdangerous.TimestampSigner):
            # The cookie's age on the injected clock, so a test need not wait 30 days.
            def get_timestamp(self) -> int:
                return int(wall_clock())

        self._signer = itsdangerous.URLSafeTimedSerializer(
            secret_key, salt="helpline.device", signer=Signer
        )

    def device_cookie(self, login: str) -> str:
        """A new device cookie for a browser that just logged in as ``login``."""
        return self._signer.dumps([fold_login(login), secrets.token_urlsafe(12)])

    def _device(self, cookie: str | None, login: str) -> str | None:
        """The device id of a valid cookie for ``login``, or None."""
        if not cookie or len(cookie) > 500:
            return None
        try:
            named, device = self._signer.loads(cookie, max_age=DEVICE_MAX_AGE_S)
        except (itsdangerous.BadData, ValueError, TypeError):
            return None
        if not isinstance(device, str) or named != fold_login(login):
            return None  # another login's device: the usual budgets apply
        return device

    def attempt(self, login: str, address: str, *, device_cookie: str | None) -> Attempt:
        """Count one attempt to log in as ``login`` from ``address``.

        Raises:
            TooManyAttempts: the budget that applies is used up; nothing is counted.
        """
        device = self._device(device_cookie, login)
        if device is not None:
            return Attempt(counted=(self._take(self._devices, device),), known_device=True)
        pair = self._take(self._pairs, (fold_login(login), address))
        try:
            from_address = self._take(self._addresses, address)
        except TooManyAttempts:
            self._pairs.undo(pair[1])
            raise
        return Attempt(counted=(pair, from_address), known_device=False)

    @staticmethod
    def _take(window: SlidingWindow, key: Hashable) -> tuple[SlidingWindow, Hashable]:
        if not window.hit(key):
            raise TooManyAttempts(window.retry_after(key))
        return window, key

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the attempt does not count, nor earlier failures of
        the same login from the same place."""
        for window, key in attempt.counted:
            if window is self._addresses:
                window.undo(key)
            else:
                window.clear(key)
