"""`run_sweep`: every run of an experiment diagnosed (or its saved diagnosis reused), then the
patterns across them."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deepfix_notebook.contract import SweepResult, SweepRun
from deepfix_notebook.sweeps._analyse import (
    Analysed,
    Analyser,
    Failed,
    Outcome,
    RemoteAnalyser,
    failure,
    worker_count,
)
from deepfix_notebook.sweeps._associations import TEST, Observed, associations
from deepfix_notebook.sweeps._best import Candidate, best_runs, validation_metric
from deepfix_notebook.sweeps._health import health
from deepfix_notebook.sweeps._params import is_hyperparameter
from deepfix_notebook.sweeps._summary import summarize

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow_sweep import ExperimentRun
    from deepfix_notebook.backends import AnalysisBackend

Progress = Callable[[int, int], None]  # (runs done, runs in the sweep)
CHUNK = 250  # runs read and analysed together: bounds memory at any sweep size


@dataclass(frozen=True, slots=True)
class _Reused:
    problems: list[str]
    health: str


def run_sweep(
    experiment: str,
    *,
    tracking_uri: str | None = None,
    filter_string: str = "",
    max_runs: int | None = None,
    save: bool = False,
    reuse: bool = True,
    workers: int | None = None,
    on_progress: Progress | None = None,
    connected: str | None = None,
    backend: AnalysisBackend | None = None,
) -> SweepResult:
    """Triage every run of ``experiment`` (see `deepfix_notebook.sweep`).

    Runs are analysed by the embedded engine in ``workers`` processes, or, when ``backend``
    is a DeepFix server reading the same store, as that server's jobs. Raises `ArtifactError`
    when the experiment or store cannot be read, or the filter is not MLflow's syntax; a run
    that cannot be analysed is reported in the result, never raised.
    """
    from deepfix_notebook.artifacts import experiment_runs, redact_uri

    start = time.perf_counter()
    uri, runs = experiment_runs(
        experiment,
        tracking_uri,
        filter_string=filter_string,
        max_runs=max_runs,
        connected=connected,
    )
    done: dict[str, Outcome | _Reused] = _reused(uri, runs) if reuse else {}
    report = on_progress or (lambda count, total: None)
    report(len(done), len(runs))
    warnings: list[str] = []
    pending = [run for run in runs if run.run_id not in done]
    remote = _remote(backend, uri, warnings)
    with Analyser(1 if remote else worker_count(workers, len(pending))) as analyser:
        # The next chunk is read (or submitted) while the one before is being analysed.
        started: tuple[Sequence[ExperimentRun], Callable[[], dict[str, Outcome]]] | None = None
        for chunk in [*_chunks(pending, CHUNK), None]:
            begun = None
            if chunk is not None:
                ids = [run.run_id for run in chunk]
                begun = (chunk, remote.start(ids) if remote else _start(uri, chunk, analyser))
            if started is not None:
                outcomes = started[1]()
                done.update(outcomes)
                if save:
                    warnings += _save(uri, started[0], outcomes)
                report(len(done), len(runs))
            started = begun
    return _result(experiment, redact_uri(uri), runs, done, warnings, time.perf_counter() - start)


def _chunks(runs: Sequence[ExperimentRun], size: int) -> Iterator[Sequence[ExperimentRun]]:
    for start in range(0, len(runs), size):
        yield runs[start : start + size]


def _reused(uri: str, runs: Sequence[ExperimentRun]) -> dict[str, Outcome | _Reused]:
    """The runs whose logged analysis is newer than their last metric, with its health."""
    from pydantic import ValidationError

    from deepfix_notebook.artifacts import logged_analyses
    from deepfix_notebook.contract import AnalysisResult

    texts = logged_analyses(uri, runs)
    found: dict[str, Outcome | _Reused] = {}
    for run in runs:
        text = texts.get(run.run_id)
        if text is None:
            continue
        try:
            result = AnalysisResult.model_validate_json(text)
        except ValidationError:
            continue  # analysed again, and replaced with --save
        made = result.timestamp.timestamp() * 1000
        if run.last_metric_ms is None or made >= run.last_metric_ms:
            problems, state = health(result)
            found[run.run_id] = _Reused([code.value for code in problems], state)
    return found


def _remote(
    backend: AnalysisBackend | None, uri: str, warnings: list[str]
) -> RemoteAnalyser | None:
    """A server backend that reads the experiment's store analyses its runs; None: this
    process does (with a warning when a server was connected to another store)."""
    if backend is None or getattr(backend, "in_process", hasattr(backend, "load")):
        return None
    from deepfix_notebook.artifacts import redact_uri, resolve_tracking_uri

    served = getattr(backend, "tracking_uri", None)
    if served and resolve_tracking_uri(served) == uri:
        return RemoteAnalyser(backend)
    warnings.append(
        f"Analysed in this process: the server {backend.name} reads runs from "
        f"{redact_uri(served or 'no store')}, not from {redact_uri(uri)}."
    )
    return None


def _start(
    uri: str, runs: Sequence[ExperimentRun], analyser: Analyser
) -> Callable[[], dict[str, Outcome]]:
    """Read ``runs`` and start analysing them; the returned call waits for their outcomes (a
    run that cannot be read is a failed outcome at once)."""
    from deepfix_notebook.artifacts import ArtifactError, metric_histories, run_bundle

    failed: dict[str, Outcome] = {}
    try:
        histories = metric_histories(uri, runs)
    except ArtifactError as error:  # the store went away: every run of the chunk says so
        gone = {run.run_id: failure(error) for run in runs}
        return lambda: dict(gone)
    bundles = []
    for run in runs:
        try:
            bundles.append(run_bundle(run, uri, histories.get(run.run_id)))
        except Exception as error:  # a run that cannot be read never stops the sweep
            failed[run.run_id] = failure(error)
    ids = [bundle.run_id or "" for bundle in bundles]
    try:
        outcomes = analyser.submit(bundles)
    except Exception as error:  # the worker pool is broken: every run of the chunk says so
        failed.update({run_id: failure(error) for run_id in ids})
        outcomes = iter(())
        ids = []

    def finish() -> dict[str, Outcome]:
        found = dict(failed)
        try:
            for run_id, outcome in zip(ids, outcomes, strict=True):
                found[run_id] = outcome
        except Exception as error:  # a worker died (killed, out of memory): say so per run
            lost = failure(error)
            found.update({run_id: lost for run_id in ids if run_id not in found})
        return found

    return finish


def _save(uri: str, runs: Sequence[ExperimentRun], outcomes: dict[str, Outcome]) -> list[str]:
    from deepfix_notebook.artifacts import write_analyses

    documents = [
        (run, outcome.text)
        for run in runs
        if isinstance(outcome := outcomes.get(run.run_id), Analysed)
    ]
    failed = write_analyses(uri, documents)
    return [f"The analysis of run {run_id} was not saved: {why}" for run_id, why in failed.items()]


def _result(
    experiment: str,
    uri: str,
    runs: Sequence[ExperimentRun],
    done: dict[str, Outcome | _Reused],
    warnings: list[str],
    elapsed: float,
) -> SweepResult:
    varying = _varying(runs)
    candidates = [
        Candidate(
            run.run_id,
            run.run_name,
            getattr(done[run.run_id], "health", None) == "clean",
            run.metrics,
            run.params,
        )
        for run in runs
    ]
    metric = validation_metric([c for c in candidates if not isinstance(done[c.run_id], Failed)])
    values = metric[1] if metric else {}
    rows = [_row(run, done[run.run_id], varying, values.get(run.run_id)) for run in runs]
    analysed = [
        Observed(row.params, frozenset(row.problems)) for row in rows if row.status != "failed"
    ]
    found, note = associations(analysed)
    counts = Counter(row.severity or "failed" for row in rows)
    counts_all = {key: counts.get(key, 0) for key in ("high", "medium", "clean", "failed")}
    problems = Counter(code.value for row in rows for code in row.problems)
    best = best_runs(candidates, metric[0], values, varying) if metric else None
    return SweepResult(
        experiment=experiment,
        tracking_uri=uri,
        runs=rows,
        counts=counts_all,
        problem_counts=dict(problems.most_common()),
        associations=found,
        association_test=TEST,
        associations_note=note,
        best=best,
        summary=summarize(experiment, counts_all, problems, found, note, best),
        execution_time=round(elapsed, 3),
        warnings=warnings,
    )


def _row(
    run: ExperimentRun, outcome: Outcome | _Reused, varying: Sequence[str], metric: float | None
) -> SweepRun:
    params = {name: run.params[name] for name in varying if name in run.params}
    common = {"run_id": run.run_id, "run_name": run.run_name, "params": params, "metric": metric}
    if isinstance(outcome, Failed):
        return SweepRun.model_validate(
            {**common, "status": "failed", "error_code": outcome.code, "error": outcome.message}
        )
    status = "reused" if isinstance(outcome, _Reused) else "analysed"
    return SweepRun.model_validate(
        {**common, "status": status, "problems": outcome.problems, "severity": outcome.health}
    )


def _varying(runs: Sequence[ExperimentRun]) -> list[str]:
    """The hyperparameters whose value (or absence) differs between runs (seeds left out)."""
    names = sorted({name for run in runs for name in run.params if is_hyperparameter(name)})
    return [name for name in names if len({run.params.get(name) for run in runs}) > 1]
