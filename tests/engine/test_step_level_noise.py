"""Step-level losses (one batch per value) carry batch noise; instability must stand out of it.

A healthy PyTorch Lightning run logging ``train_loss`` with ``on_step=True`` (every step, or
Lightning's default of every 50) and ``val_loss`` per epoch used to get ``unstable_training`` and
``learning_rate_too_high``: its noisy points were compared with the lowest point seen so far,
which measures the batch noise, not the loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from engine_helpers import ENGINE, as_columns, bundle, codes, finding, lightning_rows

from deepfix_notebook.artifacts import MetricsTable, bundle_from_memory
from deepfix_notebook.engine._curves import curves
from deepfix_notebook.engine.training import step_level

STEPS_PER_EPOCH = 70
EPOCHS = 10
STEPS = STEPS_PER_EPOCH * EPOCHS
NOISY_FALSE_ALARMS = {"unstable_training", "learning_rate_too_high"}


def healthy_loss(seed: int, noise: float, kind: str) -> np.ndarray:
    """2.3 -> 0.3 over 700 steps, times multiplicative batch noise of about +-``noise``."""
    rng = np.random.default_rng(seed)
    t = np.arange(STEPS)
    level = 0.3 + 2.0 * np.exp(-t / 150)
    if kind == "uniform":
        return level * (1 + noise * rng.uniform(-1, 1, STEPS))
    return level * np.exp(noise * rng.standard_normal(STEPS))


def val_loss() -> np.ndarray:
    ends = np.arange(1, EPOCHS + 1) * STEPS_PER_EPOCH - 1
    return 0.35 + 1.9 * np.exp(-ends / 150)


@pytest.mark.parametrize("every", [1, 10, 50])
@pytest.mark.parametrize(("noise", "kind"), [(0.15, "uniform"), (0.3, "uniform"), (0.3, "log")])
@pytest.mark.parametrize("seed", range(4))
def test_healthy_lightning_run_with_batch_noise_is_not_unstable(
    seed: int, noise: float, kind: str, every: int
) -> None:
    rows = lightning_rows(
        healthy_loss(seed, noise, kind),
        steps_per_epoch=STEPS_PER_EPOCH,
        every=every,
        val=val_loss(),
    )
    from_frame = ENGINE.analyze(bundle_from_memory(pd.DataFrame(rows)))
    from_dict = ENGINE.analyze(bundle(as_columns(rows)))
    assert codes(from_frame) & NOISY_FALSE_ALARMS == set()
    assert codes(from_dict) == codes(from_frame)


def test_the_step_rows_of_a_lightning_frame_are_step_level() -> None:
    def table(frame: pd.DataFrame | dict[str, Any]) -> MetricsTable:
        metrics = bundle_from_memory(frame).metrics
        assert metrics is not None
        return metrics

    for every in (1, 10, 50):  # 70, 7 and 1.4 values per epoch
        rows = lightning_rows(
            healthy_loss(0, 0.3, "log"),
            steps_per_epoch=STEPS_PER_EPOCH,
            every=every,
            val=val_loss(),
        )
        found = curves(table(pd.DataFrame(rows)))
        assert step_level(found["train_loss"])
        assert not step_level(found["val_loss"])
    per_epoch = curves(table({"epoch": np.arange(30.0), "train_loss": np.linspace(2, 1, 30)}))
    assert not step_level(per_epoch["train_loss"])


@pytest.mark.parametrize("every", [1, 10])
@pytest.mark.parametrize("seed", range(3))
def test_loss_oscillating_with_growing_amplitude_is_unstable(seed: int, every: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(STEPS)
    level = 0.3 + 2.0 * np.exp(-t / 150)
    swing = np.exp((t / STEPS) * np.log(5) * np.sin(2 * np.pi * t / (2 * STEPS_PER_EPOCH)))
    loss = level * swing * np.exp(0.2 * rng.standard_normal(STEPS))
    rows = lightning_rows(loss, steps_per_epoch=STEPS_PER_EPOCH, every=every, val=val_loss())
    result = ENGINE.analyze(bundle_from_memory(pd.DataFrame(rows)))
    assert "unstable_training" in codes(result)


@pytest.mark.parametrize("every", [1, 10])
@pytest.mark.parametrize("noise", [0.15, 0.3])
@pytest.mark.parametrize("seed", range(3))
def test_repeated_5_to_10x_spikes_on_a_noisy_loss_are_unstable(
    seed: int, noise: float, every: int
) -> None:
    loss = healthy_loss(seed, noise, "log")
    rng = np.random.default_rng(100 + seed)
    for start in (150, 300, 450, 600):
        loss[start : start + 15] *= rng.uniform(5, 10)
    rows = lightning_rows(loss, steps_per_epoch=STEPS_PER_EPOCH, every=every, val=val_loss())
    result = ENGINE.analyze(bundle_from_memory(pd.DataFrame(rows)))
    assert {"unstable_training", "learning_rate_too_high"} <= codes(result)
    item = finding(result, "unstable_training")
    assert "above 3x its surrounding level" in item.findings.evidence


def test_one_bad_batch_is_not_instability() -> None:
    loss = healthy_loss(1, 0.2, "log")
    loss[500] *= 20  # one hard batch near the end, 50x the final level
    rows = lightning_rows(loss, steps_per_epoch=STEPS_PER_EPOCH, every=1, val=val_loss())
    result = ENGINE.analyze(bundle_from_memory(pd.DataFrame(rows)))
    assert "unstable_training" not in codes(result)


def test_epoch_level_spikes_keep_the_finer_factor() -> None:
    n = 30
    loss = 0.3 + 2.0 * np.exp(-np.arange(n) / 6)
    loss[[10, 20]] *= 2.5  # epoch averages: no batch noise to discount
    result = ENGINE.analyze(bundle({"epoch": np.arange(float(n)), "train_loss": loss}))
    item = finding(result, "unstable_training")
    assert "2 time(s) above 2x" in item.findings.evidence
