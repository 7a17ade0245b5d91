"""Where a bad setting is: file and line, or environment variable, with a likely fix.

:func:`bot.settings.model.load_settings` validates the merged values against the settings model
(the only description of what a setting may be); this module turns pydantic's errors back
into places an operator can open (``helpline.toml:12``, ``HELPLINE_PORT``) and, for an
unknown key, the known key it most resembles (``prot`` -> ``port``).
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

#: The TOML table that holds the settings.
TABLE = "helpline"

Loc = tuple[str | int, ...]

_KEY = re.compile(r'^\s*("[^"]+"|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=')
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One invalid setting: where it was written, which setting, and what is wrong."""

    where: str  # "helpline.toml:12", "HELPLINE_PORT", or "settings" when unknown
    setting: str  # "office_hours[0].weekly.mon"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.setting}: {self.message}"


def key_lines(text: str) -> dict[Loc, int]:
    """The line of every table and key of a TOML document, by its path.

    Arrays of tables count from 0 (``[[helpline.teams]]`` twice: ``("helpline", "teams",
    0)`` and ``(..., 1)``), the way pydantic locates errors. Keys inside multi-line strings
    and inline tables are not indexed; a problem there points at the enclosing key.
    """
    lines: dict[Loc, int] = {}
    table: Loc = ()
    seen_arrays: dict[Loc, int] = {}
    in_string = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string:
            in_string = line.count('"""') % 2 == 0
            continue
        header = _HEADER.match(line)
        if header:
            name: Loc = tuple(_bare(part) for part in header.group(2).split("."))
            if header.group(1) == "[[":
                index = seen_arrays.get(name, -1) + 1
                seen_arrays[name] = index
                name = (*name, index)
            table = name
            # [helpline.routing] also places "helpline": the table is implied there.
            for end in range(1, len(table) + 1):
                lines.setdefault(table[:end], number)
            continue
        key = _KEY.match(line)
        if key:
            path = (*table, *(_bare(part) for part in key.group(1).split(".")))
            lines.setdefault(path, number)
            in_string = line.count('"""') % 2 == 1
    return lines


def _bare(part: str) -> str:
    return part.strip().strip('"')


def setting_name(loc: Loc) -> str:
    """``("office_hours", 0, "weekly")`` as ``office_hours[0].weekly``."""
    name = ""
    for part in loc:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else part)
    return name


def locate(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    sources: Mapping[str, str],
    path: Path | None,
    text: str,
) -> list[SettingProblem]:
    """Turn a validation error of ``model`` into problems an operator can find and fix.

    Args:
        exc: the error from building the settings.
        model: the settings model (for the keys an unknown key could have meant).
        sources: where each top-level setting came from: ``"file"``, an environment
            variable's name, or ``"override"``.
        path: the settings file, if any.
        text: the settings file's text ("" without one).

    Returns:
        One problem per error, in pydantic's order.
    """
    lines = key_lines(text)
    problems = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        source = sources.get(str(loc[0]), "file") if loc else "file"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting" + _suggestion(model, loc)
        if source == "file" and path is not None:
            where = f"{path}:{_line_of(lines, (TABLE, *loc))}"
        elif source == "file":
            where = "settings"
        else:
            where = source
        problems.append(SettingProblem(where, setting_name(loc) or TABLE, message))
    # In the order of the file, then the environment: the way an operator reads them.
    return sorted(problems, key=_reading_order)


def _reading_order(problem: SettingProblem) -> tuple[int, int, str]:
    _, colon, line = problem.where.rpartition(":")
    if colon and line.isdigit():
        return (0, int(line), "")
    return (1, 0, problem.where)


def unknown_tables(document: Mapping[str, Any], path: Path, text: str) -> list[SettingProblem]:
    """Top-level tables other than ``[helpline]``, which nothing reads (``[helpine]``)."""
    lines = key_lines(text)
    problems = []
    for name in document:
        if name != TABLE:
            hint = f"; did you mean [{TABLE}]?" if _close(name, [TABLE]) else ""
            problems.append(
                SettingProblem(
                    f"{path}:{_line_of(lines, (name,))}",
                    name,
                    f"not read: settings belong in the [{TABLE}] table{hint}",
                )
            )
    return problems


def _line_of(lines: Mapping[Loc, int], loc: Loc) -> int | str:
    # The deepest indexed part of the path: a problem inside an inline value points at the
    # key that holds it.
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return "?"


def _suggestion(model: type[BaseModel], loc: Loc) -> str:
    owner = _model_at(model, loc[:-1])
    if owner is None or not loc or not isinstance(loc[-1], str):
        return ""
    close = _close(loc[-1], list(owner.model_fields))
    return f"; did you mean {close!r}?" if close else ""


def _close(word: str, known: list[str]) -> str | None:
    matches = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model that validates the value at ``loc`` (indices into tuples skipped)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        current = None if field is None else _model_in(field.annotation)
    return current


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (tuple, list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None
