"""`helpline doctor`: check a deployment before it serves anyone (`helpline run` does too)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from bot.cli.context import config_option
from bot.service.doctor import Report, Severity, diagnose


def report_lines(report: Report) -> list[str]:
    """The findings, errors first, one a line: ``error    settings: helpline.toml:3: ...``."""
    ordered = sorted(report.findings, key=lambda f: f.severity is not Severity.ERROR)
    return [f"{f.severity:<8} {f.subject}: {f.message}" for f in ordered]


@click.command()
@config_option
def doctor(config: Path | None) -> None:
    """Check the settings, database, knowledge, Telegram and desk; exit 1 on any finding.

    Errors keep `helpline run` from starting; warnings are a desk that would run, but
    likely not as meant (a team nobody serves, demo logins left on).
    """
    report = asyncio.run(diagnose(config_file=config))
    lines = report_lines(report)
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("no problems found")
        return
    errors = len(report.errors)
    click.echo(f"{errors} error(s), {len(lines) - errors} warning(s)")
    raise SystemExit(1)
