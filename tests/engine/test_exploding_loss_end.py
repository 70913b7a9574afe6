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


def _deep_net(n: int = 300) -> np.ndarray:
    """A loss that converges to ~0.1, as a deep net's does before its blow-ups."""
    steps = np.arange(n)
    return 2.3 * np.exp(-steps / 25) + 0.1


def test_repeated_blow_ups_from_a_low_point_without_nan_are_found() -> None:
    loss = _deep_net()
    for start in (150, 220):  # each jumps to ~2 (20x the best), then partly recovers
        loss[start : start + 15] = np.linspace(2.0, 0.3, 15)
    severity, evidence = _finding({"step": np.arange(300.0).tolist(), "train_loss": loss.tolist()})
    assert severity is Severity.MEDIUM
    assert "blew up 2 times" in evidence


def test_a_loss_that_ends_many_times_above_its_best_is_high() -> None:
    loss = _deep_net()
    loss[200:] = np.linspace(0.1, 0.9, 100) ** 0.5  # never comes back: ends ~9x its best
    severity, _ = _finding({"step": np.arange(300.0).tolist(), "train_loss": loss.tolist()})
    assert severity is Severity.HIGH


def test_a_loss_near_zero_moving_tenfold_is_not_an_explosion() -> None:
    steps = np.arange(300)
    loss = 2.3 * np.exp(-steps / 10) + 1e-5
    loss[250:260] *= 10  # 1e-5 -> 1e-4: tenfold, but nothing on the curve's own scale
    result = analyze_bundle(
        bundle_from_memory(
            metrics={"step": steps.astype(float).tolist(), "train_loss": loss.tolist()}
        )
    )
    assert all(a.findings.code is not ProblemCode.EXPLODING_LOSS for _, a in result.findings())
