"""OptimizationAdvisorAgent: one short, ordered plan from everything the other agents found.

Causes found by the cross-artifact agent come before the symptoms they explain; a code reported
by several agents is one step carrying every agent's evidence; recommendations whose fault
targets are covered by a stronger one are merged into it; `optimization_focus` moves the matching
problems to the front. Every medium or high problem gets a step (or is named by one it merged
into); low hints fill the plan up to `MAX_STEPS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    Finding,
    OptimizationFocus,
    ProblemCode,
    Recommendation,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput
from deepfix_notebook.engine._curves import sentence

P = ProblemCode
F = OptimizationFocus

MAX_STEPS = 6  # low hints stop here: a plan longer than this is a list, not a plan
FOCUS: dict[OptimizationFocus, frozenset[ProblemCode]] = {
    F.OVERFITTING: frozenset({P.OVERFITTING, P.OVERTRAINING, P.SUSPICIOUS_VALIDATION}),
    F.UNDERFITTING: frozenset({P.UNDERFITTING, P.LOSS_NOT_DECREASING, P.INSUFFICIENT_TRAINING}),
    F.CONVERGENCE: frozenset(
        {
            P.SLOW_CONVERGENCE,
            P.PLATEAU,
            P.LOSS_NOT_DECREASING,
            P.LEARNING_RATE_TOO_LOW,
            P.INSUFFICIENT_TRAINING,
        }
    ),
    F.STABILITY: frozenset(
        {
            P.NAN_LOSS,
            P.EXPLODING_LOSS,
            P.EXPLODING_GRADIENTS,
            P.VANISHING_GRADIENTS,
            P.UNSTABLE_TRAINING,
            P.LEARNING_RATE_TOO_HIGH,
        }
    ),
    F.DATA_QUALITY: frozenset(
        {P.LABEL_QUALITY, P.OUTLIERS, P.NEW_LABELS, P.UNNORMALIZED_INPUTS, P.SHORTCUT_FEATURE}
    ),
    F.CLASS_IMBALANCE: frozenset({P.CLASS_IMBALANCE, P.WEAK_CLASS}),
    F.GENERALIZATION: frozenset(
        {
            P.OVERFITTING,
            P.TRAIN_TEST_SHIFT,
            P.DATA_DRIFT,
            P.LABEL_DRIFT,
            P.SMALL_DATASET,
            P.SMALL_VALIDATION_SPLIT,
        }
    ),
    F.EFFICIENCY: frozenset({P.OVERTRAINING, P.PLATEAU, P.SLOW_CONVERGENCE}),
}
_ORDER = {code: i for i, code in enumerate(ProblemCode)}


@dataclass
class _Step:
    source: Analysis
    cause: bool
    also: list[ProblemCode] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)  # every agent's evidence for the code

    @property
    def code(self) -> ProblemCode:
        assert self.source.findings.code is not None
        return self.source.findings.code

    def key(self, focus: frozenset[ProblemCode]) -> tuple[int, int, int, float, int]:
        finding = self.source.findings
        return (
            0 if self.code in focus or focus & set(self.also) else 1,
            -self.source.recommendations.priority.rank,
            0 if self.cause else 1,
            -finding.confidence,
            _ORDER[self.code],
        )


class OptimizationAdvisorAgent:
    """Orders, merges and words the fixes into a plan (phase 2, last)."""

    name = AgentName.OPTIMIZATION.value

    def skip_reason(self, given: AgentInput) -> str | None:
        return None

    def run(self, given: AgentInput) -> AgentResult:
        focus = frozenset().union(*(FOCUS[f] for f in given.options.optimization_focus))
        steps = _merge(_candidates(given), focus)
        steps.sort(key=lambda step: step.key(focus))
        plan = [s for s in steps if s.source.findings.severity is not Severity.LOW]
        hints = [s for s in steps if s.source.findings.severity is Severity.LOW]
        plan += hints[: max(MAX_STEPS - len(plan), 0)]
        analyses = [_word(i, step) for i, step in enumerate(plan, start=1)]
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=[r.agent_name for r in given.prior if r.error_message is None],
            additional_outputs={
                "plan": [
                    {"step": i, "code": s.code.value, "also": [c.value for c in s.also]}
                    for i, s in enumerate(plan, start=1)
                ],
                "focus": [f.value for f in given.options.optimization_focus],
            },
        )


def _candidates(given: AgentInput) -> list[_Step]:
    """The strongest finding per code, with the evidence of every finding of that code;
    cross-artifact causes marked as such."""
    best: dict[ProblemCode, _Step] = {}
    evidence: dict[ProblemCode, list[str]] = {}
    for result in given.prior:
        is_cause = result.agent_name == AgentName.CROSS_ARTIFACT.value
        for item in result.analysis:
            code = item.findings.code
            if code is None:
                continue
            seen = evidence.setdefault(code, [])
            if item.findings.evidence not in seen:
                seen.append(item.findings.evidence)
            current = best.get(code)
            stronger = current is None or (
                (is_cause and not current.cause)
                or (is_cause == current.cause and _rank(item) > _rank(current.source))
            )
            if stronger:
                best[code] = _Step(item, is_cause)
    for code, step in best.items():
        own = step.source.findings.evidence
        # A cross-artifact cause quotes its symptoms' evidence already (shortened): not again.
        step.evidence = [own] + [e for e in evidence[code] if e.rstrip(". ")[:60] not in own]
    return list(best.values())


def _rank(item: Analysis) -> tuple[int, float]:
    return item.findings.severity.rank, item.findings.confidence


def _merge(steps: list[_Step], focus: frozenset[ProblemCode]) -> list[_Step]:
    """Fold a step into a stronger one whose targets cover its own."""
    steps = sorted(steps, key=lambda s: s.key(focus))
    kept: list[_Step] = []
    for step in steps:
        targets = set(step.source.recommendations.targets)
        host = next(
            (
                k
                for k in kept
                if targets
                and targets <= set(k.source.recommendations.targets)
                and k.source.findings.severity.rank >= step.source.findings.severity.rank
            ),
            None,
        )
        if host is None:
            kept.append(step)
        else:
            host.also.append(step.code)
    return kept


def _word(number: int, step: _Step) -> Analysis:
    finding, rec = step.source.findings, step.source.recommendations
    also = ", ".join(code.value for code in step.also)
    rationale = rec.rationale + (f" This also addresses: {also}." if also else "")
    return Analysis(
        findings=Finding(
            description=f"Step {number}: {finding.description}",
            evidence=(
                " ".join(sentence(e) for e in step.evidence)
                if len(step.evidence) > 1
                else finding.evidence
            ),
            severity=finding.severity,
            confidence=finding.confidence,
            code=finding.code,
            metric=finding.metric,
            step_range=finding.step_range,
            epoch_range=finding.epoch_range,
        ),
        recommendations=Recommendation(
            action=rec.action,
            rationale=rationale,
            priority=rec.priority,
            confidence=rec.confidence,
            targets=list(rec.targets),
            knowledge_refs=list(rec.knowledge_refs),
        ),
    )
