"""A loss that is NaN from its first row, and a summary that never calls a run healthy when an
agent failed or something serious was found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from engine_helpers import analyze, bundle, codes, finding, healthy_columns, lightning_rows

from deepfix_notebook.artifacts import bundle_from_memory
from deepfix_notebook.contract import AgentResult
from deepfix_notebook.engine import Engine, TrainingArtifactsAnalyzer
from deepfix_notebook.engine._agent import AgentInput

NAN = float("nan")


@pytest.mark.parametrize(
    "columns",
    [
        {"epoch": list(range(10)), "train_loss": [NAN] * 10},
        {
            "epoch": list(range(12)),
            "train_loss": [NAN] * 12,
            "val_loss": [NAN] * 12,
            "train_accuracy": [0.1] * 12,
            "grad_norm": [NAN] * 12,
        },
        {"step": [0, 1, 2], "train_loss": [NAN, float("inf"), NAN]},
    ],
    ids=["loss-only", "with-val-accuracy-grad", "three-steps"],
)
def test_nan_from_the_first_row_is_a_finished_high_nan_loss(
    columns: dict[str, list[float]],
) -> None:
    result = analyze(columns, params={"lr": 0.01, "optimizer": "adam"})
    assert result.status.value == "completed"
    assert all(r.error_message is None for r in result.agent_results)
    item = finding(result, "nan_loss")
    assert item.findings.severity.value == "high"
    assert item.findings.metric == "train_loss"
    assert "NaN from its first logged value (step 0" in item.findings.evidence
    assert item.findings.step_range == (0, len(columns["train_loss"]) - 1)
    action = item.recommendations.action
    for check in ("inputs", "labels", "loss", "initial weights", "learning rate"):
        assert check in action
    targets = {t.value for t in item.recommendations.targets}
    assert {"data_preprocessing", "labels", "loss_function", "weight_init"} <= targets
    assert "learning_rate" in targets
    assert result.summary.startswith("train_loss was NaN from the start")
    assert "no problem" not in result.summary.lower()
    # Nothing is said about a learning rate that never got to take a step.
    assert "learning_rate_too_high" not in codes(result)


def test_nan_from_the_first_logged_step_of_a_lightning_frame() -> None:
    rows = lightning_rows(np.full(140, NAN), steps_per_epoch=70, every=50, val=np.full(2, NAN))
    result = Engine().analyze(bundle_from_memory(pd.DataFrame(rows)))
    assert result.status.value == "completed"
    item = finding(result, "nan_loss")
    assert item.findings.severity.value == "high"
    assert "from its first logged value (step 49, epoch 0)" in item.findings.evidence


def test_a_loss_that_breaks_later_keeps_the_overflow_wording() -> None:
    loss = [2.0, 1.5, 1.2, 1.0, NAN, NAN]
    item = finding(analyze({"epoch": list(range(6)), "train_loss": loss}), "nan_loss")
    assert "became NaN at epoch 4 after moving from 2 to 1" in item.findings.evidence


class Broken:
    name = TrainingArtifactsAnalyzer.name

    def skip_reason(self, given: AgentInput) -> str | None:
        return None

    def run(self, given: AgentInput) -> AgentResult:
        raise ValueError("zero-size array")


def test_a_failed_agent_is_never_summarised_as_no_problem() -> None:
    result = Engine(phase_one=[Broken()]).analyze(bundle(healthy_columns()))
    assert result.status.value == "partial"
    summary = result.summary
    assert "no problem" not in summary.lower()
    assert "healthy" not in summary.replace("cannot be called healthy", "")
    assert summary.startswith("The analysis is incomplete, so the run cannot be called healthy:")
    assert "TrainingArtifactsAnalyzer failed: ValueError: zero-size array" in summary


def test_a_failed_agent_next_to_a_serious_finding_is_named() -> None:
    class Raising(Broken):
        name = "DatasetArtifactsAnalyzer"

    n = 30
    loss = list(np.linspace(2, 1, 20)) + [NAN] * 10
    engine = Engine(phase_one=[TrainingArtifactsAnalyzer(), Raising()])
    result = engine.analyze(bundle({"epoch": list(range(n)), "train_loss": loss}))
    assert result.summary.startswith("train_loss became NaN")
    assert result.summary.endswith("Partial result: DatasetArtifactsAnalyzer did not finish.")


def test_a_healthy_run_is_still_called_healthy() -> None:
    result = analyze(healthy_columns())
    assert result.summary.startswith("The run looks healthy")
    assert "no problem of medium or high severity was found" in result.summary
