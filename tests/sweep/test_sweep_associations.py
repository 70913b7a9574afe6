"""The association statistics on made-up sweeps: found when planted, never invented."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.sweeps._associations import ALPHA, MIN_RUNS, Observed, associations, number


def sweep(params: list[dict[str, str]], problems: list[set[str]]) -> list[Observed]:
    return [Observed(p, frozenset(c)) for p, c in zip(params, problems, strict=True)]


def test_a_threshold_on_a_log_scale_parameter() -> None:
    rng = np.random.default_rng(1)
    lrs = 10 ** rng.uniform(-5, 0, 300)  # many distinct values, five decades
    runs = sweep(
        [{"lr": repr(float(lr)), "seed": str(i)} for i, lr in enumerate(lrs)],
        [{"exploding_loss"} if lr >= 0.3 else set() for lr in lrs],
    )
    found, note = associations(runs)
    assert note is None
    [only] = found
    assert (only.code.value, only.param, only.operator) == ("exploding_loss", "lr", ">=")
    assert only.threshold is not None and 0.2 <= only.threshold <= 0.45
    assert only.rate_in > 0.9 and only.rate_out < 0.02
    assert only.p_value < ALPHA


def test_a_value_set_for_a_categorical_parameter() -> None:
    optimizers = ["sgd", "adam", "rmsprop", "adamw"] * 10
    runs = sweep(
        [{"optimizer": o} for o in optimizers],
        [{"unstable_training"} if o == "sgd" else set() for o in optimizers],
    )
    [only] = associations(runs)[0]
    assert (only.operator, only.values, only.condition) == ("in", ["sgd"], "optimizer = sgd")
    assert (only.hits_in, only.support, only.hits_out, only.runs_out) == (10, 10, 0, 30)


def test_random_problems_and_parameters_give_nothing() -> None:
    rng = np.random.default_rng(5)
    for trial in range(20):
        n = 200
        runs = sweep(
            [
                {
                    "lr": repr(float(10 ** rng.uniform(-4, 0))),
                    "batch": str(int(rng.choice([16, 32, 64, 128]))),
                    "opt": str(rng.choice(["adam", "sgd", "rmsprop"])),
                }
                for _ in range(n)
            ],
            [{"plateau"} if rng.random() < 0.3 else set() for _ in range(n)],
        )
        assert associations(runs)[0] == [], trial


def test_runs_without_the_parameter_are_left_out() -> None:
    params = [{"lr": "1.0"}] * 8 + [{"lr": "0.001"}] * 20 + [{}] * 30
    problems = [{"exploding_loss"}] * 8 + [set()] * 20 + [{"exploding_loss"}] * 30
    [only] = associations(sweep(params, problems))[0]
    assert (only.hits_in, only.support, only.hits_out, only.runs_out) == (8, 8, 0, 20)


def test_too_few_runs_is_a_note_not_a_guess() -> None:
    runs = sweep([{"lr": "1"}] * 3 + [{"lr": "0.001"}] * 5, [{"nan_loss"}] * 3 + [set()] * 5)
    found, note = associations(runs)
    assert found == []
    assert note is not None and f"at least {MIN_RUNS}" in note


def test_numbers_read_as_people_write_them() -> None:
    assert [number(v) for v in (0.31622, 3e-4, 128.0, 0.001, 2.5e6)] == [
        "0.316",
        "0.0003",
        "128",
        "0.001",
        "2.5e+06",
    ]
