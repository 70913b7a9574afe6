"""Gradient rules: global gradient norms that explode or vanish (needs ``grad_norm`` logged)."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._advice import GRADIENT_CLIP_NORM, lower_lr
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import approx, cap, fmt, pct, rolling_median
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import _drop, _finite_prefix
from deepfix_notebook.engine.training.convergence import FLAT_DROP
from deepfix_notebook.engine.training.divergence import exploding_loss

T = FaultTarget
P = ProblemCode
FAMILY = "gradients"

# Pascanu et al. (ICML 2013) discuss norms jumping by orders of magnitude; SageMaker Debugger's
# VanishingGradient default (1e-7 on mean |gradient|) is scaled to a global L2 norm.
GRAD_GROWTH = declare(
    "grad_growth",
    100.0,
    unit="x early level",
    family=FAMILY,
    source="own; Pascanu et al., ICML 2013 (norms jump by orders of magnitude)",
    doc="a gradient norm growing this much over its early level exploded",
)
GRAD_ABSOLUTE = declare(
    "grad_absolute",
    1e4,
    unit="global L2 norm",
    family=FAMILY,
    source="own choice",
    doc="a gradient norm above this exploded, whatever its early level",
)
GRAD_EARLY_HIGH = declare(
    "grad_early_high",
    100.0,
    unit="global L2 norm",
    family=FAMILY,
    source="100x the usual clipping norm of 1 (Pascanu et al., ICML 2013; clip_grad_norm_)",
    doc="a gradient norm whose median over the first tenth is above this exploded from the start",
)
GRAD_BURST_ABSOLUTE = declare(
    "grad_burst_absolute",
    10.0,
    unit="global L2 norm",
    family=FAMILY,
    source="10x the usual clipping norm of 1 (clip_grad_norm_): clipping would cut that step 10x",
    doc=(
        "a single logged norm ≥ 100x the early level exploded when it is also above this "
        "(a norm that was tiny and grew stays small)"
    ),
)
GRAD_VANISH = declare(
    "grad_vanish",
    1e-5,
    unit="global L2 norm",
    family=FAMILY,
    source="SageMaker Debugger VanishingGradient (1e-7 on mean |g|), scaled (own)",
    doc="a gradient norm below this over the second half vanished (while the loss was high)",
)
GRAD_VANISH_FALL = declare(
    "grad_vanish_fall",
    1e-3,
    unit="x early level",
    family=FAMILY,
    source="own choice",
    doc="a gradient norm that fell below this share of its early level vanished",
)

VANISH_LOSS_FALL = declare(
    "vanish_loss_fall",
    0.5,
    unit="share of start value",
    family=FAMILY,
    source="own choice",
    doc="vanishing gradients matter while the loss fell less than this",
)
document(
    "exploding_gradients",
    family=FAMILY,
    condition=(
        "grad_norm NaN/Inf, or its 3-point rolling median grows ≥ 100x over its early level "
        "(median of the first tenth) or exceeds 1e4, or a single logged norm is ≥ 100x that "
        "level and ≥ 10 (10x the usual clipping norm), or that early level is already ≥ 100 "
        "(100x the usual clipping norm: too large from the first step, targets weight_init)"
    ),
    severity="high with a diverging loss, else medium",
    source="Pascanu et al. 2013; thresholds own",
)


def exploding_gradients(facts: TrainingFacts) -> list[Analysis]:
    grad = facts.curves.get("grad_norm")
    if grad is None or grad.n < 3:
        return []
    cut = grad.first_nonfinite
    finite = grad if cut is None else _finite_prefix(grad)
    if finite.points.size < 3 and cut is None:
        return []
    early = finite.head(0.1) if finite.points.size else float("nan")
    # A blow-up of the norm lasts a few steps: a 3-point median keeps it and drops one bad batch
    # (the curve's own smoothing window, ~1/25 of the run, would average it away).
    peaks = rolling_median(finite.points, 3) if finite.points.size >= 3 else finite.points
    peak_i = int(np.argmax(peaks)) if peaks.size else 0
    peak = float(peaks[peak_i]) if peaks.size else float("nan")
    growth = peak / early if early > 0 else 0.0
    from_start = cut is None and early >= GRAD_EARLY_HIGH
    if cut is None and growth < GRAD_GROWTH and early > 0 and finite.points.size:
        # One step's norm orders of magnitude up is the explosion itself, even when it lasts
        # too briefly for the 3-point median (a single bad batch rarely goes 100x).
        single = int(np.argmax(finite.points))
        top = float(finite.points[single])
        if top / early >= GRAD_GROWTH and top >= GRAD_BURST_ABSOLUTE:
            peak_i, peak, growth = single, top, top / early
    if cut is None and growth < GRAD_GROWTH and peak < GRAD_ABSOLUTE and not from_start:
        return []
    if cut is not None:
        kind = "NaN" if np.isnan(grad.values[cut]) else "infinite"
        evidence = f"{grad.display} became {kind} at {grad.place_raw(cut)}"
        first, last = cut, grad.n - 1
        step_range, epoch_range = (
            grad.raw_step_range(first, last),
            grad.raw_epoch_range(first, last),
        )
    elif from_start and growth < GRAD_GROWTH:
        evidence = (
            f"{grad.display} was about {fmt(early)} over the first tenth of the run, "
            f"{approx(early / GRADIENT_CLIP_NORM)}x the usual clipping norm of "
            f"{fmt(GRADIENT_CLIP_NORM)}, and peaked at {fmt(peak)}: the updates were too large "
            "from the first step (initial weight scale or unscaled inputs)"
        )
        k = max(1, finite.points.size // 10)
        step_range, epoch_range = finite.step_range(0, k - 1), finite.epoch_range(0, k - 1)
    else:
        evidence = (
            f"{grad.display} grew from about {fmt(early)} early on to {fmt(peak)} at "
            f"{finite.place(peak_i)} ({approx(growth)}x)"
        )
        step_range, epoch_range = finite.step_range(0, peak_i), finite.epoch_range(0, peak_i)
    bad_loss = facts.loss.first_nonfinite is not None or bool(exploding_loss(facts))
    return [
        issue(
            P.EXPLODING_GRADIENTS,
            description="Gradient norms exploded.",
            evidence=evidence + ("; the loss diverged with them." if bad_loss else "."),
            severity=Severity.HIGH if bad_loss or cut is not None else Severity.MEDIUM,
            confidence=0.9,
            metric="grad_norm",
            step_range=step_range,
            epoch_range=epoch_range,
            action=(
                (
                    "Initialise the weights at their default scale (He for ReLU, Glorot for "
                    "tanh/sigmoid; no extra multiplier), standardise the inputs, and clip the "
                    f"global gradient norm at {GRADIENT_CLIP_NORM} (clip_grad_norm_, Keras "
                    "clipnorm) while checking."
                )
                if from_start and growth < GRAD_GROWTH
                else (
                    f"Clip the global gradient norm at {GRADIENT_CLIP_NORM} "
                    "(torch.nn.utils.clip_grad_norm_, Keras clipnorm), "
                    f"{cap(lower_lr(facts.learning_rate, facts.optimizer, 3))}, and use He/Glorot "
                    "initialisation with normalisation layers or residual connections in deep "
                    "nets."
                )
            ),
            rationale=(
                "Large gradient norms make single updates jump far; clipping bounds each step and "
                "good initialisation and normalisation keep norms stable through depth."
            ),
            targets=(
                [T.WEIGHT_INIT, T.DATA_PREPROCESSING, T.NORMALIZATION, T.GRADIENT_CLIPPING]
                if from_start and growth < GRAD_GROWTH
                else [T.GRADIENT_CLIPPING, T.LEARNING_RATE, T.WEIGHT_INIT, T.NORMALIZATION]
            ),
        )
    ]


document(
    "vanishing_gradients",
    family=FAMILY,
    condition=(
        "grad_norm over the second half < 1e-5 or ≥ 1000x below its early level, while the loss "
        "fell < 50%"
    ),
    severity="high if the loss is flat, else medium",
    source=(
        "SageMaker Debugger VanishingGradient (1e-7 on mean |g|), scaled to a global L2 norm (own)"
    ),
)


def vanishing_gradients(facts: TrainingFacts) -> list[Analysis]:
    grad = facts.curves.get("grad_norm")
    if grad is None or grad.points.size < 3 or grad.first_nonfinite is not None:
        return []
    loss = _finite_prefix(facts.loss)
    if loss.points.size == 0:
        return []  # a loss that never had a value says nothing about learning
    late = float(np.median(grad.points[grad.points.size // 2 :]))
    early = grad.head(0.1)
    learning = _drop(loss)
    tiny = late < GRAD_VANISH or (early > 0 and late / early < GRAD_VANISH_FALL)
    if not tiny or learning >= VANISH_LOSS_FALL:
        return []  # small gradients after a good fit are convergence, not vanishing
    n = grad.points.size
    return [
        issue(
            P.VANISHING_GRADIENTS,
            description="Gradient norms vanished while the loss was still high.",
            evidence=(
                f"{grad.display} was about {fmt(late)} over the second half of the run "
                f"(from {fmt(early)} early on) while {facts.loss.display} fell only "
                f"{pct(max(learning, 0.0))}."
            ),
            severity=Severity.HIGH if learning < FLAT_DROP else Severity.MEDIUM,
            confidence=0.8,
            metric="grad_norm",
            step_range=grad.step_range(n // 2, n - 1),
            epoch_range=grad.epoch_range(n // 2, n - 1),
            action=(
                "Replace saturating activations (sigmoid/tanh) in hidden layers with ReLU-family "
                "ones, use He initialisation, and add batch/layer normalisation or residual "
                "connections in deep stacks."
            ),
            rationale=(
                "Gradients shrink multiplicatively through saturated layers and poor "
                "initialisation, so early layers stop learning."
            ),
            targets=[T.ACTIVATION, T.WEIGHT_INIT, T.NORMALIZATION, T.ARCHITECTURE],
        )
    ]
