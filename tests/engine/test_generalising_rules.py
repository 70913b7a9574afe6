"""Rule families widened for unseen runs: a curve stopped far from where it was heading, epoch
means that spike under step-level batch noise, frozen weights, and a dead run not overtrained."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from engine_helpers import analyze, codes, decay, finding, healthy_columns

from deepfix_notebook.engine._curves import Curve
from deepfix_notebook.engine.training._progress import UNFINISHED_SHARE, still_ahead


def curve(values: np.ndarray) -> Curve:
    n = values.size
    return Curve("val_loss", "val_loss", np.arange(n), np.arange(n, dtype=float), values)


def crawl(n: int = 40, rate: float = 0.8, seed: int = 0) -> dict[str, Any]:
    """A run stopped after under one time constant: both losses still fall at a steady pace."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n)
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": (0.3 + 0.7 * np.exp(-rate * t)) * (1 + 0.01 * rng.standard_normal(n)),
        "val_loss": 0.32 + 0.7 * np.exp(-rate * t),
        "learning_rate": np.full(n, 6e-5),
    }


@pytest.mark.parametrize("rate", [0.5, 1.0, 3.0, 6.0])
def test_aitken_gives_the_share_of_an_exponential_approachstill_ahead(rate: float) -> None:
    """exp(-rate x span) for a curve exp(-rate t): the span between the centres of the first and
    last tenth that the medians stand for is 0.9 of the run."""
    t = np.linspace(0, 1, 201)
    measured = still_ahead(curve(0.2 + np.exp(-rate * t)))
    assert measured == pytest.approx(np.exp(-0.9 * rate), rel=0.03)


def test_a_straight_descent_is_not_slowing_down_and_noise_around_a_level_is_not_falling() -> None:
    assert still_ahead(curve(np.linspace(1.0, 0.6, 30))) == 1.0
    rng = np.random.default_rng(1)
    assert still_ahead(curve(1.4 + 0.01 * rng.standard_normal(30))) is None


def test_a_run_stopped_well_before_its_curve_levels_off_is_slow_convergence() -> None:
    result = analyze(crawl())
    assert "slow_convergence" in codes(result)
    item = finding(result, "slow_convergence")
    assert "of its improvement ahead" in item.findings.evidence
    assert {"epochs", "learning_rate"} <= {t.value for t in item.recommendations.targets}


def test_a_converged_run_leaves_less_than_the_bar_ahead_and_is_not_slow() -> None:
    columns = healthy_columns()
    assert still_ahead(curve(columns["val_loss"])) < UNFINISHED_SHARE / 2
    assert "slow_convergence" not in codes(analyze(columns), at_least=0)


def test_epoch_means_that_spike_under_step_level_batch_noise_are_unstable() -> None:
    """Lightning logs train_loss_step every few steps and train_loss_epoch once per epoch; the
    batch noise of small batches hides the jumps that the epoch means show."""
    rng = np.random.default_rng(3)
    epochs, per_epoch = 30, 20
    level = decay(epochs, 0.3, 0.03)
    level[[8, 16, 23]] *= 2.5  # epochs where the weights jumped
    step_epoch = np.repeat(np.arange(epochs, dtype=float), per_epoch)
    step_loss = np.repeat(level, per_epoch) * np.exp(0.5 * rng.standard_normal(step_epoch.size))
    epoch_rows = np.full(step_epoch.size, np.nan)
    epoch_rows[per_epoch - 1 :: per_epoch] = level
    columns = {
        "step": np.arange(step_epoch.size, dtype=float),
        "epoch": step_epoch,
        "train_loss_step": step_loss,
        "train_loss_epoch": epoch_rows,
    }
    item = finding(analyze(columns), "unstable_training")
    assert item.findings.severity.rank >= 1
    assert "train_loss_epoch spiked 3 time(s)" in item.findings.evidence
    assert "mean over an epoch" in item.findings.evidence
    calm_level = np.repeat(decay(epochs, 0.3, 0.03), per_epoch)
    calm = dict(columns, train_loss_epoch=np.where(np.isnan(epoch_rows), np.nan, calm_level))
    assert "unstable_training" not in codes(analyze(calm))


def test_a_validation_loss_identical_at_every_evaluation_means_frozen_weights() -> None:
    """An optimizer built on a replaced model: batch noise moves the train loss, nothing else."""
    rng = np.random.default_rng(5)
    n = 300
    columns = {
        "step": np.arange(n, dtype=float),
        "epoch": np.arange(n) / 10,
        "train_loss": 1.02 * np.exp(0.05 * rng.standard_normal(n)),
        "val_loss": np.where(np.arange(n) % 10 == 9, 1.00412, np.nan),
    }
    item = finding(analyze(columns), "loss_not_decreasing")
    assert "identical to 6 digits: the weights did not change" in item.findings.evidence
    assert "optimizer" in {t.value for t in item.recommendations.targets}
    moving = dict(columns, val_loss=np.where(np.arange(n) % 10 == 9, decay(n, 1.0, 0.4), np.nan))
    assert "loss_not_decreasing" not in codes(analyze(moving), at_least=0)


def test_a_dead_run_is_not_overtraining_but_a_run_that_worsened_after_its_first_best_is() -> None:
    n = 25
    rng = np.random.default_rng(7)
    dead = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": np.r_[1.2, 0.6931 + 0.001 * rng.standard_normal(n - 1)],
        "val_loss": 0.6932 + 0.0002 * np.abs(rng.standard_normal(n)),
    }
    assert "overtraining" not in codes(analyze(dead), at_least=0)
    worse = dict(dead, val_loss=0.5 + 0.3 * np.linspace(0, 1, n) ** 2)
    worse["train_loss"] = decay(n, 0.7, 0.1)
    assert "overtraining" in codes(analyze(worse), at_least=0)
