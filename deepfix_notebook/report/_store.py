"""`RunStore`: one MLflow store's runs as the report reads them, cached for every session.

The run list is one ``search_runs`` call, kept for `LIST_TTL_S`; a run's artifacts are read on
demand. The overview reads only the logged analysis (``deepfix/analysis.json``) of the runs on
the page it shows; full bundles are read for the Run page (the few most recent are kept,
`MAX_BUNDLES`) and for analyses computed for display, which are kept per (run id, end time).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from cachetools import TLRUCache

from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, resolve_tracking_uri
from deepfix_notebook.contract import AnalysisResult, ErrorCode

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary
    from deepfix_notebook.backends import AnalysisBackend

MAX_RUNS = 1000  # runs listed; a store with more shows the newest ones and says so
LIST_TTL_S = 30.0
MAX_BUNDLES = 16
READ_THREADS = 4
# A run still going has no end time: what was computed for it is redone after this long.
RUNNING_TTL_S = 60.0

HealthState = Literal["logged", "computed", "none", "no-artifacts", "error"]
DisplayKey = tuple[str, datetime | None]


@dataclass(frozen=True)
class Health:
    """What the overview knows of a run's health.

    ``logged``: the counts of the analysis logged with the run (or made with Analyze, which
    writes it there); ``computed``: of an analysis made for display only; ``none``: the run has
    artifacts but no (valid) analysis; ``no-artifacts``; ``error``: it could not be read or
    analysed. ``note`` says why, when there is something to say.
    """

    state: HealthState
    counts: Mapping[str, int] | None = None
    note: str | None = None


@dataclass(frozen=True)
class RunDetails:
    """A run's artifacts (or why they cannot be read) and its newest analysis."""

    run_id: str
    bundle: ArtifactBundle | None
    error: str | None
    analysis: AnalysisResult | None
    analysis_source: str | None  # "logged" (deepfix/analysis.json) or the backend's name
    notes: tuple[str, ...] = ()
    error_code: ErrorCode | None = None  # of ``error``

    @property
    def counts(self) -> dict[str, int] | None:
        """Findings per severity of the analysis (the plan not counted); None without one."""
        return None if self.analysis is None else self.analysis.counts_by_severity()


class RunStore:
    """The runs of ``experiment`` (every experiment when None) in the store at ``tracking_uri``."""

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment: str | None = None,
        *,
        max_runs: int = MAX_RUNS,
        ttl: float = LIST_TTL_S,
    ) -> None:
        if max_runs < 1:
            raise ValueError(f"max_runs must be at least 1, got {max_runs}")
        self.tracking_uri = resolve_tracking_uri(tracking_uri)
        self.experiment = experiment
        self.max_runs = max_runs
        self.ttl = ttl
        self._lock = threading.Lock()
        self._listed: tuple[float, list[RunSummary]] | None = None
        self._bundles: OrderedDict[str, RunDetails] = OrderedDict()
        self._analyses: dict[str, tuple[AnalysisResult | None, str | None]] = {}
        self._health: dict[str, Health] = {}
        self._computed: TLRUCache[DisplayKey, Health] = TLRUCache(max_runs, ttu=_expires)

    def runs(self, *, refresh: bool = False) -> list[RunSummary]:
        """The newest runs, newest first (at most ``max_runs``); raises `ArtifactError`."""
        with self._lock:
            listed = self._listed
        if not refresh and listed is not None and time.monotonic() - listed[0] < self.ttl:
            return listed[1]
        from deepfix_notebook.artifacts import list_runs

        runs = list_runs(self.tracking_uri, experiment=self.experiment, limit=self.max_runs)
        with self._lock:
            self._listed = (time.monotonic(), runs)
            if refresh:  # analyses may have been logged (or runs fixed) since they were read
                self._health.clear()
        return runs

    def summary(self, run_id: str) -> RunSummary | None:
        """The listed run ``run_id`` (None when it is not among the listed runs)."""
        with self._lock:
            runs = self._listed[1] if self._listed else []
        return next((run for run in runs if run.run_id == run_id), None)

    def details(self, run_id: str, *, refresh: bool = False) -> RunDetails:
        """Read the run's artifacts (cached); never raises for a run that cannot be read."""
        with self._lock:
            cached = self._bundles.get(run_id)
            if cached is not None and not refresh:
                self._bundles.move_to_end(run_id)
                return cached
        details = self._read(run_id)
        with self._lock:
            self._bundles[run_id] = details
            self._bundles.move_to_end(run_id)
            while len(self._bundles) > MAX_BUNDLES:
                self._bundles.popitem(last=False)
            result, source = self._analyses.get(run_id, (None, None))
            # An analysis made in this process is newer than the one the run logged.
            if result is not None and source != "logged":
                details = with_analysis(details, result, source)
                self._bundles[run_id] = details
            else:
                self._analyses[run_id] = (details.analysis, details.analysis_source)
            self._health[run_id] = details_health(details)
        return details

    def health(self, run: RunSummary) -> Health | None:
        """What is known of ``run``'s health; None when it was not read yet.

        A run without a logged analysis shows the one computed for display, when there is one.
        """
        with self._lock:
            known = self._health.get(run.run_id)
            if known is not None and known.state == "none":
                return self._computed.get((run.run_id, run.end_time), known)
            return known

    def read_health(self, runs: Iterable[RunSummary]) -> None:
        """Read the logged analyses of the ``runs`` not read yet, a few at a time; reads
        ``deepfix/analysis.json`` alone, not the runs' metrics."""
        with self._lock:
            unseen = list(dict.fromkeys(r.run_id for r in runs if r.run_id not in self._health))
        if not unseen:
            return
        with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="deepfix-report") as pool:
            found = list(pool.map(self._read_logged, unseen))
        with self._lock:
            for run_id, health in zip(unseen, found, strict=True):
                self._health.setdefault(run_id, health)  # a bundle read meanwhile is as good

    def analyse_for_display(self, run: RunSummary, backend: AnalysisBackend) -> Health:
        """Analyse ``run`` with ``backend`` to show its health, writing nothing to the run;
        the result is kept per (run id, end time). Never raises."""
        key = (run.run_id, run.end_time)
        with self._lock:
            done = self._computed.get(key)
        if done is not None:
            return done
        details = self._read(run.run_id)  # not kept: the bundles kept are the ones opened
        if details.bundle is None or details.analysis is not None:
            found = details_health(details)
            with self._lock:
                self._health[run.run_id] = found
            return found
        try:
            result = backend.analyze(details.bundle)
        except Exception as error:  # the engine's or the artifacts': the badge's tooltip says
            message = getattr(error, "message", None) or str(error)
            health = Health("error", note=f"The analysis failed: {type(error).__name__}: {message}")
        else:
            health = Health("computed", result.counts_by_severity())
        with self._lock:
            self._computed[key] = health
        return health

    def remember(self, result: AnalysisResult, source: str) -> None:
        """Record a new analysis of ``result.run_id`` (made with backend ``source``)."""
        with self._lock:
            self._analyses[result.run_id] = (result, source)
            self._health[result.run_id] = Health("logged", result.counts_by_severity())
            cached = self._bundles.get(result.run_id)
            if cached is not None:
                self._bundles[result.run_id] = with_analysis(cached, result, source)

    def save(self, result: AnalysisResult) -> str | None:
        """Write ``result`` to its run's ``deepfix/analysis.json``; the reason when it failed."""
        from deepfix_notebook.artifacts import save_analysis

        try:
            save_analysis(result, tracking_uri=self.tracking_uri)
        except ArtifactError as error:
            return error.message
        except OSError as error:
            return f"{type(error).__name__}: {error}"
        return None

    def _read_logged(self, run_id: str) -> Health:
        from deepfix_notebook.artifacts import load_mlflow_analysis

        try:
            result = load_mlflow_analysis(run_id, self.tracking_uri)
        except ArtifactError as error:
            if error.code is ErrorCode.ARTIFACT_NOT_FOUND:
                return Health("no-artifacts", note=error.message)
            if error.code is ErrorCode.ARTIFACT_INVALID:  # the analysis file alone was read
                return Health("none", note=error.message)
            return Health("error", note=error.message)
        if result is None:
            return Health("none")
        return Health("logged", result.counts_by_severity())

    def _read(self, run_id: str) -> RunDetails:
        from deepfix_notebook.artifacts import load_mlflow_run

        try:
            bundle = load_mlflow_run(run_id, self.tracking_uri)
        except ArtifactError as error:
            return RunDetails(run_id, None, error.message, None, None, error_code=error.code)
        analysis, notes = _logged_analysis(bundle)
        return RunDetails(
            run_id, bundle, None, analysis, "logged" if analysis else None, tuple(notes)
        )


def _logged_analysis(bundle: ArtifactBundle) -> tuple[AnalysisResult | None, list[str]]:
    from pydantic import ValidationError

    if bundle.previous_analysis is None:
        return None, []
    try:
        return AnalysisResult.model_validate(bundle.previous_analysis), []
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return None, [
            f"deepfix/analysis.json is not a valid analysis ({where}: {first['msg']}); "
            "analyse the run again to replace it."
        ]


def details_health(details: RunDetails) -> Health:
    """The health shown for a run read in full."""
    if details.analysis is not None:
        return Health("logged", details.analysis.counts_by_severity())
    if details.bundle is not None:
        return Health("none", note=details.notes[0] if details.notes else None)
    no_artifacts = details.error_code is ErrorCode.ARTIFACT_NOT_FOUND
    return Health("no-artifacts" if no_artifacts else "error", note=details.error)


def _expires(key: DisplayKey, value: Health, now: float) -> float:
    """A finished run's computed health lasts (its end time is in the key); a running one's
    expires after `RUNNING_TTL_S`."""
    return math.inf if key[1] is not None else now + RUNNING_TTL_S


def with_analysis(details: RunDetails, result: AnalysisResult, source: str | None) -> RunDetails:
    return replace(details, analysis=result, analysis_source=source)
