"""DeepchecksArtifactsAnalyzer: each check's kind decides which rule judges it; a failed
condition that no rule turned into a finding is a finding of its own."""

from __future__ import annotations

from dataclasses import dataclass

from deepfix_notebook.artifacts import BrokenCheck, CheckKind, CheckView, read_checks
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput, issue
from deepfix_notebook.engine.deepchecks import drift, integrity, leakage, outliers, performance
from deepfix_notebook.engine.deepchecks._report import Judge, Report, rule

T = FaultTarget
P = ProblemCode
K = CheckKind


class DeepchecksArtifactsAnalyzer:
    """Finds drift, new labels, outliers, weak classes, shortcuts and label problems."""

    name = AgentName.DEEPCHECKS.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_deepchecks_analysis:
            return "Deepchecks analysis was disabled in the request options."
        if given.bundle.deepchecks is None:
            return "Deepchecks artifacts not found - skipping data quality analysis"
        return None

    def run(self, given: AgentInput) -> AgentResult:
        artifacts = [f for f in given.bundle.files if f.startswith("deepchecks/")]
        results = given.bundle.deepchecks
        report = Report(dataset=given.bundle.dataset)
        analyses: list[Analysis] = []
        for check in read_checks(results) if results is not None else ():
            analyses.extend(review(check, report))
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["deepchecks"],
            additional_outputs=report.outputs(),
        )


@dataclass(frozen=True)
class Kind:
    """How a kind of check is judged."""

    judge: Judge | None  # None: judged by its conditions only
    code: ProblemCode | None  # for a failed condition the judge did not cover
    measurable: bool = True  # False: display only, nothing to judge


# Which kind a header names is decided in artifacts (`CheckKind`, first alias that matches).
KINDS: dict[CheckKind, Kind] = {
    K.HEATMAP: Kind(None, None, measurable=False),
    K.LABEL_DRIFT: Kind(drift.label_drift, P.LABEL_DRIFT),
    K.PREDICTION_DRIFT: Kind(None, P.DATA_DRIFT),
    K.DATASET_DRIFT: Kind(drift.multivariate_drift, P.DATA_DRIFT),
    K.FEATURE_DRIFT: Kind(drift.feature_drift, P.DATA_DRIFT),
    K.PPS_CHANGE: Kind(leakage.shortcut_change, P.SHORTCUT_FEATURE),
    K.PPS: Kind(leakage.shortcut, P.SHORTCUT_FEATURE),
    K.NEW_LABELS: Kind(drift.new_labels, P.NEW_LABELS),
    K.PROPERTY_OUTLIERS: Kind(outliers.property_outliers, P.OUTLIERS),
    K.SAMPLE_OUTLIERS: Kind(outliers.sample_outliers, P.OUTLIERS),
    K.CLASS_PERFORMANCE: Kind(performance.class_performance, P.WEAK_CLASS),
    K.LEAKAGE: Kind(None, P.LABEL_QUALITY),
    K.DUPLICATES: Kind(integrity.duplicates, P.LABEL_QUALITY),
    K.CONFLICTING_LABELS: Kind(integrity.conflicting_labels, P.LABEL_QUALITY),
    K.SAMPLES_MIX: Kind(integrity.samples_mix, P.LABEL_QUALITY),
    K.CLASS_IMBALANCE: Kind(None, P.CLASS_IMBALANCE),
    K.OTHER_DRIFT: Kind(None, P.DATA_DRIFT),
    K.OTHER: Kind(None, None),
}

_TARGETS: dict[ProblemCode | None, tuple[FaultTarget, ...]] = {
    P.LABEL_DRIFT: (T.DATA_SPLIT, T.DATA_COLLECTION),
    P.DATA_DRIFT: (T.DATA_COLLECTION, T.DATA_PREPROCESSING, T.DATA_SPLIT),
    P.NEW_LABELS: (T.DATA_COLLECTION, T.LABELS),
    P.OUTLIERS: (T.DATA_PREPROCESSING, T.LABELS),
    P.WEAK_CLASS: (T.DATA_COLLECTION, T.CLASS_BALANCE),
    P.SHORTCUT_FEATURE: leakage.SHORTCUT_TARGETS,
    P.LABEL_QUALITY: (T.LABELS, T.DATA_PREPROCESSING, T.DATA_SPLIT),
    P.CLASS_IMBALANCE: (T.CLASS_BALANCE, T.LOSS_FUNCTION),
    None: (T.DATA_PREPROCESSING,),
}


rule(
    "any check",
    "its code or none",
    condition="a FAIL condition no rule turned into a finding",
    severity="low",
    source="Deepchecks `conditions_results`",
)


def failed_conditions(view: CheckView, code: ProblemCode | None) -> Analysis | None:
    """A low finding for FAIL conditions that no rule turned into a finding."""
    failed = [c for c in view.conditions if c.status == "FAIL"]
    if not failed:
        return None
    said = "; ".join(
        f"condition '{c.name}' failed" + (f": {c.info}" if c.info else "") for c in failed[:3]
    )
    return issue(
        code,
        description=f"Deepchecks check '{view.header}' failed {len(failed)} condition(s).",
        evidence=f"{view.where}: {said}.",
        severity=Severity.LOW,
        confidence=0.5,
        metric=view.header,
        action=(
            f"Open '{view.header}' in the Deepchecks report and fix what its failed condition "
            f"names ({failed[0].info or failed[0].name}); re-run the suite until it passes."
        ),
        rationale=(
            "A failed Deepchecks condition marks data that breaks an expectation of the suite; "
            "it was not measured further here."
        ),
        targets=list(_TARGETS[code]),
    )


def review(check: CheckView | BrokenCheck, report: Report) -> list[Analysis]:
    """The findings of one check; never raises (unreadable checks are reported)."""
    report.checks += 1
    if isinstance(check, BrokenCheck):
        report.unreadable.append(
            {"suite": check.suite, "header": check.header, "reason": check.reason}
        )
        return []
    label = f"{check.suite}: {check.header}"
    report.failed.extend(f"{label}: {c.name}" for c in check.conditions if c.status == "FAIL")
    report.warned.extend(f"{label}: {c.name}" for c in check.conditions if c.status == "WARN")
    kind = KINDS.get(check.kind) if check.kind is not None else None
    found: list[Analysis] = []
    if kind is None:
        report.unknown.append(label)
    elif kind.judge is not None:
        reason = check.unreadable
        if reason is None:
            try:
                found = kind.judge(check.result, check, report)
                report.analysed.append(label)
            except Exception as exc:  # a rule must never fail the agent
                reason = f"{type(exc).__name__}: {exc}"
        if reason is not None:
            report.unreadable.append(
                {
                    "suite": check.suite,
                    "header": check.header,
                    "reason": check.why_unreadable(reason),
                }
            )
    elif kind.measurable and check.conditions:
        report.conditions_only.append(label)
    else:
        report.not_analysed.append(label)
    if not found:
        generic = failed_conditions(check, kind.code if kind else None)
        if generic is not None:
            found = [generic]
    return found
