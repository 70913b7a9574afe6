"""The threshold registry: declared once, lower-case names, complete data, helpful lookups."""

from __future__ import annotations

from typing import Any

import pytest

import deepfix_notebook.engine  # noqa: F401  (declares the real thresholds before a test swaps them)
from deepfix_notebook.engine import _thresholds
from deepfix_notebook.engine._thresholds import (
    RuleDoc,
    Threshold,
    declare,
    document,
    rule_docs,
    threshold,
    thresholds,
)


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_thresholds, "_REGISTRY", {})
    monkeypatch.setattr(_thresholds, "_RULES", [])


def declare_one(name: str = "x_limit", value: float = 0.5, **changes: Any) -> float:
    data = {"unit": "points", "family": "test", "source": "own choice", "doc": "a test limit"}
    return declare(name, value, **(data | changes))


def test_declare_returns_the_value_itself() -> None:
    assert declare_one("a_limit", 0.05) == 0.05
    count = declare_one("b_limit", 10)
    assert count == 10 and type(count) is int


def test_a_declared_threshold_can_be_looked_up() -> None:
    declare_one("x_limit", 0.5)
    expected = Threshold("x_limit", 0.5, "points", "test", "own choice", "a test limit")
    assert threshold("x_limit") == expected
    assert thresholds("test") == [expected]
    assert thresholds("other") == []


def test_the_same_declaration_twice_is_one_threshold() -> None:
    declare_one("x_limit", 0.5)
    declare_one("x_limit", 0.5)
    assert len(thresholds()) == 1


@pytest.mark.parametrize(
    "changes", [{"value": 0.6}, {"unit": "epochs"}, {"family": "other"}, {"doc": "another"}]
)
def test_a_name_declared_twice_with_different_data_raises(changes: dict[str, Any]) -> None:
    declare_one("x_limit", 0.5)
    with pytest.raises(ValueError, match="'x_limit' is declared twice with different data"):
        declare_one("x_limit", **({"value": 0.5} | changes))


@pytest.mark.parametrize("name", ["", "Flat_drop", "FLAT_DROP", "flat-drop", "flat drop", "1st"])
def test_names_must_be_lower_case_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="lower-case identifier"):
        declare_one(name)


@pytest.mark.parametrize("missing", ["unit", "source", "doc"])
def test_unit_source_and_doc_are_required(missing: str) -> None:
    with pytest.raises(ValueError, match="needs a unit, a source and a doc"):
        declare_one("x_limit", **{missing: ""})


def test_an_unknown_name_lists_the_declared_ones() -> None:
    declare_one("b_limit")
    declare_one("a_limit")
    with pytest.raises(KeyError, match="no threshold 'c_limit'; declared: a_limit, b_limit"):
        threshold("c_limit")


def test_documented_rows_are_kept_once_in_order() -> None:
    row = {"family": "test", "condition": "x > 1", "severity": "high", "source": "own"}
    document("b_code", **row)
    document("a_code", **row)
    document("b_code", **row)
    document("b_code", **(row | {"severity": "low"}))
    assert [(r.code, r.severity) for r in rule_docs("test")] == [
        ("b_code", "high"),
        ("a_code", "high"),
        ("b_code", "low"),
    ]
    assert rule_docs("other") == []
    assert isinstance(rule_docs()[0], RuleDoc)
