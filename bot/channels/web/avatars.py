"""Agents' pictures, served to anyone: customers see them beside the agent's name.

An agent's picture is as public as their name, which every customer they talk to reads.
The address carries the picture's version (``?v=``): a browser keeps a versioned picture
for a year, and a new one has a new address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from bot.channels.web.files import FILE_POLICY
from handoff.errors import NotFound

if TYPE_CHECKING:
    from bot.service.composition import Service

AVATARS_PATH = "/avatars"
#: A versioned picture never changes under its address.
KEEP = "public, max-age=31536000, immutable"
#: Any other address of it (an old version, or none) is checked again each time.
CHECK = "no-cache"


def build_router(service: Service) -> APIRouter:
    """``GET /avatars/{agent_id}``: the agent's picture, or 404 when they have none."""
    router = APIRouter(include_in_schema=False)
    store = service.store

    @router.api_route(AVATARS_PATH + "/{agent_id}", methods=["GET", "HEAD"])
    async def avatar(
        agent_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
        v: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> Response:
        try:
            found = await store.agent_avatar(agent_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such picture") from exc
        return Response(
            found.data,
            media_type=found.content_type,
            headers={
                "Cache-Control": KEEP if v == found.version else CHECK,
                "Content-Disposition": "inline",
                "Content-Security-Policy": FILE_POLICY,
            },
        )

    return router
