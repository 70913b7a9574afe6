"""Boosting rules on eval curves per round: overfitting, eta too high or low, early stopping."""

from __future__ import annotations

from typing import Any

import numpy as np
from engine_helpers import analyze, codes, finding

NETWORK_ONLY = {"plateau", "slow_convergence", "unstable_training", "underfitting"}


def rounds(n: int, best: int, rise: float, floor: float = 0.3) -> dict[str, Any]:
    """Train logloss falls all along; eval logloss falls to ``floor`` at round ``best`` and
    climbs ``rise`` (a share of the floor) by the last round."""
    r = np.arange(n, dtype=float)
    falling = floor + 0.4 * np.exp(-4 * r / max(best, 1))
    climbing = floor * (1 + rise * np.clip((r - best) / max(n - 1 - best, 1), 0, None))
    return {
        "step": r,
        "train_loss": 0.69 * np.exp(-3 * r / n) + 0.01,
        "val_loss": np.where(r <= best, falling, climbing + (falling[best] - floor)),
    }


def test_overfitting_after_an_early_best_round_blames_eta_and_speaks_in_rounds() -> None:
    params = {"num_boost_round": 100, "eta": 0.3, "max_depth": 6}
    result = analyze(rounds(100, best=5, rise=0.6), params=params)
    assert {"overfitting", "learning_rate_too_high", "overtraining"} <= codes(result)
    assert not NETWORK_ONLY & codes(result, at_least=0)
    over = finding(result, "overfitting")
    assert "best at round 6 of 100" in over.findings.evidence
    action = over.recommendations.action
    assert "early_stopping_rounds=10" in action and "max_depth 6 -> 4" in action
    assert "lower eta from 0.3 to about 0.06 with 5x the rounds" in action
    assert "epoch" not in action and "dropout" not in action


def test_a_boosted_run_stopped_early_at_its_best_round_is_clean() -> None:
    columns = rounds(90, best=79, rise=0.02)  # early stopping 10 rounds after the best
    params = {"num_boost_round": 500, "eta": 0.05, "early_stopping_rounds": 10}
    assert codes(analyze(columns, params=params)) == set()


def test_early_stopping_that_did_not_stop_is_called_out() -> None:
    params = {"num_boost_round": 200, "eta": 0.1, "early_stopping_rounds": 10}
    item = finding(analyze(rounds(200, best=60, rise=0.03), params=params), "overtraining")
    assert item.findings.severity.value == "medium"
    assert "early_stopping_rounds=10 is set" in item.findings.evidence


def test_still_improving_at_the_last_round_wants_more_rounds_or_a_larger_eta() -> None:
    r = np.arange(100, dtype=float)
    columns = {"step": r, "train_loss": 0.7 * np.exp(-r / 60), "val_loss": 0.7 * np.exp(-r / 80)}
    item = finding(
        analyze(columns, params={"n_estimators": 100, "eta": 0.1}), "insufficient_training"
    )
    assert "num_boost_round (n_estimators) to about 300" in item.recommendations.action
    slow = analyze(columns, params={"n_estimators": 100, "learning_rate": 0.005})
    assert "learning_rate_too_low" in codes(slow)


def test_the_rounds_are_measured_once_per_analysis(monkeypatch: Any) -> None:
    from deepfix_notebook.engine.training import boosting

    calls: list[int] = []
    measure = boosting._rounds

    def counted(facts: Any) -> Any:
        calls.append(1)
        return measure(facts)

    monkeypatch.setattr(boosting, "_rounds", counted)
    params = {"num_boost_round": 100, "eta": 0.3, "max_depth": 6}
    result = analyze(rounds(100, best=5, rise=0.6), params=params)
    assert {"overfitting", "learning_rate_too_high", "overtraining"} <= codes(result)
    assert len(calls) == 1  # four boosting rules read it
