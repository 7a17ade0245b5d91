"""The console's admin pages: status notices (post, see, end). Admins only.

Sessions, CSRF tokens and the logged-in agent come from
:mod:`~bot.channels.web.console.session`; notices are posted and ended through
:mod:`bot.desk.notice_board`, the same path as the command line.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined inside build_router, which must resolve in that local scope.
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.channels.web.console.session import Console
from bot.desk.notice_board import CHANNELS, NoticeRejected, end_notice, parse_when
from bot.desk.notice_board import post_notice as post_to_board
from handoff.errors import NotFound
from handoff.model import Agent, Notice
from handoff.notices import PLACEHOLDERS, Audience, NoticeState, notice_state
from handoff.office_hours import zone

if TYPE_CHECKING:
    pass

NOTICES_PATH = "/console/admin/notices"
#: Ended notices stay on the page this long, for reference.
SHOW_ENDED_FOR = timedelta(days=7)

ShortField = Annotated[str, Form(max_length=100)]
TextField = Annotated[str, Form(max_length=2000)]


def build_router(console: Console) -> APIRouter:
    """The admin routes under ``/console/admin``.

    Args:
        console: the console's service, templates and session checks.

    Returns:
        A router whose pages answer 403 to agents who are not admins.
    """
    router = console.router("/console/admin")
    service = console.service
    store = service.store
    settings = service.settings
    local = zone(settings.time_zone)
    Admin = Annotated[Agent, Depends(console.admin("manage notices"))]  # noqa: N806 (a type alias)

    def row(notice: Notice, now: datetime) -> dict[str, Any]:
        state = notice_state(notice, now)
        audience = Audience.parse(notice.audience) if notice.audience else Audience()
        return {
            "id": notice.id,
            "state": state.value,
            "may_end": state is not NoticeState.ENDED,
            "starts": f"{notice.starts_at.astimezone(local):%Y-%m-%d %H:%M}",
            "ends": ""
            if notice.ends_at is None
            else f"{notice.ends_at.astimezone(local):%Y-%m-%d %H:%M}",
            "team": settings.team_name(audience.team) or audience.team or "all teams",
            "channel": audience.channel or "all channels",
            "texts": sorted(notice.texts.items()),
        }

    async def notices_page(
        request: Request,
        agent: Agent,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        now = datetime.now(UTC)
        notices = await store.list_notices(since=now - SHOW_ENDED_FOR)
        context = {
            "agent": agent,
            "error": error,
            "notices": [row(n, now) for n in notices],
            "teams": settings.teams,
            "channels": CHANNELS,
            "placeholders": PLACEHOLDERS,
            "time_zone": settings.time_zone,
            "form": form or {"starts": "now", "ends": "4h"},
        }
        return console.render(request, "console_notices.html", context, status=status)

    @router.get("/notices", response_class=HTMLResponse)
    async def notices(request: Request, agent: Admin) -> HTMLResponse:
        return await notices_page(request, agent)

    @router.post("/notices", response_class=HTMLResponse)
    async def post_notice(
        request: Request,
        agent: Admin,
        text_en: TextField = "",
        text_da: TextField = "",
        starts: ShortField = "now",
        ends: ShortField = "",
        team: ShortField = "",
        channel: ShortField = "",
    ) -> Response:
        texts = {"en": text_en, "da": text_da}
        form = {"starts": starts, "ends": ends, "team": team, "channel": channel, **texts}
        if team and settings.team_name(team) is None:
            return await notices_page(request, agent, error="Unknown team.", form=form, status=422)
        now = datetime.now(UTC)
        try:
            starts_at = parse_when(starts or "now", now=now, time_zone=local)
            await post_to_board(
                store,
                texts=texts,
                starts_at=starts_at,
                ends_at=parse_when(ends, now=starts_at, time_zone=local),
                audience=Audience(team=team or None, channel=channel or None),
                actor=f"agent:{agent.login}",
            )
        except NoticeRejected as exc:
            return await notices_page(request, agent, error=exc.reason, form=form, status=422)
        return RedirectResponse(NOTICES_PATH, status_code=303)

    @router.post("/notices/{notice_id}/end")
    async def end(request: Request, notice_id: int, agent: Admin) -> RedirectResponse:
        try:
            await end_notice(store, notice_id, now=datetime.now(UTC), actor=f"agent:{agent.login}")
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such notice") from exc
        return RedirectResponse(NOTICES_PATH, status_code=303)

    return router
