"""`RunStore`: one MLflow store's runs as the report reads them, cached for every session.

The run list is one ``search_runs`` call, kept for `LIST_TTL_S`; a run's artifacts are read on
demand (the overview reads only the runs on the page it shows). Full bundles are kept for the few
most recent runs only (`MAX_BUNDLES`), their analyses and health counts for every run seen.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, resolve_tracking_uri
from deepfix_notebook.contract import AnalysisResult

if TYPE_CHECKING:
    from deepfix_notebook.artifacts._mlflow import RunSummary

MAX_RUNS = 1000  # runs listed; a store with more shows the newest ones and says so
LIST_TTL_S = 30.0
MAX_BUNDLES = 16
READ_THREADS = 4


@dataclass(frozen=True)
class RunDetails:
    """A run's artifacts (or why they cannot be read) and its newest analysis."""

    run_id: str
    bundle: ArtifactBundle | None
    error: str | None
    analysis: AnalysisResult | None
    analysis_source: str | None  # "logged" (deepfix/analysis.json) or the backend's name
    notes: tuple[str, ...] = ()

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
        return details

    def counts(self, run_ids: Iterable[str]) -> dict[str, dict[str, int] | None]:
        """Health counts of ``run_ids``, reading the runs not seen yet (a few at a time)."""
        ids = list(dict.fromkeys(run_ids))
        with self._lock:
            unseen = [rid for rid in ids if rid not in self._analyses]
        if unseen:
            with ThreadPoolExecutor(READ_THREADS, thread_name_prefix="deepfix-report") as pool:
                list(pool.map(self.details, unseen))
        with self._lock:
            found = {rid: self._analyses.get(rid, (None, None))[0] for rid in ids}
        return {rid: None if r is None else r.counts_by_severity() for rid, r in found.items()}

    def known_counts(self, run_ids: Iterable[str]) -> dict[str, dict[str, int] | None]:
        """Health counts of the runs among ``run_ids`` read so far (None: read, not analysed)."""
        with self._lock:
            known = {rid: self._analyses[rid][0] for rid in run_ids if rid in self._analyses}
        return {rid: None if r is None else r.counts_by_severity() for rid, r in known.items()}

    def remember(self, result: AnalysisResult, source: str) -> None:
        """Record a new analysis of ``result.run_id`` (made with backend ``source``)."""
        with self._lock:
            self._analyses[result.run_id] = (result, source)
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

    def _read(self, run_id: str) -> RunDetails:
        from deepfix_notebook.artifacts import load_mlflow_run

        try:
            bundle = load_mlflow_run(run_id, self.tracking_uri)
        except ArtifactError as error:
            return RunDetails(run_id, None, error.message, None, None)
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


def with_analysis(details: RunDetails, result: AnalysisResult, source: str | None) -> RunDetails:
    return RunDetails(details.run_id, details.bundle, details.error, result, source, details.notes)
