"""TrainingArtifactsAnalyzer: runs the rule families in a fixed order, and the early warnings."""

from __future__ import annotations

from collections.abc import Callable

from deepfix_notebook.artifacts import ArtifactBundle
from deepfix_notebook.contract import AgentName, AgentResult, Analysis, ProblemCode, Severity
from deepfix_notebook.engine._agent import AgentInput
from deepfix_notebook.engine._calibration import calibrate_item
from deepfix_notebook.engine._curves import curves
from deepfix_notebook.engine._facts import TrainingFacts
from deepfix_notebook.engine.training import boosting
from deepfix_notebook.engine.training.convergence import (
    insufficient_training,
    loss_not_decreasing,
    slow_convergence,
)
from deepfix_notebook.engine.training.divergence import exploding_loss, nan_loss
from deepfix_notebook.engine.training.generalisation import overfitting, underfitting
from deepfix_notebook.engine.training.gradients import exploding_gradients, vanishing_gradients
from deepfix_notebook.engine.training.leakage import suspicious_validation
from deepfix_notebook.engine.training.optimisation import (
    learning_rate_too_high,
    learning_rate_too_low,
)
from deepfix_notebook.engine.training.stability import unstable_training
from deepfix_notebook.engine.training.stopping import overtraining, plateau

P = ProblemCode


class TrainingArtifactsAnalyzer:
    """Finds divergence, NaNs, flat or slow loss, over- and underfitting, instability, LR issues."""

    name = AgentName.TRAINING.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_training_analysis:
            return "Training analysis was disabled in the request options."
        boosted_eval = _boosted(given.bundle) and bool({"val_loss", "val_auc"} & set(given.curves))
        if given.bundle.metrics is None or ("train_loss" not in given.curves and not boosted_eval):
            return (
                "No training metrics (training_artifacts/metrics.csv): training analysis skipped."
            )
        return None

    def run(self, given: AgentInput) -> AgentResult:
        facts = TrainingFacts(given.curves, given.bundle.params, given.bundle)
        analyses: list[Analysis] = []
        rules = BOOSTING_RULES if _boosted(given.bundle) else RULES
        if "train_loss" not in given.curves:  # boosted trees with an eval set only
            rules = tuple(rule for rule in rules if rule in EVAL_ONLY_RULES)
        for rule in rules:
            if rule in CONSEQUENCES and _broke_down(analyses):
                continue  # a NaN or diverged loss explains these; saying them adds only noise
            analyses.extend(rule(facts))
        artifacts = [f for f in given.bundle.files if f.startswith("training_artifacts/")]
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["metrics"],
            additional_outputs={"missing": missing_metrics(facts)},
        )


def _broke_down(analyses: list[Analysis]) -> bool:
    return any(
        (a.findings.code is P.NAN_LOSS and a.findings.severity is Severity.HIGH)
        or (a.findings.code is P.EXPLODING_LOSS and a.findings.severity is Severity.HIGH)
        for a in analyses
    )


def missing_metrics(facts: TrainingFacts) -> list[str]:
    """What was not logged, and what could therefore not be judged."""
    notes = []
    if facts.val_loss is None and facts.score("val") is None:
        notes.append(
            "No validation metric was logged: overfitting, overtraining, plateaus and "
            "suspicious validation were not checked."
        )
    boosted = _boosted(facts.bundle)
    if (
        facts.score("train") is None
        and facts.score("val") is None
        and not (facts.is_regression or boosted)
    ):
        notes.append("No accuracy was logged: underfitting was judged from the loss alone.")
    if "grad_norm" not in facts.curves and not boosted:
        notes.append("No gradient norm was logged: gradient rules were not checked.")
    if facts.learning_rate is None:
        notes.append("No learning rate was logged or given in params: LR advice is generic.")
    return notes


RULES: tuple[Callable[[TrainingFacts], list[Analysis]], ...] = (
    nan_loss,
    exploding_loss,
    exploding_gradients,
    vanishing_gradients,
    loss_not_decreasing,
    learning_rate_too_high,
    learning_rate_too_low,
    unstable_training,
    overfitting,
    underfitting,
    suspicious_validation,
    overtraining,
    plateau,
    slow_convergence,
    insufficient_training,
)

# Boosted trees: rounds, eta, tree size and early stopping instead of the network families.
BOOSTING_RULES: tuple[Callable[[TrainingFacts], list[Analysis]], ...] = (
    nan_loss,
    boosting.overfitting,
    boosting.learning_rate_too_high,
    boosting.overtraining,
    boosting.insufficient_training,
    suspicious_validation,
)

# Boosting rules that need only the eval set (early stopping is often set up with one).
EVAL_ONLY_RULES = frozenset(BOOSTING_RULES[1:5])


def _boosted(bundle: ArtifactBundle) -> bool:
    return bundle.params is not None and bundle.params.is_boosting


# Rules whose findings follow from a loss that broke down (NaN or diverged for good).
# (Once the loss is NaN, train and validation metrics no longer compare: no leakage verdict.)
CONSEQUENCES = frozenset(
    {
        loss_not_decreasing,
        plateau,
        overtraining,
        slow_convergence,
        underfitting,
        unstable_training,
        suspicious_validation,
    }
)

# Rules that judge a run while it trains: each fires on something that already happened (a NaN,
# a loss far above its best, blown-up gradient norms), so a partial history is enough to say it.
EARLY_WARNING_RULES: tuple[Callable[[TrainingFacts], list[Analysis]], ...] = (
    nan_loss,
    exploding_loss,
    exploding_gradients,
)
EARLY_WARNING_CODES = frozenset({P.NAN_LOSS, P.EXPLODING_LOSS, P.EXPLODING_GRADIENTS})


def early_warnings(bundle: ArtifactBundle) -> list[Analysis]:
    """`EARLY_WARNING_RULES` on ``bundle``'s metrics so far: for a live, partial history.

    No pipeline, no knowledge citations: milliseconds, and nothing when no train loss is logged.
    Confidences are calibrated as the full analysis states them.
    """
    if bundle.metrics is None or "train_loss" not in bundle.metrics:
        return []
    facts = TrainingFacts(curves(bundle.metrics), bundle.params, bundle)
    return [calibrate_item(item) for rule in EARLY_WARNING_RULES for item in rule(facts)]
