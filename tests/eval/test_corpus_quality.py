"""Diagnosis quality on a fixed subset of the program-split corpus (tests/eval/corpus/).

The whole corpus is scored by ``python benchmarks/diagnosis_quality.py``; CI scores every fourth
case of each split, so it stays within seconds. Rules are tuned on ``dev`` only; ``heldout`` is
scored, never looked at while rules change (docs/decisions.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from deepfix_notebook.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "eval" / "corpus" / "runs"
EVERY = 4
# Regression floors for a quarter of a split, a few points below the figures measured when they
# were set (benchmarks/README.md). The targets on the whole held-out split (recall >= 0.90,
# forbidden <= 0.05, top-3 target >= 0.80) are measured by benchmarks/diagnosis_quality.py.
FLOORS = {"recall": 0.88, "forbidden": 0.08, "target_hit": 0.88}


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dq", ROOT / "benchmarks" / "diagnosis_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dq"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def subset(split: str) -> list[tuple[Path, dict[str, object]]]:
    labelled = []
    for path in sorted(CORPUS.glob("*/expected.yaml")):
        label = yaml.safe_load(path.read_text())
        if label.get("split") == split:
            labelled.append((path.parent, label))
    return labelled[::EVERY]


def test_the_corpus_is_split_by_program() -> None:
    programs: dict[str, set[str]] = {}
    for path in CORPUS.glob("*/expected.yaml"):
        label = yaml.safe_load(path.read_text())
        programs.setdefault(label["program"], set()).add(label["split"])
    assert len(programs) >= 16
    assert all(len(splits) == 1 for splits in programs.values()), programs
    assert {s for splits in programs.values() for s in splits} == {"dev", "heldout"}


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_quality_on_a_fixed_subset(split: str) -> None:
    dq = scorer()
    cases = subset(split)
    assert len(cases) >= 30
    score = dq.Score(split, [dq.judge(case, Engine(), label) for case, label in cases])
    recall, forbidden, hit = (
        dq.value(score.recall),
        dq.value(score.forbidden),
        dq.value(score.target_hit),
    )
    # Rates only: the held-out cases are scored, never listed (benchmarks/diagnosis_quality.py
    # --split dev --cases lists the dev ones).
    rates = {"recall": recall, "forbidden": forbidden, "target_hit": hit}
    assert recall is not None and recall >= FLOORS["recall"], rates
    assert forbidden is not None and forbidden <= FLOORS["forbidden"], rates
    assert hit is not None and hit >= FLOORS["target_hit"], rates
