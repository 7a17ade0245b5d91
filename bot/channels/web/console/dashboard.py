"""The console's dashboard: how the desk did over a period, with charts. Admins only.

The figures come from :mod:`handoff.stats` over the store's rows of the period; the top
unanswered questions are grouped exactly as ``helpline kb gaps`` groups them. Charts are
inline SVG drawn on the server: the console's Content-Security-Policy allows no inline
script, and a bar chart needs none.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined inside build_router, which must resolve in that local scope.
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from bot.channels.web.console.desk import minutes
from bot.channels.web.console.session import Console
from bot.desk.knowledge_gaps import gaps, unanswered_questions
from handoff.model import Agent
from handoff.office_hours import zone
from handoff.reasons import reason_sentence
from handoff.stats import desk_figures

if TYPE_CHECKING:
    pass

DEFAULT_DAYS = 7
MAX_DAYS = 366
TOP_GAPS = 10

#: The size of a chart in SVG user units (it scales with the page).
CHART_WIDTH, CHART_HEIGHT = 640, 180
#: A phone's charts are drawn narrower, about as many units as the screen has pixels: the
#: wide ones, shrunk to a phone's width, would have text a few pixels high.
PHONE_CHART_WIDTH = 360
LABEL_HEIGHT = 16
#: The most day labels under a chart, wide and on a phone.
DAY_LABELS, PHONE_DAY_LABELS = 14, 7


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of a chart, in SVG user units."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def column_chart(items: list[tuple[str, int]], *, width: float = CHART_WIDTH) -> list[Bar]:
    """Vertical bars for a series (e.g. handoffs per day), scaled to the largest value."""
    if not items:
        return []
    top = max(value for _, value in items) or 1
    slot = width / len(items)
    room = CHART_HEIGHT - 2 * LABEL_HEIGHT
    bars = []
    for n, (label, value) in enumerate(items):
        height = room * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(n * slot + slot * 0.15, 1),
                y=round(LABEL_HEIGHT + room - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
            )
        )
    return bars


def row_chart(items: list[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars for categories (e.g. handoffs per reason), scaled to the largest."""
    if not items:
        return []
    top = max(value for _, value in items) or 1
    # The labels are sentences (the longest reason has 48 characters): they get a
    # little under half the width, the bars and their counts the rest.
    room = CHART_WIDTH * 0.45
    return [
        Bar(
            label=label,
            value=value,
            x=CHART_WIDTH * 0.48,
            y=n * (LABEL_HEIGHT + 8),
            width=round(max(room * value / top, 1.0), 1),
            height=LABEL_HEIGHT,
        )
        for n, (label, value) in enumerate(items)
    ]


def labelled_row_chart(items: list[tuple[str, int]]) -> list[Bar]:
    """Horizontal bars for a phone, each under its label (a sentence needs the whole width)."""
    if not items:
        return []
    top = max(value for _, value in items) or 1
    room = PHONE_CHART_WIDTH * 0.85
    return [
        Bar(
            label=label,
            value=value,
            x=0,
            y=n * (2 * LABEL_HEIGHT + 8) + LABEL_HEIGHT,
            width=round(max(room * value / top, 1.0), 1),
            height=LABEL_HEIGHT,
        )
        for n, (label, value) in enumerate(items)
    ]


def every(count: int, most: int) -> int:
    """Label every how-many-th bar of ``count`` so that at most ``most`` are labelled."""
    return max(1, -(-count // most))


def build_router(console: Console) -> APIRouter:
    """The dashboard under ``/console/admin/dashboard``.

    Args:
        console: the console's service, templates and session checks.

    Returns:
        A router whose page answers 403 to agents who are not admins.
    """
    router = console.router("/console/admin")
    service = console.service
    store = service.store
    local = zone(service.settings.time_zone)
    Admin = Annotated[Agent, Depends(console.admin("see the dashboard"))]  # noqa: N806 (a type alias)

    @router.get("/dashboard", response_class=HTMLResponse)
    async def dashboard(
        request: Request,
        agent: Admin,
        days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
    ) -> HTMLResponse:
        until = datetime.now(UTC)
        since = until - timedelta(days=days)
        figures = desk_figures(
            await store.period_activity(since=since, until=until), time_zone=local
        )
        # Grouping compares questions with each other: only the latest ones are grouped, so
        # that a flood of unanswered messages cannot make each visit cost seconds.
        latest = service.settings.dashboard_gap_questions
        questions = unanswered_questions(await store.unanswered_messages(since=since, limit=latest))
        # Grouping is CPU work (vectors, similarities): keep it off the event loop.
        top_gaps = (await asyncio.to_thread(gaps, questions))[:TOP_GAPS]
        names = {a.id: a.name for a in await store.list_agents()}
        days_of = [(f"{d:%d %b}", n) for d, n in figures.per_day]
        reasons = [(reason_sentence(r), n) for r, n in figures.by_reason]
        context: dict[str, Any] = {
            "agent": agent,
            "days": days,
            "since": since.astimezone(local),
            "until": until.astimezone(local),
            "time_zone": service.settings.time_zone,
            "figures": figures,
            "median_wait": minutes(figures.median_wait_s),
            "satisfaction": [
                ("Bot" if s.agent_id is None else names.get(s.agent_id, f"#{s.agent_id}"), s)
                for s in figures.by_agent
            ],
            "gaps": top_gaps,
            "chart": {
                "width": CHART_WIDTH,
                "phone_width": PHONE_CHART_WIDTH,
                "height": CHART_HEIGHT,
                "label": LABEL_HEIGHT,
            },
            "per_day": column_chart(days_of),
            "label_every": every(len(days_of), DAY_LABELS),
            "per_day_phone": column_chart(days_of, width=PHONE_CHART_WIDTH),
            "phone_label_every": every(len(days_of), PHONE_DAY_LABELS),
            "per_reason": row_chart(reasons),
            "per_reason_phone": labelled_row_chart(reasons),
        }
        return console.render(request, "console_dashboard.html", context)

    return router
