"""The sample page to try the widget on, served by Helpline at ``/demo``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from bot.channels.web.demo_page import DEMO_POLICY, read_demo_page
from bot.errors import ConfigError
from bot.service.composition import Service
from bot.service.server import banner
from bot.settings.model import Settings, load_settings

DEMO_PAGE = Path(__file__).resolve().parents[3] / "examples" / "it-helpdesk" / "widget-demo.html"


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment, serving the sample page."""
    return web_settings.model_copy(update={"web_demo_page": DEMO_PAGE})


async def test_the_demo_page_loads_the_widget_from_the_service_that_serves_it(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/demo")
    assert (response.status_code, response.headers["content-security-policy"]) == (
        200,
        DEMO_POLICY,
    )
    assert '<script src="/widget.js" data-lang="en" async></script>' in response.text


async def test_the_demo_page_answers_head_for_uptime_monitors(http: httpx.AsyncClient) -> None:
    assert (await http.head("/demo")).status_code == 200


def test_the_sample_deployment_serves_the_demo_page() -> None:
    sample = DEMO_PAGE.parent / "helpline.toml"
    settings = load_settings(environ={}, config_file=sample)
    assert settings.web_demo_page == DEMO_PAGE


@pytest.mark.parametrize(
    "make",
    [
        lambda path: None,
        Path.mkdir,
        lambda path: path.write_text("x" * (300 * 1024), encoding="utf-8"),
        lambda path: path.write_bytes(b"\xff\xfe\x00<html>"),
    ],
    ids=["missing", "folder", "large", "not-utf8"],
)
def test_a_demo_page_that_is_no_page_stops_the_start(
    tmp_path: Path, make: Callable[[Path], object]
) -> None:
    path = tmp_path / "page.html"
    make(path)
    with pytest.raises(ConfigError, match="web_demo_page"):
        read_demo_page(path)


def test_helpline_run_prints_the_demo_address_on_its_own_port(service: Service) -> None:
    assert "  Widget on a demo site:  http://127.0.0.1:8123/demo" in banner(service, 8123)
