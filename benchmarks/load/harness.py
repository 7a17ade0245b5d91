"""The service as a real process, and customers of its web chat JSON API.

Shared by the load benchmark (``benchmarks/load/run.py``) and the crash-safety test
(``tests/test_crash_safety.py``): both start ``helpline run`` in a subprocess on port 0
of 127.0.0.1 (the service binds a free port and its banner says which) and talk to it over
real HTTP only.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "it-helpdesk"
KNOWLEDGE_DIR = SAMPLE / "knowledge"
CASES = KNOWLEDGE_DIR / "cases.csv"
RUN = "from bot.cli.main import main; main()"
TEAMS = (
    ("it-support", "IT support"),
    ("accounts", "Accounts and access"),
    ("security", "Security"),
)


#: The banner line of ``helpline run`` that names the address it listens on.
_LISTENING = re.compile(r"Listening on: +(http://\S+)$", re.MULTILINE)


def write_config(directory: Path, *, flood_messages: int) -> Path:
    """A settings file: the sample deployment's teams and its answer threshold, the default
    (what ``make run`` serves), no demo agents, the flood limit given, no per-address limits.

    No agent is online, so every handoff stays queued and the bot keeps answering.
    """
    # Every simulated customer comes from this machine's one address: the per-address
    # limits (new conversations, streams, connections) would refuse most of them.
    lines = [
        "[helpline]",
        f"web_flood_messages = {flood_messages}",
        "web_sessions_per_address = 1000000",
        "web_streams_per_address = 1000000",
        "web_max_connections = 100000",
        "",
    ]
    for team_id, name in TEAMS:
        lines += ["[[helpline.teams]]", f'id = "{team_id}"', f'name = "{name}"', ""]
    path = directory / "helpline.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@dataclass
class ServiceProcess:
    """A running ``helpline run`` process and where it listens."""

    process: asyncio.subprocess.Process
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id of the service (the Python interpreter itself, no shell)."""
        return self.process.pid

    def rss_mb(self) -> float | None:
        """The service's resident memory in MiB (``VmRSS``), or None once it has exited."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the service has used so far, or None once it exited."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        # The command name (field 2) may hold spaces; utime and stime follow it as 14 and 15.
        after_name = fields.rsplit(")", 1)[1].split()
        return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, like a power cut of the process."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, *, timeout_s: float = 15.0) -> None:
        """SIGTERM and wait for a clean shutdown; SIGKILL when it takes too long."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(timeout_s):
                    await self.process.wait()
                    return
            except TimeoutError:
                pass
        await self.kill()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the service's output, for a failure message."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


async def start_service(
    *,
    database_url: str,
    workdir: Path,
    config: Path,
    startup_timeout_s: float = 60.0,
    log_name: str = "service.log",
    extra_env: Mapping[str, str] | None = None,
    code: Path = ROOT,
) -> ServiceProcess:
    """Start ``helpline run`` and wait until ``/healthz`` answers.

    ``extra_env`` adds settings (``HELPLINE_*``) after the harness's own, e.g. Telegram's.
    ``code`` is the source tree the service runs (another checkout compares two versions
    of the code with one load generator, one sample knowledge and one installed set of
    dependencies).

    Raises:
        RuntimeError: the process exited, or did not answer within ``startup_timeout_s``.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "HELPLINE_CONFIG": str(config),
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR),
        "HELPLINE_HOST": "127.0.0.1",
        "HELPLINE_PORT": "0",
        "HELPLINE_LOG_LEVEL": "WARNING",
        "HELPLINE_SECRET_KEY": "load-and-crash-harness",
        "OPENBLAS_NUM_THREADS": "1",
    }
    for name in ("HELPLINE_TELEGRAM_TOKEN", "HELPLINE_PUBLIC_URL"):
        env.pop(name, None)
    env.update(extra_env or {})
    log_path = workdir / log_name
    with log_path.open("ab") as log:
        written_before = log.tell()  # a restarted service appends to the same log
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            RUN,
            "run",
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    # Until its banner names the address, the service is known only by its process.
    service = ServiceProcess(process, "", log_path)
    deadline = time.monotonic() + startup_timeout_s
    while not service.base_url and time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"the service exited at start:\n{service.log_tail()}")
        with log_path.open("rb") as log:
            log.seek(written_before)
            found = _LISTENING.search(log.read().decode("utf-8", errors="replace"))
        if found is None:
            await asyncio.sleep(0.1)
        else:
            service.base_url = found.group(1)
    if service.base_url:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if process.returncode is not None:
                    raise RuntimeError(f"the service exited at start:\n{service.log_tail()}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return service
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
    await service.kill()
    raise RuntimeError(
        f"the service did not answer in {startup_timeout_s} s:\n{service.log_tail()}"
    )


def questions(path: Path = CASES) -> list[str]:
    """The sample knowledge's test questions (``cases.csv``), customers' real wording."""
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle) if row["text"].strip()]


@dataclass
class Sent:
    """One customer message: its client id, and what the service acknowledged (if it did)."""

    client_id: str
    text: str
    acked: bool = False
    reply_ids: tuple[int, ...] = ()
    latency_s: float | None = None


@dataclass
class WebCustomer:
    """A web chat customer: the conversation token and every message it tried to send."""

    token: str
    sent: list[Sent] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        """The bearer token, as the chat page sends it."""
        return {"Authorization": f"Bearer {self.token}"}

    def unacknowledged(self) -> Sequence[Sent]:
        """Messages the service never confirmed: the chat page sends these again."""
        return [s for s in self.sent if not s.acked]


async def new_customer(client: httpx.AsyncClient) -> WebCustomer:
    """Open a web chat conversation (``POST /api/chat/session``)."""
    response = await client.post("/api/chat/session")
    response.raise_for_status()
    return WebCustomer(token=response.json()["token"])


class Refused(Exception):
    """The service answered a message with an error status."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


async def post(client: httpx.AsyncClient, customer: WebCustomer, sent: Sent) -> None:
    """Send (or re-send) one message and record the acknowledgement and the bot's replies.

    Raises:
        Refused: an error status (the message stays unacknowledged).
        httpx.TransportError: no answer at all (the message stays unacknowledged).
    """
    started = time.perf_counter()
    response = await client.post(
        "/api/chat/messages",
        json={"client_id": sent.client_id, "text": sent.text},
        headers=customer.headers,
    )
    elapsed = time.perf_counter() - started
    if not response.is_success:
        raise Refused(response.status_code)
    messages = response.json()["messages"]
    sent.acked = True
    sent.latency_s = elapsed
    sent.reply_ids = tuple(m["id"] for m in messages if m["sender"] == "bot")


def new_message(customer: WebCustomer, text: str) -> Sent:
    """A message with a fresh client id, remembered as sent before it is posted."""
    sent = Sent(client_id=str(uuid.uuid4()), text=text)
    customer.sent.append(sent)
    return sent
