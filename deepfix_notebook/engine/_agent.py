"""What every agent gets and gives, and the one way findings are built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from deepfix_notebook.artifacts import ArtifactBundle
from deepfix_notebook.contract import (
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    FaultTarget,
    Finding,
    Priority,
    ProblemCode,
    Recommendation,
    Severity,
)
from deepfix_notebook.engine._curves import Curve


@dataclass(frozen=True)
class AgentInput:
    """A run as agents see it: the bundle, its curves (prepared once), options, earlier results."""

    bundle: ArtifactBundle
    options: AnalysisOptions
    context: AnalysisContext
    curves: Mapping[str, Curve]
    prior: Sequence[AgentResult] = field(default=())


class Agent(Protocol):
    """An analysis agent. ``skip_reason`` says why it cannot run on this input (or None)."""

    name: str

    def skip_reason(self, given: AgentInput) -> str | None: ...

    def run(self, given: AgentInput) -> AgentResult: ...


def issue(
    code: ProblemCode | None,
    *,
    description: str,
    evidence: str,
    severity: Severity,
    confidence: float,
    action: str,
    rationale: str,
    targets: Sequence[FaultTarget],
    metric: str | None = None,
    step_range: tuple[int, int] | None = None,
    epoch_range: tuple[float, float] | None = None,
    priority: Priority | None = None,
) -> Analysis:
    """A finding and the fix that goes with it (knowledge is cited later by the pipeline).

    ``code`` is None only for findings outside the vocabulary (e.g. a failed data check).
    """
    return Analysis(
        findings=Finding(
            description=description,
            evidence=evidence,
            severity=severity,
            confidence=round(min(max(confidence, 0.0), 1.0), 2),
            code=code,
            metric=metric,
            step_range=step_range,
            epoch_range=epoch_range,
        ),
        recommendations=Recommendation(
            action=action,
            rationale=rationale,
            priority=priority or Priority(severity.value),
            confidence=round(min(max(confidence, 0.0), 1.0), 2),
            targets=list(targets),
        ),
    )


def findings_of(results: Sequence[AgentResult]) -> list[Analysis]:
    """Every analysis of ``results`` with a problem code, in order."""
    return [a for r in results for a in r.analysis if a.findings.code is not None]


def codes_at_least(
    results: Sequence[AgentResult], severity: Severity
) -> dict[ProblemCode, Analysis]:
    """The strongest analysis per problem code at or above ``severity``."""
    best: dict[ProblemCode, Analysis] = {}
    for item in findings_of(results):
        code = item.findings.code
        assert code is not None
        if item.findings.severity.rank < severity.rank:
            continue
        current = best.get(code)
        if current is None or _strength(item) > _strength(current):
            best[code] = item
    return best


def _strength(item: Analysis) -> tuple[int, float]:
    return item.findings.severity.rank, item.findings.confidence
