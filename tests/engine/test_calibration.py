"""Stated confidence is calibrated: a monotone, bounded map fitted on dev, applied to findings."""

from __future__ import annotations

import datetime
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from engine_helpers import bundle, healthy_columns

from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.engine import Engine
from deepfix_notebook.engine import _calibration_table as table
from deepfix_notebook.engine._calibration import calibrated

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "calibrate_confidence.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate_confidence", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_table_is_fitted_on_dev_and_says_so() -> None:
    assert table.SPLIT == "dev"
    datetime.date.fromisoformat(table.FITTED)
    assert table.FINDINGS > 100 and 0 <= table.RIGHT <= table.FINDINGS
    assert table.PRIOR_FINDINGS > 0 and table.CAP < 1.0


def test_the_knots_are_strictly_increasing_from_zero_to_the_cap() -> None:
    stated, values = np.array(table.STATED), np.array(table.CALIBRATED)
    assert stated[0] == 0.0 and stated[-1] == 1.0
    assert np.all(np.diff(stated) > 0) and np.all(np.diff(values) > 0)
    assert values[0] >= 0.0 and values[-1] == table.CAP


def test_the_map_is_monotone_bounded_and_never_certain() -> None:
    grid = np.linspace(-0.5, 1.5, 401)
    mapped = np.array([calibrated(float(c)) for c in grid])
    assert np.all(np.diff(mapped) >= 0)
    assert mapped.min() == 0.0 and mapped.max() == table.CAP < 1.0
    assert calibrated(0.99) < 1.0


def _pairs(result: AnalysisResult) -> list[tuple[str, str, float, float]]:
    return [
        (r.agent_name, str(a.findings.code), a.findings.confidence, a.recommendations.confidence)
        for r in result.agent_results
        for a in r.analysis
    ]


def test_the_engine_states_calibrated_confidence_and_changes_nothing_else() -> None:
    columns = healthy_columns(60)
    columns["train_loss"] = np.where(np.arange(60) > 40, np.nan, columns["train_loss"])
    run = bundle(columns)
    raw = Engine(calibrated=False, threads=False).analyze(run, request_id="r")
    shown = Engine(threads=False).analyze(run, request_id="r")
    assert _pairs(raw), "the run must produce findings for this test to mean anything"
    assert shown.summary == raw.summary
    assert [p[:2] for p in _pairs(shown)] == [p[:2] for p in _pairs(raw)]
    for (_, _, conf, rec), (_, _, raw_conf, raw_rec) in zip(
        _pairs(shown), _pairs(raw), strict=True
    ):
        assert conf == calibrated(raw_conf) and rec == calibrated(raw_rec)
    assert any(s[2] != r[2] for s, r in zip(_pairs(shown), _pairs(raw), strict=True))


def test_live_early_warnings_state_the_same_calibrated_confidence() -> None:
    from deepfix_notebook.engine import early_warnings
    from deepfix_notebook.engine._curves import curves
    from deepfix_notebook.engine._facts import TrainingFacts
    from deepfix_notebook.engine.training._analyzer import EARLY_WARNING_RULES

    columns, steps = healthy_columns(60), np.arange(60)
    grown = columns["train_loss"] * np.exp((steps - 30) * 0.8)
    columns["train_loss"] = np.where(steps > 30, grown, columns["train_loss"])  # diverges
    run = bundle(columns)
    assert run.metrics is not None
    facts = TrainingFacts(curves(run.metrics), run.params, run)
    raw = [item for rule in EARLY_WARNING_RULES for item in rule(facts)]
    shown = early_warnings(run)
    assert raw and [a.findings.code for a in shown] == [a.findings.code for a in raw]
    for live, stated in zip(shown, raw, strict=True):
        assert live.findings.confidence == calibrated(stated.findings.confidence)
        assert live.recommendations.confidence == calibrated(stated.recommendations.confidence)


def test_refitting_on_dev_gives_the_declared_table() -> None:
    script = _script()
    if not any(script.CORPUS.glob("*/expected.yaml")):
        pytest.skip(f"no corpus under {script.CORPUS}")
    fit = script.fit(script.judged_pairs())
    assert (fit.stated, fit.calibrated, fit.findings, fit.right) == (
        table.STATED,
        table.CALIBRATED,
        table.FINDINGS,
        table.RIGHT,
    ), "stale: run `python scripts/calibrate_confidence.py`"
