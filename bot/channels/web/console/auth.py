"""Logging in and out of the console.

Failed logins are limited per login and address, per address, and per known device
(:mod:`bot.channels.web.login_throttle`): a stranger's guesses cannot lock the owner out.
The forms carry the session's CSRF token like every other console form.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
import asyncio
import contextlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.channels.web.client_address import client_address
from bot.channels.web.console.session import LOGIN_PATH, Console, require_csrf
from bot.channels.web.login_throttle import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_S,
    LoginThrottle,
    TooManyAttempts,
)
from handoff.errors import NotFound
from handoff.passwords import hash_password, needs_rehash, verify_password
from handoff.printable import printable

#: The longest login (the column's size).
MAX_LOGIN_CHARS = 64


def build_router(console: Console) -> APIRouter:
    """The login form and logout under ``/console`` (no login needed, CSRF checked)."""
    router = APIRouter(
        prefix="/console", include_in_schema=False, dependencies=[Depends(require_csrf)]
    )
    service = console.service
    store = service.store
    logins = LoginThrottle(
        service.secret_key,
        max_failures=service.settings.login_max_failures,
        window_s=service.settings.login_lockout_s,
    )
    secure_cookies = (service.settings.public_url or "").startswith("https://")
    hashing = service.settings.password_hashing

    def too_many_logins(request: Request, login: str, wait_s: int) -> Response:
        error = f"Too many failed logins. Try again in {-(-wait_s // 60)} min."
        context = {"login": login, "error": error}
        locked = console.render(request, "console_login.html", context, status=429)
        locked.headers["Retry-After"] = str(wait_s)
        return locked

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        if isinstance(request.session.get("agent_id"), int):
            return RedirectResponse("/console", status_code=303)
        return console.render(request, "console_login.html", {"login": ""})

    @router.post("/login", response_class=HTMLResponse)
    async def login_submit(
        request: Request,
        login: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        # Counted before the password is checked, with no await in between: parallel
        # attempts cannot all pass the check while the slow hash runs.
        try:
            attempt = logins.attempt(
                login, client_address(request), device_cookie=request.cookies.get(DEVICE_COOKIE)
            )
        except TooManyAttempts as exc:
            return too_many_logins(request, login, exc.retry_after_s)
        # A login with a control character (NUL is refused by PostgreSQL) or longer than any
        # login is nobody's; it is not sent to the database.
        lookup = login.strip()
        plausible = lookup.isprintable() and len(lookup) <= MAX_LOGIN_CHARS
        found = await store.agent_credentials(lookup) if plausible else None
        # Argon2 is slow on purpose: keep it off the event loop, and spend the same time
        # on an unknown login so response times do not reveal which logins exist.
        renewed: str | None = None
        if found is None:
            await asyncio.to_thread(hash_password, password, hashing)
            ok = False
        else:
            ok = await asyncio.to_thread(verify_password, found[1], password)
            if needs_rehash(found[1], hashing):
                # A hash made otherwise (a cheaper profile, say) checks in a fraction of the
                # time: spend the configured hash's time whatever the outcome, so that such
                # a login does not stand out, and keep the new hash if the password was right.
                renewed = await asyncio.to_thread(hash_password, password, hashing)
        if found is None or not ok or not found[0].active:
            # Escaped: the audit log is read on terminals, and PostgreSQL refuses NUL.
            actor = printable(lookup)[:128]  # the audit column's size
            await store.audit(actor=actor, action="login_failed", target="console")
            context = {"login": login, "error": "Wrong login or password."}
            return console.render(request, "console_login.html", context, status=401)
        logins.succeeded(attempt)
        agent = found[0]
        if renewed is not None:
            await store.set_password_hash(agent.id, renewed, end_sessions=False)
        # A fresh session (and CSRF token) on login: nothing from before carries over.
        request.session.clear()
        request.session["agent_id"] = agent.id
        request.session["epoch"] = agent.session_epoch
        request.session["csrf"] = secrets.token_urlsafe(32)
        await store.audit(actor=agent.login, action="login", target="console")
        welcome = RedirectResponse("/console", status_code=303)
        # This browser is now a known device of the login: its next attempts have a budget
        # of their own, which strangers at the same address cannot use up.
        welcome.set_cookie(
            DEVICE_COOKIE,
            logins.device_cookie(agent.login),
            max_age=DEVICE_MAX_AGE_S,
            path=LOGIN_PATH,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
        )
        return welcome

    @router.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        agent_id = request.session.get("agent_id")
        if isinstance(agent_id, int):
            # Ends the session on the server too: a copy of the cookie is worthless now.
            with contextlib.suppress(NotFound):
                await store.end_sessions(agent_id)
        request.session.clear()
        return RedirectResponse(LOGIN_PATH, status_code=303)

    return router
