"""CrossArtifactIntegrationAgent: links findings across artifacts into likely causes.

Phase-1 agents each see one artifact; this agent reads their findings together: overfitting
with a small dataset points at data, a validation gap with drift points at shift, a NaN with a
high learning rate and no clipping points at the learning rate. `LINKS` is the table of these
rules; each documents its own row of `docs/diagnosis.md`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput, codes_at_least, issue
from deepfix_notebook.engine._thresholds import declare, document

P = ProblemCode
T = FaultTarget
FAMILY = "cross_artifact"

SMALL_BATCH = declare(
    "small_batch",
    16,
    unit="samples per batch",
    family=FAMILY,
    source="own choice: the batch sizes below the common 32-128",
    doc="unstable training with batches smaller than this is put down to the batch size",
)


@dataclass(frozen=True)
class Link:
    """When each group of ``requires`` has a found code, ``cause`` explains them."""

    requires: tuple[tuple[ProblemCode, ...], ...]
    cause: ProblemCode
    description: str
    action: str
    rationale: str
    targets: tuple[FaultTarget, ...]
    condition: Callable[[AgentInput], bool] = lambda given: True
    when: str = ""  # ``condition`` in words, after the groups in docs/diagnosis.md

    @property
    def found_together(self) -> str:
        """'small_dataset + overfitting/overtraining': the groups as the docs show them."""
        return " + ".join("/".join(c.value for c in group) for group in self.requires) + self.when


def _no_clipping(given: AgentInput) -> bool:
    params = given.bundle.params
    return params is None or not params.grad_clip


def _small_batches(given: AgentInput) -> bool:
    params = given.bundle.params
    return params is not None and params.batch_size is not None and params.batch_size < SMALL_BATCH


LINKS: tuple[Link, ...] = (
    Link(
        ((P.SMALL_DATASET,), (P.OVERFITTING, P.OVERTRAINING)),
        P.SMALL_DATASET,
        "Overfitting here is driven by too little training data.",
        "Get more data or stretch it: pretrained weights (transfer learning), data augmentation, "
        "a smaller model with stronger regularisation; keep early stopping.",
        "A model with more capacity than samples memorises them; more (or more varied) data is "
        "the fix that regularisation only approximates.",
        (T.DATA_COLLECTION, T.DATA_AUGMENTATION, T.REGULARIZATION),
    ),
    Link(
        (
            (P.DATA_DRIFT, P.TRAIN_TEST_SHIFT, P.LABEL_DRIFT),
            (P.OVERFITTING, P.SUSPICIOUS_VALIDATION, P.OVERTRAINING),
        ),
        P.TRAIN_TEST_SHIFT,
        "The validation gap is at least partly a distribution shift, not only overfitting.",
        "Make the splits come from the same distribution (random or stratified re-split, same "
        "preprocessing for all splits) or collect training data like the test data, before "
        "adding regularisation.",
        "Regularisation cannot close a gap caused by data that differs between splits.",
        (T.DATA_SPLIT, T.DATA_COLLECTION, T.DATA_PREPROCESSING),
    ),
    Link(
        ((P.LEARNING_RATE_TOO_HIGH,), (P.NAN_LOSS, P.EXPLODING_LOSS, P.EXPLODING_GRADIENTS)),
        P.LEARNING_RATE_TOO_HIGH,
        "The divergence is most likely the learning rate, with nothing clipping the gradients.",
        "Lower the learning rate about 10x and clip the global gradient norm at 1.0; re-run a "
        "few epochs to confirm the loss falls smoothly.",
        "A large step size with unclipped gradients is the most common cause of NaN and "
        "exploding losses.",
        (T.LEARNING_RATE, T.GRADIENT_CLIPPING),
        _no_clipping,
        ", no grad_clip in params",
    ),
    Link(
        (
            (P.UNNORMALIZED_INPUTS,),
            (
                P.LOSS_NOT_DECREASING,
                P.UNDERFITTING,
                P.SLOW_CONVERGENCE,
                P.EXPLODING_LOSS,
                P.UNSTABLE_TRAINING,
                P.EXPLODING_GRADIENTS,
                P.NAN_LOSS,
                P.LEARNING_RATE_TOO_HIGH,
            ),
        ),
        P.UNNORMALIZED_INPUTS,
        "Un-normalised inputs are a likely reason training struggles (slow or unstable).",
        "Standardise every input feature or channel with training-set mean and standard "
        "deviation before anything else.",
        "Inputs on large or uneven scales make the loss surface badly conditioned, so no single "
        "learning rate works for all weights.",
        (T.NORMALIZATION, T.DATA_PREPROCESSING),
    ),
    Link(
        ((P.CLASS_IMBALANCE,), (P.WEAK_CLASS, P.UNDERFITTING)),
        P.CLASS_IMBALANCE,
        "The weak classes are the rare ones: class imbalance drives the per-class gap.",
        "Weight the loss by inverse class frequency or oversample the rare classes, and judge "
        "the run by per-class recall or balanced accuracy.",
        "With a skewed label distribution the loss is dominated by the frequent classes.",
        (T.CLASS_BALANCE, T.LOSS_FUNCTION, T.DATA_COLLECTION),
    ),
    Link(
        ((P.SUSPICIOUS_VALIDATION,), (P.LABEL_QUALITY, P.SHORTCUT_FEATURE)),
        P.SUSPICIOUS_VALIDATION,
        "Validation looks too good and the data has duplicates or a shortcut: likely leakage.",
        "De-duplicate across splits (exact and near duplicates), split before any fitting, and "
        "drop or audit features that encode the label.",
        "Duplicates across splits and label-encoding features let validation reward memorising.",
        (T.DATA_SPLIT, T.LABELS, T.DATA_PREPROCESSING),
    ),
    Link(
        ((P.LABEL_QUALITY,), (P.UNDERFITTING, P.LOSS_NOT_DECREASING, P.PLATEAU)),
        P.LABEL_QUALITY,
        "Noisy or conflicting labels cap what the model can learn.",
        "Clean the labels: resolve conflicting duplicates, review the samples the model gets "
        "most confidently wrong, and consider a noise-robust loss.",
        "A model cannot fit labels that contradict each other; the loss plateaus above zero.",
        (T.LABELS, T.LOSS_FUNCTION),
    ),
    Link(
        ((P.UNSTABLE_TRAINING,),),
        P.UNSTABLE_TRAINING,
        "Very small batches make the gradient noisy enough to destabilise training.",
        "Raise the batch size to 32-128 (or accumulate gradients over several batches) and "
        "scale the learning rate linearly with it.",
        "Gradient noise shrinks with the batch size; tiny batches with a large step size swing.",
        (T.BATCH_SIZE, T.LEARNING_RATE),
        _small_batches,
        f" with batch_size < {SMALL_BATCH}",
    ),
)

for _link in LINKS:
    document(
        _link.cause.value,
        family=FAMILY,
        condition=_link.found_together,
        severity="that of the strongest finding involved",
        source="own; targets " + ", ".join(t.value for t in _link.targets),
    )
del _link


def _gist(evidence: str, limit: int = 110) -> str:
    """The first clause of a finding's evidence, short enough to stand in a list."""
    clause = evidence.split("; ")[0].rstrip(".")
    return clause if len(clause) <= limit else clause[: limit - 3].rstrip() + "..."


class CrossArtifactIntegrationAgent:
    """Turns co-occurring findings into cause-level findings (phase 2)."""

    name = AgentName.CROSS_ARTIFACT.value

    def skip_reason(self, given: AgentInput) -> str | None:
        return None

    def run(self, given: AgentInput) -> AgentResult:
        found = codes_at_least(given.prior, Severity.LOW)
        strong = codes_at_least(given.prior, Severity.MEDIUM)
        analyses: list[Analysis] = []
        links: list[dict[str, object]] = []
        for link in LINKS:
            groups = [frozenset(group) & found.keys() for group in link.requires]
            if not all(groups) or not link.condition(given):
                continue
            involved = sorted(set().union(*groups))
            if not any(code in strong for code in involved):
                continue  # hints alone do not make a cause
            evidence = "Found together: " + "; ".join(
                f"{code.value} ({_gist(found[code].findings.evidence)})" for code in involved
            )
            severity = max(
                (found[code].findings.severity for code in involved), key=lambda s: s.rank
            )
            confidence = min(found[code].findings.confidence for code in involved)
            analyses.append(
                issue(
                    link.cause,
                    description=link.description,
                    evidence=evidence,
                    severity=severity,
                    confidence=confidence,
                    action=link.action,
                    rationale=link.rationale,
                    targets=link.targets,
                )
            )
            links.append({"cause": link.cause.value, "from": [c.value for c in involved]})
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=[r.agent_name for r in given.prior if r.error_message is None],
            additional_outputs={"links": links},
        )
