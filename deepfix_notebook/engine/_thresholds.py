"""Thresholds as declared data: every number a rule compares against, with unit, source and doc.

A rule module declares each threshold once, at import time::

    FLAT_DROP = declare(
        "flat_drop", 0.05, unit="share of start", family="convergence",
        source="own: healthy runs fall 30-99%",
        doc="a loss whose best is less than this below its start is flat",
    )

``declare`` returns the plain value, so rules compare floats at no cost, while the declaration
stays inspectable at run time (``thresholds()``) and `docs/diagnosis.md` is generated from it
(``python scripts/diagnosis_docs.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

Number = TypeVar("Number", int, float)


@dataclass(frozen=True, slots=True)
class Threshold:
    """One declared threshold: its name, value, unit, rule family, source and one-line doc."""

    name: str
    value: float
    unit: str
    family: str
    source: str
    doc: str


_REGISTRY: dict[str, Threshold] = {}


def declare(name: str, value: Number, *, unit: str, family: str, source: str, doc: str) -> Number:
    """Register a threshold under a unique name and return its value."""
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"threshold name {name!r} must be a lower-case identifier")
    if not (unit and source and doc):
        raise ValueError(f"threshold {name!r} needs a unit, a source and a doc")
    declared = Threshold(name, float(value), unit, family, source, doc)
    previous = _REGISTRY.get(name)
    if previous is not None and previous != declared:
        raise ValueError(f"threshold {name!r} is declared twice with different data")
    _REGISTRY[name] = declared
    return value


def thresholds(family: str | None = None) -> list[Threshold]:
    """Every declared threshold (of one family), in declaration order."""
    _load_rule_modules()
    return [t for t in _REGISTRY.values() if family is None or t.family == family]


def threshold(name: str) -> Threshold:
    """One declared threshold by name; ``KeyError`` lists close names."""
    _load_rule_modules()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no threshold {name!r}; declared: {', '.join(sorted(_REGISTRY))}") from None


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """What a rule reports and when: one row of `docs/diagnosis.md`."""

    code: str
    family: str
    condition: str
    severity: str
    source: str


_RULES: list[RuleDoc] = []


def document(code: str, *, family: str, condition: str, severity: str, source: str) -> None:
    """Declare a rule's documented row (a code may have several rows, e.g. two severities)."""
    row = RuleDoc(code, family, condition, severity, source)
    if row not in _RULES:
        _RULES.append(row)


def rule_docs(family: str | None = None) -> list[RuleDoc]:
    """Every documented rule row (of one family), in declaration order."""
    _load_rule_modules()
    return [r for r in _RULES if family is None or r.family == family]


def _load_rule_modules() -> None:
    # Declarations run when their rule modules are imported; the engine package imports them all.
    import deepfix_notebook.engine  # noqa: F401
