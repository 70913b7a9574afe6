"""A check as rules see it: where it is, its kind, its conditions and its typed result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from deepfix_notebook.artifacts._checks._decode import Unreadable, decode, field, norm, short
from deepfix_notebook.artifacts._checks._kinds import CheckKind, kind_for, split_header
from deepfix_notebook.artifacts._checks._parse import PARSERS
from deepfix_notebook.artifacts._checks._values import CheckValue
from deepfix_notebook.artifacts._deepchecks import CheckResult, DeepchecksResults

_STATUS_MARKS = (
    ("FAIL", ("fail", "✖", "✗", "❌")),
    ("WARN", ("warn", "!")),
    ("ERROR", ("error",)),
    ("PASS", ("pass", "✓", "✔", "✅")),
)


@dataclass(frozen=True, slots=True)
class Condition:
    """One row of a check's ``conditions_results``."""

    status: str  # FAIL | WARN | PASS | ERROR | UNKNOWN
    name: str
    info: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check, read: ``result`` is set when its kind has a parser that could read the value,
    ``unreadable`` says why not otherwise."""

    suite: str
    header: str
    name: str  # the header normalised, without its split: 'label drift'
    split: str | None  # 'train' / 'test' when the header names one
    kind: CheckKind | None  # None: a check this reader does not know
    conditions: tuple[Condition, ...]
    result: CheckValue | None = None
    unreadable: str | None = None
    json_result: Any = None

    @property
    def where(self) -> str:
        return f"{self.header} ({self.suite})"

    def why_unreadable(self, reason: str) -> str:
        """``reason`` shortened, or Deepchecks' own error when it could not run the check."""
        failure = field(self.json_result, "exception", "error")
        if failure is not None:
            reason = f"Deepchecks could not run the check: {failure}"
        return short(reason)


@dataclass(frozen=True, slots=True)
class BrokenCheck:
    """A check whose header, value or conditions could not be read at all."""

    suite: str
    header: str
    reason: str


def _status(row: Mapping[str, Any]) -> str:
    passed = field(row, "is_pass", "passed")
    if isinstance(passed, bool):
        return "PASS" if passed else "FAIL"
    text = str(field(row, "Status", "category", "result") or "").lower()
    for status, marks in _STATUS_MARKS:
        if any(mark in text for mark in marks):
            return status
    return "UNKNOWN"


def conditions_of(result: Any) -> tuple[Condition, ...]:
    """The rows of ``conditions_results`` that can be read; others are skipped."""
    rows = field(result, "conditions_results", "conditions", "conditions_table")
    if not isinstance(rows, list):
        return ()
    return tuple(
        Condition(
            status=_status(row),
            name=short(field(row, "Condition", "name") or "condition"),
            info=short(field(row, "More Info", "details", "info") or ""),
        )
        for row in rows
        if isinstance(row, Mapping)
    )


def value_of(result: Any) -> Any:
    """The check's value: ``json_result["value"]``, or the mapping itself when it is bare."""
    if isinstance(result, Mapping):
        keys = {norm(k) for k in result}
        if "value" in keys:
            return field(result, "value")
        if keys & {"header", "conditionsresults", "check", "display"}:
            return None
    return decode(result)


def read_check(suite: str, check: CheckResult) -> CheckView | BrokenCheck:
    """One check read and, when its kind has a parser, its value parsed; never raises."""
    header = short(getattr(check, "header", "?"), 80)
    try:
        name, split = split_header(check.header)
        result = check.json_result
        value = value_of(result)
        view = CheckView(
            suite=short(suite, 80),
            header=short(check.header, 80),
            name=name,
            split=split,
            kind=kind_for(name),
            conditions=conditions_of(result),
            json_result=result,
        )
    except Exception as exc:  # a malformed check must never fail the analysis
        return BrokenCheck(str(suite), header, repr(exc))
    kind = view.kind
    parse = PARSERS.get(kind) if kind is not None else None
    if parse is None:
        return view
    try:
        return replace(view, result=parse(value))
    except Unreadable as exc:
        return replace(view, unreadable=str(exc))
    except Exception as exc:  # malformed json_result: say so, keep going
        return replace(view, unreadable=f"{type(exc).__name__}: {exc}")


def read_checks(results: DeepchecksResults) -> tuple[CheckView | BrokenCheck, ...]:
    """Every check of every suite, in file order, read once for the rules."""
    return tuple(read_check(str(suite), check) for suite, check in results.checks())
