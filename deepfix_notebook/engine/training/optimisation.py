"""Optimisation rules: a learning rate too high or too low for the optimizer and the dynamics.

The family defaults and factors they compare with are declared in `engine/_advice.py`, which
also phrases the advice.
"""

from __future__ import annotations

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import (
    DEFAULT_LR,
    LR_TOO_HIGH_FACTOR,
    LR_TOO_LOW_FACTOR,
    family,
    lower_lr,
    raise_lr,
)
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import approx, cap, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import _drop, _finite_prefix
from deepfix_notebook.engine.training.convergence import FLAT_DROP
from deepfix_notebook.engine.training.divergence import EXPLODE_RISE, _explosion
from deepfix_notebook.engine.training.stability import (
    OSCILLATION_RATIO,
    _oscillation,
    _spikes,
    _val_spikes,
)

T = FaultTarget
P = ProblemCode
FAMILY = "optimisation"

# An adaptive optimizer far above its default stalls rather than diverges: Adam at 0.1 normalises
# every step to ~0.1 per weight, saturating units, so the run plateaus at a poor loss.
LR_FAR_TOO_HIGH_FACTOR = declare(
    "lr_far_too_high_factor",
    100.0,
    unit="x the adaptive default",
    family=FAMILY,
    source="Kingma & Ba 2015 (Adam's step is ~lr per weight); Bengio 2012",
    doc="an adaptive rate this far above its default is a medium finding on its own",
)
STALLED_DROP = declare(
    "stalled_drop",
    0.5,
    unit="share of start value",
    family=FAMILY,
    source="own choice: healthy runs lower the loss by far more than half",
    doc="a loss that lost less than this with a rate above the high factor stalled because of it",
)

document(
    "learning_rate_too_high",
    family=FAMILY,
    condition=(
        "NaN after finite values, divergence, ≥ 2 spikes or a swinging loss, or ≥ 2 "
        "validation-loss spikes (as in unstable_training), or a rate above 10x (adaptive) / "
        "100x (SGD) the default with a loss "
        "that lost < 50% of its start; with a learning rate ≥ 10x its optimizer family's default "
        "→ high, otherwise medium; an adaptive rate ≥ 100x its default with no such dynamics → "
        "medium; a rate above 10x (adaptive) / 100x (SGD) the default with healthy dynamics → low"
    ),
    severity="see condition",
    source="Kingma & Ba 2015 (Adam 1e-3); Keras defaults (SGD 0.01); Bengio 2012",
)


def learning_rate_too_high(facts: TrainingFacts) -> list[Analysis]:
    lr, fam = facts.learning_rate, family(facts.optimizer)
    dynamics = []
    if facts.loss.first_nonfinite:  # not None, not 0: NaN from the start is not a step size
        dynamics.append("the loss became NaN/Inf")
    found = _explosion(_finite_prefix(facts.loss))
    if found and (found.rise >= EXPLODE_RISE or found.blowups or found.ended_high):
        dynamics.append("the loss diverged")
    loss = _finite_prefix(facts.loss)
    if len(_spikes(loss).runs) >= 2:
        dynamics.append("the loss spiked repeatedly")
    elif loss.points.size >= 6 and _oscillation(loss) >= OSCILLATION_RATIO:
        dynamics.append("the loss swung back and forth")
    elif _val_spikes(facts) is not None:
        dynamics.append("the validation loss jumped up and back repeatedly")
    high_config = (
        lr is not None and lr > DEFAULT_LR[fam or "sgd"] * LR_TOO_HIGH_FACTOR[fam or "sgd"]
    )
    if high_config and not dynamics and loss.points.size >= 3 and _drop(loss) < STALLED_DROP:
        dynamics.append(f"the loss lost only {pct(max(_drop(loss), 0.0))} of its start value")
    far = (
        fam == "adaptive"
        and lr is not None
        and lr >= DEFAULT_LR["adaptive"] * LR_FAR_TOO_HIGH_FACTOR
    )
    if not dynamics and not high_config:
        return []
    config = ""
    if lr is not None:
        usual = DEFAULT_LR[fam] if fam else None
        config = f"The learning rate is {fmt(lr)}" + (
            f" ({approx(lr / usual)}x the usual {fmt(usual)} for {facts.optimizer})"
            if usual
            else ""
        )
    raised = lr is not None and lr >= DEFAULT_LR[fam or "sgd"] * 10
    if dynamics and (high_config or raised):
        severity, confidence = Severity.HIGH, 0.85
    elif dynamics:
        severity, confidence = Severity.MEDIUM, 0.55 if lr is None else 0.45
    elif far:
        severity, confidence = Severity.MEDIUM, 0.6
    else:
        severity, confidence = Severity.LOW, 0.4
    said = f"{config}." if config else ""
    if dynamics:
        said += f" {cap(', '.join(dynamics))}."
    evidence = said.strip()
    return [
        issue(
            P.LEARNING_RATE_TOO_HIGH,
            description="The learning rate looks too high for this model and optimizer.",
            evidence=evidence,
            severity=severity,
            confidence=confidence,
            metric="learning_rate" if "learning_rate" in facts.curves else facts.loss.name,
            action=(
                f"{cap(lower_lr(lr, facts.optimizer))}, or run a learning-rate range test "
                "and take a rate about 10x below where the loss starts to climb; if the "
                "optimizer is plain SGD, Adam at 1e-3 is a more forgiving starting point."
            ),
            rationale=(
                "Divergence, NaNs and repeated spikes are what steps larger than the curvature "
                "allows look like; the learning rate sets that step."
            ),
            targets=[T.LEARNING_RATE, T.OPTIMIZER],
        )
    ]


document(
    "learning_rate_too_low",
    family=FAMILY,
    condition=(
        "a configured rate ≥ 100x below its family default (adaptive 1e-3, SGD 1e-2) and the "
        "loss fell < 50%"
    ),
    severity="high if flat, else medium",
    source="same sources",
)


def learning_rate_too_low(facts: TrainingFacts) -> list[Analysis]:
    lr, fam = facts.learning_rate, family(facts.optimizer)
    if lr is None:
        return []
    low_config = lr < DEFAULT_LR[fam or "sgd"] / LR_TOO_LOW_FACTOR[fam or "sgd"]
    loss = _finite_prefix(facts.loss)
    if not low_config or loss.points.size == 0:
        return []
    drop = _drop(loss)
    if drop >= STALLED_DROP:
        return []
    usual = DEFAULT_LR[fam or "sgd"]
    return [
        issue(
            P.LEARNING_RATE_TOO_LOW,
            description="The learning rate looks too low: the loss barely moves.",
            evidence=(
                f"The learning rate is {fmt(lr)} ({approx(usual / lr)}x below the usual "
                f"{fmt(usual)}"
                f"{' for ' + facts.optimizer if facts.optimizer else ''}) and "
                f"{facts.loss.display} fell only {pct(max(drop, 0.0))} over the run."
            ),
            severity=Severity.HIGH if drop < FLAT_DROP else Severity.MEDIUM,
            confidence=0.8,
            metric=facts.loss.name,
            action=(
                f"{cap(raise_lr(lr, facts.optimizer))} (a learning-rate range test finds "
                "the largest rate that still lowers the loss)."
            ),
            rationale="Tiny steps make training crawl and can look like a model that cannot learn.",
            targets=[T.LEARNING_RATE, T.LR_SCHEDULE],
        )
    ]
