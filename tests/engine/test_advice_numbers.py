"""Numbers in advice: ranges said once when their ends meet, suggestions rounded sensibly."""

from __future__ import annotations

import re

import numpy as np
import pytest
from engine_helpers import analyze, decay, finding

from deepfix_notebook.engine._advice import lower_lr, raise_lr, times, weight_decay_advice
from deepfix_notebook.engine._curves import approx, fmt


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.01 / 3, "0.0033"),
        (1e-4 / 3, "3.3e-5"),
        (0.1 / 10, "0.01"),
        (3e-4 * 3, "0.0009"),
        (1 / 3, "0.33"),
        (9.667, "9.7"),
        (99.6, "100"),
        (1234.5, "1200"),
        (2.5e6, "2.5e6"),
        (3.0, "3"),
        (0.0, "0"),
        (-0.0333, "-0.033"),
        (float("nan"), "NaN"),
    ],
)
def test_approx_gives_two_significant_digits_without_float_noise(value: float, text: str) -> None:
    assert approx(value) == text


def test_fmt_writes_short_exponents() -> None:
    assert fmt(1e-8) == "1e-8"
    assert fmt(3.33333e-5) == "3.33e-5"
    assert fmt(2.5e7) == "2.5e7"
    assert fmt(0.003333) == "0.003333"  # evidence keeps 4 digits of what was measured


def test_a_range_whose_ends_meet_is_said_once() -> None:
    assert times(3, 10) == "3-10x"
    assert times(3, 3) == "about 3x"
    assert lower_lr(0.01, "adam", 3) == (
        "lower the learning rate about 3x, from 0.01 to about 0.0033"
    )
    assert lower_lr(0.1, "sgd") == "lower the learning rate 3-10x, from 0.1 to about 0.01"
    assert lower_lr(None, "adam", 3) == (
        "lower the learning rate about 3x (adam's usual default is 0.001)"
    )
    assert raise_lr(1e-5, "adam", 3) == (
        "raise the learning rate about 3x, from 1e-5 to about 3e-5"
    )
    assert weight_decay_advice(3.3e-4, "sgd") == "raise weight decay from 0.00033 to about 0.0033"


# A suggestion with 3+ significant digits (0.003333, 3.333) or a range like '3-3x'.
NOISY = re.compile(r"\b0\.0*[1-9]\d{2,}|\b[1-9]\d*\.\d{3,}|\b(\d+(?:\.\d+)?)-\1x")


def test_advice_and_summary_of_an_unstable_run_have_clean_numbers() -> None:
    n = 60
    loss = decay(n, 2, 0.3)
    loss[[15, 30, 45]] *= 6
    result = analyze(
        {"epoch": np.arange(n, dtype=float), "train_loss": loss},
        params={"lr": 0.01, "optimizer": "adam", "batch_size": 8},
    )
    item = finding(result, "unstable_training")
    assert "Lower the learning rate about 3x, from 0.01 to about 0.0033" in (
        item.recommendations.action
    )
    start_with = result.summary.split("Start with: ")[1]  # evidence before it keeps 4 digits
    texts = [start_with] + [
        a.recommendations.action for r in result.agent_results for a in r.analysis
    ]
    for text in texts:
        assert not NOISY.search(text), text


def test_learning_rate_ratios_in_evidence_are_rounded() -> None:
    result = analyze(
        {"epoch": np.arange(50.0), "train_loss": 2.3 - 0.0005 * np.arange(50)},
        params={"lr": 3e-6, "optimizer": "sgd"},
    )
    item = finding(result, "learning_rate_too_low")
    assert "(3300x below the usual 0.01 for sgd)" in item.findings.evidence
