"""Training rules on curves with known shapes: each problem found, healthy runs left alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from engine_helpers import analyze, codes, decay, finding, healthy_columns

SERIOUS = {
    "nan_loss",
    "exploding_loss",
    "loss_not_decreasing",
    "underfitting",
    "overfitting",
    "unstable_training",
    "suspicious_validation",
    "learning_rate_too_high",
    "learning_rate_too_low",
    "exploding_gradients",
    "vanishing_gradients",
    "slow_convergence",
    "plateau",
    "overtraining",
    "insufficient_training",
}


def test_healthy_run_has_no_medium_or_high_finding_and_says_so() -> None:
    result = analyze(healthy_columns(), params={"lr": 1e-3, "optimizer": "adam"})
    assert codes(result) == set()
    assert result.summary.startswith("The run looks healthy")
    assert result.status.value == "completed"


@pytest.mark.parametrize("scale", [1e-4, 1.0, 1e4])
def test_rules_do_not_depend_on_the_loss_scale(scale: float) -> None:
    columns = healthy_columns()
    columns["train_loss"] = columns["train_loss"] * scale
    columns["val_loss"] = columns["val_loss"] * scale
    assert codes(analyze(columns)) == set()
    n = 60
    over = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 2, 0.05) * scale,
        "val_loss": (decay(n, 2, 0.5) + np.linspace(0, 0.6, n) ** 2) * scale,
    }
    assert "overfitting" in codes(analyze(over))


def test_overfitting_evidence_quotes_numbers_and_places() -> None:
    n = 40
    epochs = np.arange(n, dtype=float)
    val = 0.4 + 0.0006 * (epochs - 14) ** 2
    columns = {"epoch": epochs, "train_loss": decay(n, 1.5, 0.1), "val_loss": val}
    item = finding(analyze(columns), "overfitting")
    evidence = item.findings.evidence
    assert (
        "val_loss rose" in evidence and "at epoch 14" in evidence and "train_loss fell" in evidence
    )
    assert item.findings.epoch_range == (14.0, 39.0)
    assert item.findings.step_range == (14, 39)
    assert "epoch 14" in item.recommendations.action
    assert {"early_stopping", "regularization"} <= {t.value for t in item.recommendations.targets}


def test_nan_loss_is_high_with_its_place() -> None:
    n = 30
    loss = list(decay(n))
    loss[20:] = [float("nan")] * 10
    result = analyze({"epoch": list(range(n)), "train_loss": loss})
    item = finding(result, "nan_loss")
    assert item.findings.severity.value == "high"
    assert item.findings.step_range == (20, 29)
    assert "became NaN at epoch 20" in item.findings.evidence
    assert result.summary.startswith("train_loss became NaN")


def test_divergence_is_exploding_loss() -> None:
    n = 30
    loss = np.r_[decay(10, 2, 1), np.geomspace(1, 500, 20)]
    result = analyze({"epoch": np.arange(n, dtype=float), "train_loss": loss})
    assert {"exploding_loss", "learning_rate_too_high"} <= codes(result)
    assert "loss_not_decreasing" not in codes(result)  # the divergence explains it


def test_flat_loss_is_loss_not_decreasing_with_plumbing_advice() -> None:
    rng = np.random.default_rng(1)
    loss = 2.302 + 0.002 * rng.standard_normal(50)
    result = analyze({"epoch": np.arange(50.0), "train_loss": loss})
    item = finding(result, "loss_not_decreasing")
    assert item.findings.severity.value == "high"
    targets = {t.value for t in item.recommendations.targets}
    assert {"activation", "loss_function"} <= targets


def test_accuracy_in_percent_means_the_same_as_fractions() -> None:
    n = 40
    low = 0.35 + 0.02 * np.linspace(0, 1, n)
    base = {"epoch": np.arange(n, dtype=float), "train_loss": decay(n, 1.1, 0.9, 2)}
    as_fraction = analyze({**base, "train_accuracy": low, "val_accuracy": low - 0.01})
    as_percent = analyze({**base, "train_accuracy": low * 100, "val_accuracy": (low - 0.01) * 100})
    assert "underfitting" in codes(as_fraction)
    assert codes(as_fraction) == codes(as_percent)


def test_validation_every_k_steps() -> None:
    steps = 1000
    train = decay(steps, 2, 0.05)
    val = np.full(steps, np.nan)
    every = np.arange(0, steps, 50)
    val[every] = 0.5 + 0.000002 * (every - 300) ** 2
    result = analyze({"step": np.arange(steps, dtype=float), "train_loss": train, "val_loss": val})
    item = finding(result, "overfitting")
    assert item.findings.step_range is not None and item.findings.step_range[0] == 300


def test_million_noisy_steps_healthy() -> None:
    n = 1_000_000
    rng = np.random.default_rng(2)
    loss = decay(n, 3, 0.3, 6) * np.exp(0.3 * rng.standard_normal(n))
    result = analyze({"step": np.arange(n, dtype=float), "train_loss": loss})
    assert codes(result) & SERIOUS == set()
    assert result.execution_time < 30  # a sanity bound only; speed is in benchmarks/


def test_three_epochs_are_insufficient_training() -> None:
    result = analyze({"epoch": [0.0, 1.0, 2.0], "train_loss": [2.0, 1.2, 0.8]})
    item = finding(result, "insufficient_training")
    assert item.findings.severity.value == "medium"
    assert "3 epochs" in item.findings.evidence


def test_regression_overfitting_via_val_mae() -> None:
    n = 50
    epochs = np.arange(n, dtype=float)
    columns = {
        "epoch": epochs,
        "loss": decay(n, 50, 2),
        "val_mae": 4 + 0.004 * (epochs - 12) ** 2,
        "mae": decay(n, 6, 1),
    }
    assert "overfitting" in codes(analyze(columns))


def test_missing_metrics_are_named_in_warnings() -> None:
    result = analyze({"epoch": np.arange(20.0), "train_loss": decay(20)})
    text = " ".join(result.warnings)
    assert "No validation metric was logged" in text
    assert "No gradient norm" in text


def test_exploding_and_vanishing_gradients() -> None:
    n = 40
    base = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": np.r_[decay(20), np.geomspace(0.5, 40, 20)],
    }
    grad = np.r_[np.full(20, 1.0), np.geomspace(1, 1e5, 20)]
    assert "exploding_gradients" in codes(analyze({**base, "grad_norm": grad}))
    flat = {"epoch": np.arange(n, dtype=float), "train_loss": 2.3 - 0.001 * np.arange(n)}
    tiny = np.geomspace(1e-2, 1e-9, n)
    assert "vanishing_gradients" in codes(analyze({**flat, "grad_norm": tiny}))


def test_converged_run_with_small_gradients_is_not_vanishing() -> None:
    n = 40
    columns = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 2, 0.001, 8),
        "grad_norm": np.geomspace(1, 1e-6, n),
    }
    assert "vanishing_gradients" not in codes(analyze(columns), 0)


def test_learning_rate_from_params_shapes_the_advice() -> None:
    loss = 2.3 - 0.0005 * np.arange(50)
    result = analyze(
        {"epoch": np.arange(50.0), "train_loss": loss}, params={"lr": 1e-8, "optimizer": "Adam"}
    )
    item = finding(result, "learning_rate_too_low")
    assert "1e-8 (100000x below" in item.findings.evidence
    assert "from 1e-8 to about 1e-7" in item.recommendations.action


def test_unstable_training_spikes() -> None:
    n = 60
    loss = decay(n, 2, 0.3)
    loss[[15, 30, 45]] *= 6
    result = analyze(
        {"epoch": np.arange(n, dtype=float), "train_loss": loss}, params={"batch_size": 2}
    )
    item = finding(result, "unstable_training")
    assert "3 time(s)" in item.findings.evidence
    assert "batch size from 2" in item.recommendations.action


@pytest.mark.parametrize("seed", range(5))
def test_batch_noise_on_a_flat_loss_is_not_oscillation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 1200  # one batch loss per step: a flat 1.0 with the spread of a small regression batch
    loss = np.abs(1.0 + 0.3 * rng.standard_normal(n))
    result = analyze({"step": np.arange(n), "train_loss": loss}, params={"lr": 1e-3})
    assert not {"unstable_training", "learning_rate_too_high"} & codes(result)


def test_validation_loss_that_jumps_back_and_forth_is_unstable() -> None:
    n = 40
    columns = {"epoch": np.arange(n, dtype=float), "train_loss": decay(n, 0.7, 0.1)}
    val = decay(n, 0.7, 0.15)
    assert "unstable_training" not in codes(analyze({**columns, "val_loss": val}), at_least=0)
    val[[12, 25, 33]] *= 2.2  # the weights jump; fixed validation data shows it
    item = finding(analyze({**columns, "val_loss": val}), "unstable_training")
    assert item.findings.metric == "val_loss" and "3 time(s) above 1.5x" in item.findings.evidence
    assert "fixed data" in item.findings.evidence


def test_suspicious_validation() -> None:
    n = 30
    columns = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 2, 0.8),
        "val_loss": decay(n, 1.5, 0.3),
    }
    assert "suspicious_validation" in codes(analyze(columns))


def _val_below_train(n: int, ratio: float) -> dict[str, Any]:
    train = decay(n, 2, 0.8)
    return {"epoch": np.arange(n, dtype=float), "train_loss": train, "val_loss": train * ratio}


def test_heavy_dropout_makes_a_small_val_advantage_a_medium_finding_aimed_at_dropout() -> None:
    columns = _val_below_train(30, 0.85)
    assert "suspicious_validation" not in codes(analyze(columns), at_least=0)
    for rate, severity in ((0.3, None), (0.6, "medium")):
        result = analyze(columns, params={"dropout": rate})
        if severity is None:
            assert "suspicious_validation" not in codes(result, at_least=0)
            continue
        item = finding(result, "suspicious_validation")
        assert item.findings.severity.value == severity
        assert item.recommendations.targets[0].value == "regularization"
        assert "dropout 0.6" in item.recommendations.action


def _memorised(n: int, val_share: float) -> dict[str, Any]:
    """Train loss falls to 0.3% of its start and accuracy reaches 1.0 on both splits."""
    train = decay(n, 1.4, 0.004, 6.0)
    acc = 1.0 - 0.7 * np.exp(-8 * np.linspace(0, 1, n))
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": train,
        "val_loss": train * val_share,
        "train_accuracy": acc,
        "val_accuracy": acc,
    }


def test_validation_that_follows_a_memorising_model_to_perfect_accuracy_is_suspicious() -> None:
    item = finding(analyze(_memorised(40, 0.95)), "suspicious_validation")
    assert item.findings.severity.value == "medium"
    assert (
        "memorised" in item.findings.evidence
        and item.recommendations.targets[0].value == "data_split"
    )
    # Honest validation stays above a memorising model's training loss.
    assert "suspicious_validation" not in codes(analyze(_memorised(40, 3.0)), at_least=0)


def _early_best(n: int, rise: float, seed: int = 0) -> dict[str, Any]:
    """Val loss falls 2.3 -> 0.08 by a fifth of the run, then drifts ``rise`` (a share of its best)
    above it while train loss keeps falling: small against the curve's range, large against its
    best."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, n)
    best = 0.08
    val = best + 2.2 * np.exp(-25 * t) + best * rise * np.clip((t - 0.2) / 0.8, 0, None)
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 2.3, 0.002, 8.0),
        "val_loss": val * (1 + 0.002 * rng.standard_normal(n)),
    }


def test_overtraining_that_cost_validation_loss_is_medium_and_a_flat_tail_is_low() -> None:
    costly = finding(analyze(_early_best(80, rise=0.4)), "overtraining")
    assert costly.findings.severity.value == "medium"
    flat = finding(analyze(_early_best(80, rise=0.0)), "overtraining")
    assert flat.findings.severity.value == "low"


def test_stopping_evidence_quotes_the_share_of_the_run_not_of_the_evaluations() -> None:
    n = 400
    columns = _early_best(n, rise=0.4)
    val = columns.pop("val_loss")
    columns["val_loss"] = np.where(np.arange(n) % 10 == 9, val, np.nan)  # validation every 10
    evidence = finding(analyze(columns), "overtraining").findings.evidence
    assert "epoch 399" in evidence and "of the run" in evidence
    share = int(evidence.split("the remaining ")[1].split("%")[0])
    assert 70 <= share <= 82


@pytest.mark.parametrize(("train_end", "severity"), [(0.21, "medium"), (0.12, "low")])
def test_a_validation_stall_is_worth_a_schedule_only_while_training_stalls_too(
    train_end: float, severity: str
) -> None:
    """Val loss levels off at 0.34 and creeps up; the train loss either stalls with it or keeps
    falling 44% (still optimising: the stall is the generalisation limit)."""
    rng = np.random.default_rng(3)
    n, settled = 30, 22
    flat = 0.342 + 0.004 * rng.standard_normal(settled) + np.linspace(0, 0.012, settled)
    columns = {
        "epoch": np.arange(1, n + 1, dtype=float),
        "train_loss": np.r_[decay(8, 1.0, 0.22, 4), np.linspace(0.215, train_end, settled)],
        "val_loss": np.r_[decay(8, 0.9, 0.34, 5), flat],
        "learning_rate": np.full(n, 1e-3),
    }
    assert finding(analyze(columns), "plateau").findings.severity.value == severity


def _grad_columns(norm: np.ndarray) -> dict[str, Any]:
    n = norm.size
    return {"step": np.arange(n), "train_loss": decay(n, 0.7, 0.3), "grad_norm": norm}


def test_a_brief_gradient_burst_orders_of_magnitude_up_is_exploding() -> None:
    norm = np.abs(1.0 + 0.3 * np.random.default_rng(0).standard_normal(600))
    norm[300:303] = [30.0, 119.0, 30.0]  # too brief for a 3-point median to reach 100x
    item = finding(analyze(_grad_columns(norm)), "exploding_gradients")
    assert "119" in item.findings.evidence and item.findings.severity.value == "medium"


def test_a_tiny_gradient_norm_that_grows_100x_but_stays_small_is_not_exploding() -> None:
    norm = np.full(600, 0.003)
    norm[300] = 0.4  # 130x its early level, yet far below any clipping norm
    assert "exploding_gradients" not in codes(analyze(_grad_columns(norm)), at_least=0)


def test_validation_spikes_with_an_unknown_optimizer_point_at_the_learning_rate() -> None:
    n = 40
    val = decay(n, 0.7, 0.15)
    val[[12, 25, 33]] *= 2.2
    columns = {"epoch": np.arange(n, dtype=float), "train_loss": decay(n, 0.7, 0.1)}
    item = finding(analyze({**columns, "val_loss": val}), "learning_rate_too_high")
    assert item.findings.severity.value == "medium"
    assert "validation loss jumped" in item.findings.evidence


def _memorising(n: int, acc_at_best: float) -> dict[str, Any]:
    """Val loss bottoms out at a third of the run and rises 40%; train accuracy sits at
    ``acc_at_best`` there and climbs to 0.97 by the end."""
    t = np.linspace(0, 1, n)
    val = 0.6 + 0.8 * np.exp(-12 * t) + 0.35 * np.clip(t - 0.33, 0, None)
    acc = np.where(t < 0.33, acc_at_best * (1 - 0.5 * np.exp(-12 * t)), 0.0)
    acc = np.where(t >= 0.33, acc_at_best + (0.97 - acc_at_best) * (t - 0.33) / 0.67, acc)
    return {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 1.4, 0.1, 4.0),
        "val_loss": val,
        "train_accuracy": acc,
    }


def test_overfitting_after_a_low_train_accuracy_ceiling_targets_the_labels_first() -> None:
    noisy = finding(analyze(_memorising(60, 0.66)), "overfitting")
    assert noisy.recommendations.targets[0].value == "labels"
    assert "noisy labels" in noisy.findings.evidence
    assert "confident learning" in noisy.recommendations.action
    clean = finding(analyze(_memorising(60, 0.95)), "overfitting")
    assert "labels" not in {t.value for t in clean.recommendations.targets}


def test_an_unstable_run_on_unscaled_inputs_is_put_down_to_the_inputs() -> None:
    n = 40
    val = decay(n, 0.7, 0.15)
    val[[12, 25, 33]] *= 2.2
    columns = {
        "epoch": np.arange(n, dtype=float),
        "train_loss": decay(n, 0.7, 0.1),
        "val_loss": val,
    }
    dataset = {
        "dataset_name": "sensors",
        "task_type": "regression",
        "num_train_samples": 5_000,
        "num_val_samples": 1_000,
        "statistics": {"train_mean": [3887.0, 1640.0], "train_std": [332.0, 118.0]},
    }
    result = analyze(columns, dataset=dataset)
    linked = [
        a
        for r in result.agent_results
        if r.agent_name == "CrossArtifactIntegrationAgent"
        for a in r.analysis
        if a.findings.code is not None and a.findings.code.value == "unnormalized_inputs"
    ]
    assert linked and "unstable_training" in linked[0].findings.evidence


def test_a_flat_loss_with_noisy_batch_accuracy_is_not_learning() -> None:
    rng = np.random.default_rng(0)
    n = 100  # one batch of 32 per point, 4 classes, labels shuffled: chance all along
    loss = np.log(4) + 0.01 * rng.standard_normal(n)
    acc = rng.binomial(32, 0.25, n) / 32
    acc[0], acc[-1] = 0.1875, 0.28125  # single batches at either end differ by 9 points
    columns = {"step": np.arange(1, n + 1) * 10, "train_loss": loss, "train_accuracy": acc}
    assert "loss_not_decreasing" in codes(analyze(columns))


def test_a_run_whose_loss_became_nan_gets_no_leakage_verdict() -> None:
    n = 30
    train = list(decay(n, 1.1, 0.4))
    train[12:] = [float("nan")] * (n - 12)  # a list keeps NaN as a logged value
    acc = np.r_[np.linspace(0.4, 0.8, 12), np.full(n - 12, 0.33)]  # NaN weights: chance
    columns = {
        "epoch": list(range(n)),
        "train_loss": train,
        "train_accuracy": acc,
        "val_accuracy": np.r_[np.linspace(0.45, 0.85, 12), np.full(n - 12, 0.6)],
    }
    found = codes(analyze(columns), at_least=0)
    assert "nan_loss" in found and "suspicious_validation" not in found
