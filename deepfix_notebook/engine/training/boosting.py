"""Gradient-boosting rules: an eval metric judged per boosting round (xgboost, LightGBM).

Boosted trees have no epochs, batches or gradients to clip: their knobs are the number of rounds,
the learning rate (``eta``), tree size and sampling, and early stopping on an eval set. These
rules replace the neural-network families for a run whose params say it is boosted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import Curve, approx, fmt, pct
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.training._shape import _finite_prefix, _nearest, _steady

T = FaultTarget
P = ProblemCode
FAMILY = "boosting"

BOOST_MIN_ROUNDS = declare(
    "boost_min_rounds",
    10,
    unit="rounds",
    family=FAMILY,
    source="own choice",
    doc="fewer evaluated rounds than this are not judged",
)
BOOST_GL = declare(
    "boost_gl",
    0.05,
    unit="share of the best eval value",
    family=FAMILY,
    source="own: past its best round a boosted model's eval loss rises slowly, so less than "
    "Prechelt's 10% for networks is already rounds that hurt",
    doc="an eval metric ending this far above its best value overfitted",
)
BOOST_GL_HIGH = declare(
    "boost_gl_high",
    0.25,
    unit="share of the best eval value",
    family=FAMILY,
    source="own choice",
    doc="... and this far is high",
)
BOOST_EARLY_BEST = declare(
    "boost_early_best",
    0.1,
    unit="share of the rounds",
    family=FAMILY,
    source="own: with a fitting eta the best round comes late (Friedman 2001, shrinkage)",
    doc="a best round this early, followed by overfitting, means eta is too high",
)
BOOST_WASTED = declare(
    "boost_wasted",
    0.4,
    unit="share of the rounds",
    family=FAMILY,
    source="own choice",
    doc="this share of the rounds after the best one, with no early stopping, is overtraining",
)
BOOST_WASTED_MEDIUM = declare(
    "boost_wasted_medium",
    0.6,
    unit="share of the rounds",
    family=FAMILY,
    source="own choice",
    doc="... and this share is medium",
)
BOOST_STILL = declare(
    "boost_still",
    0.01,
    unit="share of the eval value",
    family=FAMILY,
    source="own choice",
    doc="the last tenth of the rounds still lowering the eval metric this much wants more rounds",
)
BOOST_STILL_MEDIUM = declare(
    "boost_still_medium",
    0.03,
    unit="share of the eval value",
    family=FAMILY,
    source="own choice",
    doc="... and this much is medium",
)
BOOST_STILL_SHARE = declare(
    "boost_still_share",
    0.05,
    unit="share of the total improvement",
    family=FAMILY,
    source="own: half the average pace (a steady descent brings a tenth of it per tenth)",
    doc="... or the last tenth bringing this much of the run's whole improvement is medium",
)
BOOST_ETA_LOW = declare(
    "boost_eta_low",
    0.02,
    unit="learning rate (eta)",
    family=FAMILY,
    source="below the 0.05-0.3 range xgboost and LightGBM document (defaults 0.3 and 0.1)",
    doc="a run still improving at its last round with eta below this has eta too low",
)


@dataclass(frozen=True)
class Rounds:
    """The eval curve in rounds: where it was best, how far it ended above that."""

    curve: Curve
    train: Curve | None  # None: only an eval set was logged
    values: np.ndarray  # lower is better, steadied
    best: int
    rise: float  # end above best, share of the best value

    @property
    def n(self) -> int:
        return int(self.values.size)

    def round_at(self, point: int) -> int:
        """The 1-based round of a point (autologgers count iterations from 0)."""
        return int(self.curve.step_range(point, point)[0]) + 1

    @property
    def last_round(self) -> int:
        return self.round_at(self.n - 1)

    @property
    def best_round(self) -> int:
        return self.round_at(self.best)


def _rounds(facts: TrainingFacts) -> Rounds | None:
    """The eval curve per round; every boosting rule reads it (via ``facts.derived``)."""
    val = facts.val_loss
    score = facts.score("val")
    if val is not None and val.points.size >= BOOST_MIN_ROUNDS:
        curve, values = val, _steady(val.points)
    elif score is not None and score.curve.points.size >= BOOST_MIN_ROUNDS:
        curve, values = score.curve, 1.0 - _steady(score.curve.points) / score.scale
    else:
        return None
    best = int(np.argmin(values))
    low = float(values[best])
    end = float(np.median(values[-max(1, values.size // 20) :]))
    rise = (end - low) / abs(low) if low else 0.0
    train = _finite_prefix(facts.loss) if "train_loss" in facts.curves else None
    return Rounds(curve, train, values, best, rise)


def _train_kept_improving(rounds: Rounds) -> bool:
    """Train kept improving after the eval set's best round (boosting always does, so with no
    train metric logged this is taken as given)."""
    train = rounds.train
    if train is None:
        return True
    at = _nearest(train, rounds.curve.step_range(rounds.best, rounds.best)[0])
    return at < train.points.size - 1 and float(train.points[-1]) < float(train.points[at])


def _patience(rounds: Rounds) -> int:
    """early_stopping_rounds: a tenth of the rounds, at least 10, at most 100."""
    return int(min(max(10, round(rounds.last_round / 10)), 100))


def _shallower(facts: TrainingFacts) -> str:
    depth = facts.params.max_depth if facts.params else None
    if depth is not None and depth > 0:
        return f"max_depth {depth} -> {max(2, depth - 2)}"
    return "max_depth 3-6 (LightGBM: num_leaves 15-31)"


document(
    "overfitting",
    family=FAMILY,
    condition=(
        "boosted trees, ≥ 10 evaluated rounds: the eval metric (steadied) ends ≥ 5% above its "
        "best round's value while the train metric kept improving after it"
    ),
    severity="high at ≥ 25%, else medium",
    source="Friedman 2001 (shrinkage and rounds); xgboost/LightGBM parameter tuning guides",
)


def overfitting(facts: TrainingFacts) -> list[Analysis]:
    rounds = facts.derived(_rounds)
    if rounds is None or rounds.rise < BOOST_GL or not _train_kept_improving(rounds):
        return []
    eta = facts.learning_rate
    factor = 5 if rounds.best <= BOOST_EARLY_BEST * rounds.n else 2  # best almost first: eta
    slower = (
        f"lower eta from {fmt(eta)} to about {approx(max(eta / factor, 0.01))} with {factor}x "
        "the rounds, "
        if eta
        else f"lower eta {factor}x with {factor}x the rounds, "
    )
    return [
        issue(
            P.OVERFITTING,
            description="The boosted model overfits: later rounds make the eval metric worse.",
            evidence=(
                f"{rounds.curve.display} was best at round {rounds.best_round} of "
                f"{rounds.last_round} and ended {pct(rounds.rise)} above that best"
                + (f" while {rounds.train.display} kept falling." if rounds.train else ".")
            ),
            severity=Severity.HIGH if rounds.rise >= BOOST_GL_HIGH else Severity.MEDIUM,
            confidence=0.8,
            metric=rounds.curve.name,
            step_range=rounds.curve.step_range(rounds.best, rounds.n - 1),
            action=(
                f"Keep about {rounds.best_round} rounds: set early_stopping_rounds="
                f"{_patience(rounds)} on the eval set (the model keeps its best iteration), "
                f"{slower}and regularise the trees: {_shallower(facts)}, min_child_weight 1 -> "
                "5 (LightGBM: min_child_samples 20 -> 50), subsample and colsample_bytree 0.8."
            ),
            rationale=(
                "Each round fits the residuals more closely; past the best round it fits noise. "
                "Early stopping keeps the best iteration, and smaller, subsampled trees move it "
                "later."
            ),
            targets=[T.EARLY_STOPPING, T.EPOCHS, T.REGULARIZATION, T.LEARNING_RATE],
        )
    ]


document(
    "learning_rate_too_high",
    family=FAMILY,
    condition=(
        "boosted trees: the eval metric's best round comes within the first 10% of the rounds "
        "and the metric then ends ≥ 5% above it"
    ),
    severity="medium",
    source="Friedman 2001: small shrinkage (eta ≤ 0.1) with more rounds generalises better",
)


def learning_rate_too_high(facts: TrainingFacts) -> list[Analysis]:
    rounds = facts.derived(_rounds)
    if rounds is None or rounds.rise < BOOST_GL or rounds.best > BOOST_EARLY_BEST * rounds.n:
        return []
    eta = facts.learning_rate
    lower = (
        f"Lower eta from {fmt(eta)} to about {approx(max(eta / 5, 0.01))}"
        if eta
        else "Lower eta 5-10x (to 0.05-0.1)"
    )
    return [
        issue(
            P.LEARNING_RATE_TOO_HIGH,
            description="eta (the learning rate) is too high: the best round comes almost first.",
            evidence=(
                f"{rounds.curve.display} was best after {rounds.best_round} of "
                f"{rounds.last_round} rounds"
                + (f" with eta {fmt(eta)}" if eta is not None else "")
                + f", then worsened {pct(rounds.rise)}."
            ),
            severity=Severity.MEDIUM,
            confidence=0.7,
            metric=rounds.curve.name,
            step_range=rounds.curve.step_range(0, rounds.best),
            action=(
                f"{lower} and raise num_boost_round (n_estimators) about 5x, with "
                f"early_stopping_rounds={_patience(rounds)} on the eval set."
            ),
            rationale=(
                "A large eta lets each tree correct too much: the ensemble reaches its best in a "
                "few rounds and then fits noise. Smaller steps over more rounds generalise "
                "better."
            ),
            targets=[T.LEARNING_RATE, T.EPOCHS, T.EARLY_STOPPING],
        )
    ]


document(
    "overtraining",
    family=FAMILY,
    condition=(
        "boosted trees without early stopping (or with early stopping that never stopped): ≥ "
        "40% of the rounds came after the eval metric's best round"
    ),
    severity="medium from 60% of the rounds, or when early stopping was set but did not stop",
    source="xgboost/LightGBM early_stopping_rounds",
)


def overtraining(facts: TrainingFacts) -> list[Analysis]:
    rounds = facts.derived(_rounds)
    if rounds is None:
        return []
    wasted = (rounds.n - 1 - rounds.best) / max(rounds.n - 1, 1)
    configured = facts.params.early_stopping_rounds if facts.params else None
    ignored = configured is not None and rounds.last_round - rounds.best_round > 2 * configured
    if wasted < BOOST_WASTED or (configured is not None and not ignored):
        return []
    if ignored:
        said = (
            f"early_stopping_rounds={configured} is set, yet training ran "
            f"{rounds.last_round - rounds.best_round} rounds past the best one: it watches "
            "another eval set or metric (xgboost stops on the last eval set and its last "
            "metric; LightGBM on any validation set and metric unless first_metric_only)."
        )
        action = (
            "Make early stopping watch the validation set and the metric you judge by: put "
            "the validation set last in xgboost's eval_set, first in LightGBM's valid_sets, "
            "and set the metric explicitly."
        )
    else:
        said = "no early stopping was set."
        action = (
            f"Set early_stopping_rounds={_patience(rounds)} on the validation set (the model "
            f"keeps its best iteration); about {rounds.best_round} rounds were enough."
        )
    return [
        issue(
            P.OVERTRAINING,
            description="Boosting went on long after the eval metric's best round.",
            evidence=(
                f"{rounds.curve.display} was best at round {rounds.best_round}; the remaining "
                f"{pct(wasted)} of the {rounds.last_round} rounds brought no improvement, and "
                f"{said}"
            ),
            severity=Severity.MEDIUM if ignored or wasted >= BOOST_WASTED_MEDIUM else Severity.LOW,
            confidence=0.75,
            metric=rounds.curve.name,
            step_range=rounds.curve.step_range(rounds.best, rounds.n - 1),
            action=action,
            rationale="Rounds past the best one cost time and model size and add no accuracy.",
            targets=[T.EARLY_STOPPING, T.EPOCHS],
        )
    ]


document(
    "insufficient_training",
    family=FAMILY,
    condition=(
        "boosted trees: the best round is in the last 5% and the last tenth of the rounds still "
        "lowered the eval metric ≥ 1% (learning_rate_too_low instead when eta < 0.02)"
    ),
    severity="medium at ≥ 3%, or when that tenth brought ≥ 5% of the whole improvement; else low",
    source="xgboost/LightGBM tuning guides (more rounds with early stopping)",
)


def insufficient_training(facts: TrainingFacts) -> list[Analysis]:
    rounds = facts.derived(_rounds)
    if rounds is None or rounds.best < rounds.n * 0.95:
        return []
    tenth = max(1, rounds.n // 10)
    before = float(rounds.values[-tenth - 1])
    gain = (before - float(rounds.values[-1])) / abs(before) if before else 0.0
    if gain < BOOST_STILL:
        return []
    total = float(rounds.values[0]) - float(rounds.values[-1])
    share = (before - float(rounds.values[-1])) / total if total > 0 else 0.0
    eta = facts.learning_rate
    slow = eta is not None and eta < BOOST_ETA_LOW
    more = 3 * rounds.last_round
    return [
        issue(
            P.LEARNING_RATE_TOO_LOW if slow else P.INSUFFICIENT_TRAINING,
            description=(
                "eta is so small that boosting stopped while still improving."
                if slow
                else "Boosting stopped while the eval metric was still improving."
            ),
            evidence=(
                f"{rounds.curve.display} still fell {pct(gain)} over the last {tenth} of "
                f"{rounds.last_round} rounds and was best at the last one"
                + (f", with eta {fmt(eta)}." if eta else ".")
            ),
            severity=Severity.MEDIUM
            if gain >= BOOST_STILL_MEDIUM or share >= BOOST_STILL_SHARE
            else Severity.LOW,
            confidence=0.7,
            metric=rounds.curve.name,
            step_range=rounds.curve.step_range(rounds.n - 1 - tenth, rounds.n - 1),
            action=(
                f"Raise num_boost_round (n_estimators) to about {more} with "
                f"early_stopping_rounds={_patience(rounds)} on the eval set"
                + (
                    f", or raise eta from {fmt(eta)} to about {approx(eta * 3)}."
                    if eta
                    else ", or raise eta about 3x."
                )
            ),
            rationale="The ensemble has not converged: more (or larger) rounds still help.",
            targets=[T.EPOCHS, T.LEARNING_RATE, T.EARLY_STOPPING],
        )
    ]
