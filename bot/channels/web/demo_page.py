"""A page to try the chat widget on, served by Helpline itself at ``/demo``.

The ``web_demo_page`` setting names an ordinary site's page (the sample deployment's
``widget-demo.html``); served from Helpline's own origin, its one ``<script
src="/widget.js">`` line loads the widget from the running service, whatever its address
and port, and the chat's frame is same-origin, so no ``web_embed_origins`` is needed.
"""

from __future__ import annotations

import stat
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from bot.errors import ConfigError

DEMO_PATH = "/demo"
#: A demo page is a small HTML file; anything larger is not one.
MAX_DEMO_BYTES = 256 * 1024
#: The site's page may style itself inline (it stands for any site), loads scripts only from
#: Helpline, and frames only Helpline's chat page.
DEMO_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "frame-src 'self'",
        "connect-src 'self'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)


def read_demo_page(path: Path) -> str:
    """The demo page's HTML, read once at start.

    Raises:
        ConfigError: the file is missing, not a regular file, too large or not UTF-8.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"web_demo_page: {path} is not a file")
        if info.st_size > MAX_DEMO_BYTES:
            raise ConfigError(f"web_demo_page: {path} is over {MAX_DEMO_BYTES // 1024} KiB")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"web_demo_page: cannot read {path}: {exc}") from exc


def build_router(path: Path) -> APIRouter:
    """The route serving the page at ``path`` as ``/demo``."""
    html = read_demo_page(path)
    router = APIRouter(include_in_schema=False)

    @router.api_route(DEMO_PATH, methods=["GET", "HEAD"])
    async def demo() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": DEMO_POLICY})

    return router
