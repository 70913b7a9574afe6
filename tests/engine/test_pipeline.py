"""The pipeline: partial results instead of lost ones, deadlines, skips, determinism."""

from __future__ import annotations

import threading
import time

import numpy as np
from engine_helpers import bundle, healthy_columns

from deepfix_notebook.artifacts import ArtifactBundle
from deepfix_notebook.contract import AgentResult, AnalysisOptions, OptimizationFocus
from deepfix_notebook.engine import Engine, TrainingArtifactsAnalyzer
from deepfix_notebook.engine._agent import AgentInput

RELEASE = threading.Event()


class Raising:
    name = "DatasetArtifactsAnalyzer"

    def skip_reason(self, given: AgentInput) -> str | None:
        return None

    def run(self, given: AgentInput) -> AgentResult:
        raise RuntimeError("boom")


class Sleeping:
    name = "DeepchecksArtifactsAnalyzer"

    def skip_reason(self, given: AgentInput) -> str | None:
        return None

    def run(self, given: AgentInput) -> AgentResult:
        RELEASE.wait(10)
        return AgentResult(agent_name=self.name)


def overfit_bundle() -> ArtifactBundle:
    n = 40
    epochs = np.arange(n, dtype=float)
    return bundle(
        {
            "epoch": epochs,
            "train_loss": 2 * np.exp(-epochs / 8) + 0.05,
            "val_loss": 0.5 + 0.001 * (epochs - 12) ** 2,
        }
    )


def test_an_agent_that_raises_keeps_its_slot_and_the_result_is_partial() -> None:
    engine = Engine(phase_one=[TrainingArtifactsAnalyzer(), Raising()])
    result = engine.analyze(overfit_bundle())
    assert result.status.value == "partial"
    failed = next(r for r in result.agent_results if r.agent_name == "DatasetArtifactsAnalyzer")
    assert failed.error_message == "DatasetArtifactsAnalyzer failed: RuntimeError: boom"
    assert any(
        a.findings.code and a.findings.code.value == "overfitting"
        for r in result.agent_results
        for a in r.analysis
    )
    assert "did not finish" in result.summary


def test_an_agent_past_its_deadline_is_cut_off() -> None:
    RELEASE.clear()
    engine = Engine(phase_one=[TrainingArtifactsAnalyzer(), Sleeping()])
    start = time.perf_counter()
    try:
        result = engine.analyze(overfit_bundle(), deadline=0.5)
    finally:
        RELEASE.set()
    assert time.perf_counter() - start < 5
    slow = next(r for r in result.agent_results if r.agent_name == "DeepchecksArtifactsAnalyzer")
    assert slow.error_message is not None and "did not finish within 0.3 s" in slow.error_message
    assert result.status.value == "partial"
    assert [r.agent_name for r in result.agent_results][-2:] == [
        "CrossArtifactIntegrationAgent",
        "OptimizationAdvisorAgent",
    ]


def test_disabled_and_artifactless_analyzers_are_named_in_warnings() -> None:
    options = AnalysisOptions(enable_training_analysis=False)
    result = Engine().analyze(overfit_bundle(), options)
    assert result.status.value == "failed"
    assert result.agent_results == []
    assert "Training analysis was disabled" in result.summary
    healthy = Engine().analyze(bundle(healthy_columns()))
    assert any("dataset" in w.lower() for w in healthy.warnings)
    assert any("deepchecks" in w.lower() for w in healthy.warnings)


def test_same_input_same_output() -> None:
    first = Engine().analyze(overfit_bundle()).model_dump(mode="json")
    second = Engine().analyze(overfit_bundle()).model_dump(mode="json")
    for volatile in ("request_id", "timestamp", "execution_time"):
        first.pop(volatile)
        second.pop(volatile)
    assert first == second


def test_every_recommendation_cites_knowledge() -> None:
    result = Engine().analyze(overfit_bundle())
    recs = [a.recommendations for r in result.agent_results for a in r.analysis]
    assert recs and all(rec.knowledge_refs for rec in recs)
    advisor = result.agent_results[-1]
    assert set(advisor.retrieved_knowledge) == {
        k for a in advisor.analysis for k in a.recommendations.knowledge_refs
    }


def test_focus_reorders_the_plan() -> None:
    n = 40
    epochs = np.arange(n, dtype=float)
    loss = 2 * np.exp(-epochs / 8) + 0.05
    loss[[10, 20, 30]] *= 8  # unstable
    columns = {"epoch": epochs, "train_loss": loss, "val_loss": 0.5 + 0.001 * (epochs - 12) ** 2}
    plain = Engine().analyze(bundle(columns))
    focused = Engine().analyze(
        bundle(columns), AnalysisOptions(optimization_focus=[OptimizationFocus.STABILITY])
    )
    plain_codes = [a.findings.code.value for a in plain.agent_results[-1].analysis]
    focused_codes = [a.findings.code.value for a in focused.agent_results[-1].analysis]
    assert plain_codes[0] == "overfitting"  # the more severe problem leads by default
    assert focused_codes[0] == "unstable_training"
    assert sorted(plain_codes) == sorted(focused_codes)
