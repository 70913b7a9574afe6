"""A weak class: one class's test metric far below the mean of the others."""

from __future__ import annotations

from deepfix_notebook.artifacts import CheckView, ClassPerformance
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.deepchecks._report import FAMILY, Report, rule

T = FaultTarget
P = ProblemCode

WEAK_CLASS_GAP = declare(
    "weak_class_gap",
    0.2,
    unit="metric below the other classes' mean (absolute)",
    family=FAMILY,
    source=(
        "own choice; Deepchecks' add_condition_class_performance_imbalance_ratio_less_than uses "
        "a 0.3 relative gap between the best and the worst class"
    ),
    doc="a class whose test precision/recall is this far below the others' is a medium finding",
)
WEAK_CLASS_GAP_HIGH = declare(
    "weak_class_gap_high",
    0.4,
    unit="metric below the other classes' mean (absolute)",
    family=FAMILY,
    source="own choice",
    doc="a class this far below the others is high",
)


rule(
    "Class Performance",
    "weak_class",
    condition="a class's test metric > 0.2 below the mean of the others",
    severity="medium",
    source="own (compare Deepchecks' 0.3 ratio)",
)
rule("Class Performance", "weak_class", condition="≥ 0.4 below", severity="high", source="own")


def class_performance(table: ClassPerformance, view: CheckView, report: Report) -> list[Analysis]:
    scope = "test" if table.test_only else "the checked data"
    weak: list[tuple[float, str, str, float, float, float | None]] = []
    for scores in table.metrics:
        by_class = scores.by_class
        if len(by_class) < 2:
            continue
        total = sum(c.score for c in by_class.values())
        for label, c in by_class.items():
            others = (total - c.score) / (len(by_class) - 1)
            if others - c.score > WEAK_CLASS_GAP:
                weak.append((others - c.score, label, scores.metric, c.score, others, c.samples))
    if not weak:
        return []
    weak.sort(key=lambda row: -row[0])
    gap, label, metric, score, others, n = weak[0]
    samples = f" ({fmt(n)} samples)" if n is not None else ""
    also = sorted({f"'{w[1]}'" for w in weak[1:] if w[1] != label})[:4]
    train_count = (report.dataset.class_counts or {}).get(label) if report.dataset else None
    in_training = f"; it has {train_count} training samples" if train_count is not None else ""
    return [
        issue(
            P.WEAK_CLASS,
            description=f"Class '{label}' performs far below the others.",
            evidence=(
                f"{view.where}: on {scope}, class '{label}'{samples} has {metric} {fmt(score)} "
                f"against a mean of {fmt(others)} for the other classes ({fmt(gap)} below; "
                f"limit {fmt(WEAK_CLASS_GAP)})"
                + (f"; also weak: {', '.join(also)}" if also else "")
                + "."
            ),
            severity=Severity.HIGH if gap >= WEAK_CLASS_GAP_HIGH else Severity.MEDIUM,
            confidence=0.75,
            metric=view.header,
            action=(
                f"Inspect class '{label}'{in_training}: check its labels and which classes it is "
                "confused with, add training examples of it (or oversample it / weight it up in "
                "the loss by inverse frequency), and tune its decision threshold; track its "
                f"{metric} per epoch."
            ),
            rationale=(
                "An average metric hides a class the model has not learned; the usual causes are "
                "too few or noisy examples, or a class that looks like another."
            ),
            targets=[T.DATA_COLLECTION, T.CLASS_BALANCE, T.LABELS, T.LOSS_FUNCTION],
        )
    ]
