"""The pipeline: phase 1 in parallel with deadlines, phase 2 in order, knowledge cited last.

An agent that raises or runs past its deadline keeps its slot with an ``error_message`` and the
result is ``partial``: a result is never lost to one agent.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from deepfix_notebook.artifacts import ArtifactBundle
from deepfix_notebook.contract import (
    AgentResult,
    AnalysisContext,
    AnalysisOptions,
    AnalysisResult,
    AnalysisStatus,
)
from deepfix_notebook.engine._agent import Agent, AgentInput
from deepfix_notebook.engine._calibration import calibrate
from deepfix_notebook.engine._curves import curves
from deepfix_notebook.engine._summary import summarize
from deepfix_notebook.engine.advisor import OptimizationAdvisorAgent
from deepfix_notebook.engine.cross_artifact import CrossArtifactIntegrationAgent
from deepfix_notebook.engine.dataset import DatasetArtifactsAnalyzer
from deepfix_notebook.engine.deepchecks import DeepchecksArtifactsAnalyzer
from deepfix_notebook.engine.training import TrainingArtifactsAnalyzer, missing_metrics

if TYPE_CHECKING:
    from deepfix_notebook.engine.knowledge import KnowledgeBridge

AgentDone = Callable[[str, int, int], None]
PHASE_ONE_SHARE = 0.7  # of the deadline, for the three artifact analyzers together
REFS_PER_RECOMMENDATION = 2


class Engine:
    """Runs the five agents over a bundle. Holds no per-run state: safe to share."""

    def __init__(
        self,
        *,
        knowledge: KnowledgeBridge | None = None,
        phase_one: Sequence[Agent] | None = None,
        phase_two: Sequence[Agent] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        threads: bool = True,
        calibrated: bool = True,
    ) -> None:
        """``threads=False`` runs the agents one after the other in the calling thread, without
        deadlines: for callers that parallelise across runs (a sweep), where a thread per agent
        costs more than the agents themselves (about 5 of 8 ms a run). ``calibrated=False``
        keeps the confidences the rules state (what scripts/calibrate_confidence.py fits on)."""
        self._knowledge = knowledge
        self._threads = threads
        self._calibrated = calibrated
        self.phase_one: tuple[Agent, ...] = tuple(
            phase_one
            or (
                TrainingArtifactsAnalyzer(),
                DatasetArtifactsAnalyzer(),
                DeepchecksArtifactsAnalyzer(),
            )
        )
        self.phase_two: tuple[Agent, ...] = tuple(
            phase_two or (CrossArtifactIntegrationAgent(), OptimizationAdvisorAgent())
        )
        self._clock = clock

    @property
    def knowledge(self) -> KnowledgeBridge:
        if self._knowledge is None:
            from deepfix_notebook.engine.knowledge import KnowledgeBridge

            self._knowledge = KnowledgeBridge.default()
        return self._knowledge

    def analyze(
        self,
        bundle: ArtifactBundle,
        options: AnalysisOptions | None = None,
        context: AnalysisContext | None = None,
        *,
        run_id: str | None = None,
        request_id: str | None = None,
        deadline: float | None = None,
        on_agent_done: AgentDone | None = None,
    ) -> AnalysisResult:
        """Analyse ``bundle``. ``deadline`` (seconds) overrides ``options.max_analysis_time``.

        ``on_agent_done(name, done, total)`` is called as each agent finishes.
        """
        start = self._clock()
        options = options or AnalysisOptions()
        budget = deadline if deadline is not None else options.max_analysis_time
        given = AgentInput(
            bundle=bundle,
            options=options,
            context=context or AnalysisContext(),
            curves=curves(bundle.metrics) if bundle.metrics is not None else {},
        )
        warnings = list(bundle.warnings)
        scheduled = []
        for agent in self.phase_one:
            reason = agent.skip_reason(given)
            if reason is None:
                scheduled.append(agent)
            else:
                warnings.append(reason)
        total = len(scheduled) + (len(self.phase_two) if scheduled else 0)
        progress = _Counter(total, on_agent_done)
        results = self._run(scheduled, given, budget * PHASE_ONE_SHARE, progress)
        if "train_loss" in given.curves and any(
            r.agent_name == TrainingArtifactsAnalyzer.name and r.error_message is None
            for r in results
        ):
            from deepfix_notebook.engine._facts import TrainingFacts

            warnings += missing_metrics(TrainingFacts(given.curves, bundle.params, bundle))
        if results:
            for agent in self.phase_two:
                remaining = budget - (self._clock() - start)
                phase = AgentInput(given.bundle, options, given.context, given.curves, results)
                results += self._run([agent], phase, remaining, progress)
            results = self._cite(results, warnings)
        status = AnalysisStatus.COMPLETED
        if not results:
            status = AnalysisStatus.FAILED
        elif any(r.error_message for r in results):
            status = AnalysisStatus.PARTIAL
        summary = (
            summarize(results, given.curves)
            if results
            else "Nothing could be analysed: " + " ".join(warnings)
        )
        if self._calibrated:
            results = calibrate(results)
        return AnalysisResult(
            request_id=request_id or f"req_{uuid.uuid4().hex[:16]}",
            run_id=run_id or bundle.run_id or _run_name(bundle),
            status=status,
            summary=summary,
            agent_results=results,
            execution_time=round(self._clock() - start, 6),
            warnings=warnings,
            backend="local",
        )

    def _run(
        self,
        agents: Sequence[Agent],
        given: AgentInput,
        seconds: float,
        progress: _Counter,
    ) -> list[AgentResult]:
        if not agents:
            return []
        if not self._threads:
            return [_inline(agent, given, progress) for agent in agents]
        pool = ThreadPoolExecutor(max_workers=len(agents), thread_name_prefix="deepfix-agent")
        try:
            futures: list[Future[AgentResult]] = [pool.submit(a.run, given) for a in agents]
            wait(futures, timeout=max(seconds, 0.0))
        finally:
            pool.shutdown(wait=False, cancel_futures=True)  # a stuck agent is left behind
        results = []
        for agent, future in zip(agents, futures, strict=True):
            results.append(_outcome(agent, future, seconds))
            progress.done(agent.name)
        return results

    def _cite(self, results: list[AgentResult], warnings: list[str]) -> list[AgentResult]:
        """Attach knowledge items to every recommendation that has none."""
        try:
            bridge = self.knowledge
            cited = []
            for result in results:
                analyses, refs = [], []
                for item in result.analysis:
                    rec = item.recommendations
                    if not rec.knowledge_refs and item.findings.code is not None:
                        found = bridge.for_problem(
                            item.findings.code,
                            targets=rec.targets,
                            text=rec.action,
                            limit=REFS_PER_RECOMMENDATION,
                        )
                        rec = rec.model_copy(update={"knowledge_refs": [k.id for k in found]})
                        item = item.model_copy(update={"recommendations": rec})
                    refs += [r for r in rec.knowledge_refs if r not in refs]
                    analyses.append(item)
                cited.append(
                    result.model_copy(update={"analysis": analyses, "retrieved_knowledge": refs})
                )
            return cited
        except Exception as exc:  # knowledge is an enrichment: never lose the analysis to it
            warnings.append(f"Knowledge citations unavailable: {exc}")
            return results


class _Counter:
    def __init__(self, total: int, callback: AgentDone | None) -> None:
        self.total, self.count, self.callback = total, 0, callback

    def done(self, name: str) -> None:
        self.count += 1
        if self.callback is not None:
            self.callback(name, self.count, self.total)


def _inline(agent: Agent, given: AgentInput, progress: _Counter) -> AgentResult:
    try:
        result = agent.run(given)
    except Exception as error:  # as in a thread: the agent's slot keeps the error
        result = AgentResult(
            agent_name=agent.name,
            error_message=f"{agent.name} failed: {type(error).__name__}: {error}",
        )
    progress.done(agent.name)
    return result


def _outcome(agent: Agent, future: Future[AgentResult], seconds: float) -> AgentResult:
    if not future.done():
        return AgentResult(
            agent_name=agent.name,
            error_message=f"{agent.name} did not finish within {seconds:.1f} s.",
        )
    error = future.exception()
    if error is not None:
        return AgentResult(
            agent_name=agent.name,
            error_message=f"{agent.name} failed: {type(error).__name__}: {error}",
        )
    return future.result()


def _run_name(bundle: ArtifactBundle) -> str:
    from pathlib import PurePath

    return PurePath(bundle.source).name or bundle.source


_DEFAULT: Engine | None = None


def default_engine() -> Engine:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Engine()
    return _DEFAULT


def analyze_bundle(
    bundle: ArtifactBundle,
    options: AnalysisOptions | None = None,
    context: AnalysisContext | None = None,
    **kwargs: object,
) -> AnalysisResult:
    """Analyse ``bundle`` with the default engine (see `Engine.analyze`)."""
    return default_engine().analyze(bundle, options, context, **kwargs)  # type: ignore[arg-type]
