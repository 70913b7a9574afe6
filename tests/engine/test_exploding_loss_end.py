"""An explosion still under way when the run ends is high severity and said to be climbing,
never "came back"."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.artifacts import bundle_from_memory
from deepfix_notebook.contract import ProblemCode, Severity
from deepfix_notebook.engine import analyze_bundle


def _exploding(n: int = 60, blow_up_from: int = 40) -> dict[str, list[float]]:
    steps = np.arange(n)
    loss = 2.0 * np.exp(-steps / 15) + 0.3
    loss[blow_up_from:] = loss[blow_up_from] * np.exp(0.6 * (steps[blow_up_from:] - blow_up_from))
    return {"step": steps.astype(float).tolist(), "train_loss": loss.tolist()}


def _finding(columns: dict[str, list[float]]) -> tuple[Severity, str]:
    result = analyze_bundle(bundle_from_memory(metrics=columns))
    findings = [analysis.findings for _, analysis in result.findings()]
    found = [f for f in findings if f.code is ProblemCode.EXPLODING_LOSS]
    assert found, [f.code for f in findings]
    return found[0].severity, found[0].evidence


def test_an_explosion_still_climbing_at_the_end_is_high() -> None:
    severity, evidence = _finding(_exploding())
    assert severity is Severity.HIGH
    assert "still climbing when the run ended" in evidence and "came back" not in evidence


def test_an_explosion_that_recovered_says_so() -> None:
    columns = _exploding(n=120, blow_up_from=40)
    loss = np.asarray(columns["train_loss"])
    loss[52:] = np.linspace(loss[51], 0.4, 68)  # the spike passes and training recovers
    columns["train_loss"] = loss.tolist()
    severity, evidence = _finding(columns)
    assert "came back" in evidence and severity is Severity.MEDIUM
