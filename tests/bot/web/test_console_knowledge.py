"""The console's queue page tells staff when a knowledge edit is broken."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.service.composition import Service
from tests.bot.web.conftest import ConsoleAgent


async def test_the_queue_page_has_no_knowledge_banner_while_all_is_well(
    maria: ConsoleAgent,
) -> None:
    page = await maria.client.get("/console")

    assert 'id="knowledge-error"' not in page.text


async def test_the_queue_page_shows_a_broken_knowledge_edit_with_file_and_line(
    service: Service, maria: ConsoleAgent, web_knowledge_dir: Path
) -> None:
    broken = web_knowledge_dir / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\nbody\n", "utf-8")
    deadline = time.monotonic() + 2.0
    while service.knowledge_status.ok:
        assert time.monotonic() < deadline, "the broken edit was not noticed within 2 s"
        await asyncio.sleep(0.05)

    page = await maria.client.get("/console")

    assert 'id="knowledge-error"' in page.text
    assert f"{broken}:2: invalid YAML" in page.text
