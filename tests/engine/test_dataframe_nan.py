"""A DataFrame's NaN cells: missing where the frame is sparse, values where a metric broke down.

A mapping of lists says it exactly (``None`` = not logged, ``nan`` = a NaN value); a DataFrame
holds both as NaN, so `bundle_from_memory` reads them by the rule in its docstring. Each case
builds the same run both ways and expects the same table and the same diagnosis.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_helpers import ENGINE, as_columns, codes, decay, finding, lightning_rows

import deepfix_notebook
from deepfix_notebook.artifacts import ArtifactBundle, bundle_from_memory

NAN = float("nan")


def series(b: ArtifactBundle) -> dict[str, tuple[list[int], list[float | str]]]:
    """Each metric's steps and values, NaN as the string "nan" so that equal means equal."""
    assert b.metrics is not None
    out: dict[str, tuple[list[int], list[float | str]]] = {}
    for name in b.metrics:
        steps, _, values = b.metrics.series(name)
        out[name] = (steps.tolist(), [round(v, 12) if v == v else "nan" for v in values])
    return out


def same_run(rows: list[dict[str, Any]]) -> tuple[ArtifactBundle, ArtifactBundle]:
    frame = bundle_from_memory(pd.DataFrame(rows), source="DataFrame")
    exact = bundle_from_memory(as_columns(rows))
    assert series(frame) == series(exact)
    return frame, exact


def test_analyze_a_dataframe_whose_loss_is_nan_from_the_first_row() -> None:
    columns = {"epoch": list(range(10)), "train_loss": [NAN] * 10, "val_loss": [NAN] * 10}
    from_frame = deepfix_notebook.analyze(pd.DataFrame(columns))
    from_dict = ENGINE.analyze(bundle_from_memory(columns))
    assert from_frame.status.value == from_dict.status.value == "completed"
    item = finding(from_frame, "nan_loss")
    assert item.findings.severity.value == "high"
    assert item.findings.evidence == finding(from_dict, "nan_loss").findings.evidence
    assert "all 10 values logged are NaN" in item.findings.evidence


def test_a_dense_frame_that_diverges_keeps_its_nan_tail() -> None:
    loss = [*decay(20).tolist(), *[NAN] * 10]
    rows = [{"epoch": e, "train_loss": v, "val_loss": v * 1.1} for e, v in enumerate(loss)]
    frame, exact = same_run(rows)
    item = finding(ENGINE.analyze(frame), "nan_loss")
    assert item.findings.step_range == (20, 29)
    assert item.findings.evidence == finding(ENGINE.analyze(exact), "nan_loss").findings.evidence


def test_a_lightning_frame_that_diverges_is_read_like_its_exact_columns() -> None:
    loss = np.r_[decay(400, 2.3, 0.4), np.full(300, NAN)]
    val = np.r_[decay(6, 2.2, 0.5), np.full(4, NAN)]
    rows = lightning_rows(loss, steps_per_epoch=70, every=1, val=val)
    frame = bundle_from_memory(pd.DataFrame(rows))
    exact = bundle_from_memory(as_columns(rows))
    read, meant = series(frame), series(exact)
    assert read["train_loss"] == meant["train_loss"]
    # The frame cannot say at which steps validation would have run: its NaN tail covers every
    # step after the last number (419) instead of the epoch ends.
    steps, values = read["val_loss"]
    assert steps[:6] == meant["val_loss"][0][:6] and steps[6:] == list(range(420, 700))
    assert values[:6] == meant["val_loss"][1][:6] and set(values[6:]) == {"nan"}
    item = finding(ENGINE.analyze(frame), "nan_loss")
    assert item.findings.step_range == (400, 699)
    assert codes(ENGINE.analyze(frame)) == codes(ENGINE.analyze(exact))


@pytest.mark.parametrize("every", [1, 10, 50])
def test_a_healthy_sparse_frame_has_no_nan_values(every: int) -> None:
    # Validation at each epoch end, and 30 training steps logged after the last validation.
    loss = decay(730, 2.3, 0.3) * np.exp(0.2 * np.random.default_rng(0).standard_normal(730))
    rows = lightning_rows(loss, steps_per_epoch=70, every=every, val=decay(10, 2.2, 0.4))
    frame, _ = same_run(rows)
    assert frame.metrics is not None
    for name in frame.metrics:
        assert not np.isnan(frame.metrics.series(name)[2]).any(), name
    assert "nan_loss" not in codes(deepfix_notebook.analyze(pd.DataFrame(rows)), 0)


def test_one_missing_last_cell_is_an_interrupted_epoch_not_a_nan() -> None:
    frame = pd.DataFrame(
        {
            "epoch": range(10),
            "train_loss": decay(10).tolist(),
            "val_loss": [*decay(9, 2.1, 0.3).tolist(), NAN],
        }
    )
    b = bundle_from_memory(frame)
    assert b.metrics is not None
    steps, _, values = b.metrics.series("val_loss")
    assert steps.tolist() == list(range(9)) and not np.isnan(values).any()


def test_nan_between_numbers_is_missing_in_a_frame() -> None:
    # The documented limit of the rule: a DataFrame cannot carry an isolated NaN value; a
    # mapping of lists can.
    loss = decay(10).tolist()
    loss[4] = NAN
    frame = bundle_from_memory(pd.DataFrame({"epoch": range(10), "train_loss": loss}))
    exact = bundle_from_memory({"epoch": list(range(10)), "train_loss": loss})
    assert frame.metrics is not None and exact.metrics is not None
    assert frame.metrics.series("train_loss")[0].tolist() == [0, 1, 2, 3, 5, 6, 7, 8, 9]
    assert np.isnan(exact.metrics.series("train_loss")[2][4])


def test_hugging_face_log_history_keeps_its_sparse_columns() -> None:
    logs: list[dict[str, float]] = []
    for step in range(50, 1201, 50):
        logs.append({"loss": 2 * np.exp(-step / 400), "learning_rate": 5e-5, "step": step})
        if step % 400 == 0:
            logs.append({"eval_loss": 2.1 * np.exp(-step / 400), "step": step})
    logs.append({"train_runtime": 100.0, "train_loss": 1.0, "step": 1200})
    frame, _ = same_run(logs)
    assert frame.metrics is not None
    assert len(frame.metrics.metrics["train_loss"]) == 24  # `loss`, logged most often
    assert len(frame.metrics.metrics["val_loss"]) == 3
