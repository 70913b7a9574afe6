"""Render `docs/diagnosis.md` from the template and the declared rules and thresholds.

    python scripts/diagnosis_docs.py [--check]      # writes (or checks) the file

The template (`diagnosis_template.md`, beside this module) holds the prose. Each
``<!-- family: NAME -->`` ... ``<!-- /family -->`` block in it becomes that family's rules table
(from `rule_docs`) when the family has documented rules, else keeps the hand-written text between
the markers; a thresholds table (from `thresholds`) follows when the family declares any.
Rendering is pure (the template is package data); the script does the writing.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from importlib import resources

from deepfix_notebook.engine._thresholds import RuleDoc, Threshold, rule_docs, thresholds
from deepfix_notebook.engine.training import RULES

TEMPLATE = "diagnosis_template.md"  # package data beside this module
REGENERATE = "python scripts/diagnosis_docs.py"

_BLOCK = re.compile(r"^<!-- family: (\w+) -->\n(.*?)^<!-- /family -->\n", re.DOTALL | re.MULTILINE)
_RULE_ORDER = "<!-- rule order -->"


def render(template: str | None = None) -> str:
    """The whole of `docs/diagnosis.md`, as the declarations say it today."""
    if template is None:
        template = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    placed = {name for name, _ in _BLOCK.findall(template)}
    declared = {t.family for t in thresholds()} | {r.family for r in rule_docs()}
    if declared - placed:
        raise ValueError(
            f"families declared but without a <!-- family: NAME --> block in {TEMPLATE}: "
            + ", ".join(sorted(declared - placed))
        )
    text = template.replace(_RULE_ORDER, _rule_order())
    return _BLOCK.sub(lambda match: _family(match.group(1), match.group(2)), text)


def _family(family: str, handwritten: str) -> str:
    rows, limits = rule_docs(family), thresholds(family)
    parts = []
    if rows:
        parts.append(_rules_table(rows))
    elif handwritten.strip():
        parts.append(handwritten.strip("\n"))
    if limits:
        parts.append(_thresholds_table(limits))
    if not parts:
        raise ValueError(f"family {family!r} has no rules, thresholds or hand-written text")
    return "\n\n".join(parts) + "\n"


def _rule_order() -> str:
    return textwrap.fill(", ".join(rule.__name__ for rule in RULES) + ".", width=100)


def _rules_table(rows: Sequence[RuleDoc]) -> str:
    return _table(
        ("code", "condition", "severity", "source"),
        [(r.code, r.condition, r.severity, r.source) for r in rows],
    )


def _thresholds_table(limits: Sequence[Threshold]) -> str:
    return _table(
        ("threshold", "value", "unit", "source", "meaning"),
        [(f"`{t.name}`", _number(t.value), t.unit, t.source, t.doc) for t in limits],
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _number(value: float) -> str:
    """10, 0.05, 1e-5: as a constant would be written."""
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    mantissa, _, exponent = f"{value:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa
