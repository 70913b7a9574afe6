"""Run builders for engine tests: curves with known shapes, analysed by a real engine."""

from __future__ import annotations

from typing import Any

import numpy as np

from deepfix_notebook.artifacts import ArtifactBundle, bundle_from_memory
from deepfix_notebook.contract import AnalysisResult
from deepfix_notebook.engine import Engine


def decay(n: int, start: float = 2.0, end: float = 0.2, rate: float = 5.0) -> np.ndarray:
    """An exponential approach from ``start`` to ``end`` over ``n`` points."""
    t = np.linspace(0, 1, n)
    return end + (start - end) * np.exp(-rate * t)


def healthy_columns(n: int = 40, seed: int = 0, noise: float = 0.01) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    train = decay(n) * (1 + noise * rng.standard_normal(n))
    val = decay(n, 2.1, 0.26) * (1 + noise * rng.standard_normal(n))
    acc = 0.95 - 0.6 * np.exp(-5 * np.linspace(0, 1, n))
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": train,
        "val_loss": val,
        "train_accuracy": acc,
        "val_accuracy": acc - 0.02,
    }


def bundle(columns: dict[str, Any], **kwargs: Any) -> ArtifactBundle:
    return bundle_from_memory(columns, run_id=kwargs.pop("run_id", "test-run"), **kwargs)


ENGINE = Engine()


def analyze(columns: dict[str, Any], **kwargs: Any) -> AnalysisResult:
    return ENGINE.analyze(bundle(columns, **kwargs))


def codes(result: AnalysisResult, at_least: int = 1) -> set[str]:
    """Codes reported with severity rank >= ``at_least`` (1 = medium)."""
    return {
        a.findings.code.value
        for r in result.agent_results
        for a in r.analysis
        if a.findings.code is not None and a.findings.severity.rank >= at_least
    }


def finding(result: AnalysisResult, code: str) -> Any:
    for r in result.agent_results:
        if r.agent_name == "OptimizationAdvisorAgent":
            continue
        for a in r.analysis:
            if a.findings.code is not None and a.findings.code.value == code:
                return a
    raise AssertionError(f"no {code} finding in {codes(result, 0)}")


def lightning_rows(
    loss: np.ndarray,
    *,
    steps_per_epoch: int,
    every: int = 1,
    val: np.ndarray | None = None,
) -> list[dict[str, float]]:
    """Rows as Lightning's CSVLogger writes them: a row per logged step with the step's
    ``train_loss`` (``on_step=True``, every ``every`` steps), and at each epoch end a row with
    ``val_loss`` (``val[epoch]``); each row holds only what was logged in it."""
    rows: list[dict[str, float]] = []
    for step, value in enumerate(loss):
        epoch = step // steps_per_epoch
        if (step + 1) % every == 0:
            rows.append({"epoch": epoch, "step": step, "train_loss": float(value)})
        if val is not None and (step + 1) % steps_per_epoch == 0:
            rows.append({"epoch": epoch, "step": step, "val_loss": float(val[epoch])})
    return rows


def as_columns(rows: list[dict[str, float]]) -> dict[str, list[float | None]]:
    """``rows`` as a mapping of lists, ``None`` where a row did not log the column."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    return {name: [row.get(name) for row in rows] for name in names}
