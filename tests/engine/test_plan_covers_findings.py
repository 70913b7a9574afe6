"""Every medium or high problem gets a step of the plan; a code two agents found is one step."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import ENGINE, bundle, healthy_columns

from deepfix_notebook.artifacts import load_directory
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    FaultTarget,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine import OptimizationAdvisorAgent
from deepfix_notebook.engine._agent import AgentInput, issue

ROOT = Path(__file__).resolve().parents[2]
LABELLED = sorted(
    p.parent
    for root in (ROOT / "tests" / "eval" / "cases", ROOT / "tests" / "eval" / "corpus" / "runs")
    for p in root.glob("*/expected.yaml")
)[::3]  # every third: the property, not the corpus, is under test here


def uncovered(result: AnalysisResult) -> set[str]:
    plan = next(r for r in result.agent_results if r.agent_name == AgentName.OPTIMIZATION.value)
    covered = {step["code"] for step in plan.additional_outputs["plan"]}
    covered |= {code for step in plan.additional_outputs["plan"] for code in step["also"]}
    serious = {
        a.findings.code.value
        for _, a in result.findings()
        if a.findings.code is not None and a.findings.severity is not Severity.LOW
    }
    return serious - covered


@pytest.mark.parametrize("case", LABELLED, ids=lambda p: p.name)
def test_every_serious_code_of_a_labelled_run_is_in_the_plan(case: Path) -> None:
    assert uncovered(ENGINE.analyze(load_directory(case))) == set()


def _finding(code: ProblemCode, severity: Severity, evidence: str, target: FaultTarget) -> Analysis:
    return issue(
        code,
        description=f"{code.value} found.",
        evidence=evidence,
        severity=severity,
        confidence=0.8,
        action=f"Fix {code.value}.",
        rationale="Because.",
        targets=[target],
    )


def test_more_serious_problems_than_plan_steps_all_get_a_step() -> None:
    codes = list(ProblemCode)[:9]
    targets = list(FaultTarget)
    found = [
        _finding(code, Severity.MEDIUM, f"evidence {i}", targets[i]) for i, code in enumerate(codes)
    ]
    hint = _finding(ProblemCode.PLATEAU, Severity.LOW, "a hint", FaultTarget.EPOCHS)
    prior = [AgentResult(agent_name=AgentName.TRAINING.value, analysis=[*found, hint])]
    given = AgentInput(bundle(healthy_columns()), AnalysisOptions(), AnalysisContext(), {}, prior)
    plan = OptimizationAdvisorAgent().run(given)
    assert [a.findings.code for a in plan.analysis] == codes  # the low hint no longer fits


def test_a_code_found_by_two_agents_is_one_step_with_both_evidences() -> None:
    mine = _finding(
        ProblemCode.SMALL_DATASET, Severity.MEDIUM, "40 samples", FaultTarget.DATA_COLLECTION
    )
    cause = _finding(
        ProblemCode.SMALL_DATASET, Severity.HIGH, "overfits early", FaultTarget.DATA_COLLECTION
    )
    prior = [
        AgentResult(agent_name=AgentName.DATASET.value, analysis=[mine]),
        AgentResult(agent_name=AgentName.CROSS_ARTIFACT.value, analysis=[cause]),
    ]
    given = AgentInput(bundle(healthy_columns()), AnalysisOptions(), AnalysisContext(), {}, prior)
    (step,) = OptimizationAdvisorAgent().run(given).analysis
    assert step.findings.severity is Severity.HIGH
    assert step.findings.evidence == "overfits early. 40 samples."
