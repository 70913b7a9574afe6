"""Defensive reads of ``CheckResult.to_json()`` output: nested JSON, loose keys, odd numbers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

TEXT_LIMIT = 200  # condition texts and names come from the artifact: keep evidence readable


class Unreadable(ValueError):
    """A check's value does not have the shape its parser needs."""


def short(text: Any, limit: int = TEXT_LIMIT) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    said = " ".join(str(text).split())
    return said if len(said) <= limit else said[: limit - 3] + "..."


def norm(key: Any) -> str:
    """A key compared ignoring case, spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def decode(value: Any) -> Any:
    """Nested JSON strings (DataFrames serialise as a JSON string of records) decoded once."""
    if isinstance(value, str) and value[:1] in {"{", "["}:
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def field(mapping: Any, *names: str) -> Any:
    """The first of ``names`` set in ``mapping``, matched ignoring case, spaces and punctuation."""
    if not isinstance(mapping, Mapping):
        return None
    keys = {norm(k): k for k in mapping}
    for name in names:
        key = keys.get(norm(name))
        if key is not None and mapping[key] is not None:
            return decode(mapping[key])
    return None


def number(value: Any) -> float | None:
    """A finite number from a number or a numeric string; None otherwise (booleans too)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        parsed = float(value)
    except ValueError:
        return None
    return parsed if math.isfinite(parsed) else None


def as_mapping(value: Any, what: str = "value") -> Mapping[str, Any]:
    """``value`` (decoded) if it is a mapping; else `Unreadable`."""
    value = decode(value)
    if not isinstance(value, Mapping):
        raise Unreadable(f"{what} is {type(value).__name__}, not a mapping")
    return value


def records(value: Any) -> list[Mapping[str, Any]]:
    """A table as records: a list of mappings, or a column -> {row: cell} mapping."""
    value = decode(value)
    if isinstance(value, list):
        return [row for row in value if isinstance(row, Mapping)]
    if isinstance(value, Mapping) and value and all(isinstance(c, Mapping) for c in value.values()):
        rows: dict[str, dict[str, Any]] = {}
        for column, cells in value.items():
            for row, cell in cells.items():
                rows.setdefault(str(row), {})[str(column)] = cell
        return list(rows.values())
    raise Unreadable(f"value is {type(value).__name__}, not a table")
