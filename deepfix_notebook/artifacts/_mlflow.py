"""MLflow: reading a run's artifacts (or metric history), writing artifacts back.

With `_mlflow_store` (clients), `_mlflow_runs` (finding runs) and `_mlflow_reading` (errors of
artifact reads), the only modules that import mlflow, and only inside functions: the import
costs about a second.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np
from pydantic import ValidationError

from deepfix_notebook.artifacts import _layout as layout
from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._directory import read_root
from deepfix_notebook.artifacts._errors import ArtifactError, invalid, too_many_rows
from deepfix_notebook.artifacts._mlflow_reading import check_location, check_size, reading
from deepfix_notebook.artifacts._mlflow_runs import RunSummary as RunSummary
from deepfix_notebook.artifacts._mlflow_runs import find_run as find_run
from deepfix_notebook.artifacts._mlflow_runs import find_runs as find_runs
from deepfix_notebook.artifacts._mlflow_runs import list_runs as list_runs
from deepfix_notebook.artifacts._mlflow_runs import run_by_name as run_by_name
from deepfix_notebook.artifacts._mlflow_store import artifacts_beside, get_run, sqlite_path
from deepfix_notebook.artifacts._mlflow_store import tracking_client as tracking_client
from deepfix_notebook.artifacts._names import is_ignored
from deepfix_notebook.artifacts._rows import long_to_table
from deepfix_notebook.artifacts._store import (
    default_artifact_root,
    default_tracking_uri,
    resolve_tracking_uri,
)
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.artifacts._yaml import load_json
from deepfix_notebook.contract import AnalysisResult, ErrorCode

if TYPE_CHECKING:
    from mlflow import MlflowClient

DEFAULT_EXPERIMENT = "deepfix"  # MLflow's own "Default" keeps artifacts in ./mlruns
MAX_ARTIFACT_FILES = 2000  # a DeepFix layout has a handful; more means a wrong root
MAX_ARTIFACT_DEPTH = 8  # folders below a layout folder that are still listed


def load_mlflow_run(
    run_id: str,
    tracking_uri: str | None = None,
    *,
    connected: str | None = None,
    artifact_guard: Callable[[str], None] | None = None,
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> ArtifactBundle:
    """Download a run's artifacts into a temporary directory (always removed) and read them.

    With no ``metrics.csv`` the run's MLflow metric history is used; with no ``params.yaml``, its
    MLflow params. Without ``tracking_uri`` the run is looked for in every candidate store
    (`candidate_stores`; ``connected`` is `connect`'s), and a warning says where it was found
    when that was not the first. ``artifact_guard`` is given the run's artifact location before
    anything is read from it, and raises `ArtifactError` to refuse it (a server's allowlist).
    Layout files larger than ``max_bytes`` together are ``PAYLOAD_TOO_LARGE``, refused from the
    listing's sizes before any download when MLflow gives them. Metrics of more than
    ``max_rows`` steps are ``ARTIFACT_INVALID``, refused while they are read.
    """
    client, run, uri, found_elsewhere = find_run(run_id, tracking_uri, connected=connected)
    if artifact_guard is not None:
        check_location(run.info.artifact_uri)  # unreadable in any case: say that first
        artifact_guard(run.info.artifact_uri)
    with tempfile.TemporaryDirectory(prefix="deepfix-run-") as tmp:
        root = Path(tmp)
        source = _RunArtifacts(run.info.artifact_uri, uri)
        files = _download_layout(source, run_id, root, uri, max_bytes=max_bytes)
        bundle = ArtifactBundle(
            source=f"runs:/{run_id}",
            run_id=run_id,
            run_name=getattr(run.info, "run_name", None) or None,
            tracking_uri=uri,
            files=files,
        )
        bundle.warnings.extend(found_elsewhere)
        has_history = any(not is_ignored(key) for key in run.data.metrics)
        if not files and not has_history:
            raise ArtifactError(
                ErrorCode.ARTIFACT_NOT_FOUND,
                f"Run {run_id} has no DeepFix artifacts and no logged metrics; log "
                f"{layout.METRICS} (or metrics with mlflow.log_metric) during training.",
                details={"run_id": run_id, "tracking_uri": uri},
            )

        def history() -> tuple[MetricsTable, list[str]] | None:
            if not has_history:
                return None
            return _metric_history(client, run_id, list(run.data.metrics), max_rows)

        read_root(root, bundle, history=history, mlflow_params=run.data.params, max_rows=max_rows)
    return bundle


def load_mlflow_analysis(
    run_id: str, tracking_uri: str | None = None, *, connected: str | None = None
) -> AnalysisResult | None:
    """The analysis logged with a run (``deepfix/analysis.json``), downloading that file alone.

    None when the run logged none. Raises `ArtifactError`: ``ARTIFACT_INVALID`` when the file is
    not a valid analysis, ``ARTIFACT_NOT_FOUND`` when the run has no DeepFix artifacts and no
    logged metrics (nothing `load_mlflow_run` could read either), ``RUN_NOT_FOUND`` and
    ``MLFLOW_CONNECTION_ERROR`` as `load_mlflow_run` does.
    """
    _, run, uri, _ = find_run(run_id, tracking_uri, connected=connected)
    source = _RunArtifacts(run.info.artifact_uri, uri)
    folder = layout.ANALYSIS.rpartition("/")[0]
    with reading(layout.ANALYSIS, uri):
        top = {entry.path: entry.is_dir for entry in source.list_artifacts(run_id)}
        if not any(not is_ignored(key) for key in run.data.metrics) and not any(
            (is_dir and path in layout.KNOWN_DIRS) or (not is_dir and path in layout.KNOWN_FILES)
            for path, is_dir in top.items()
        ):
            raise _nothing_to_read(run_id, uri)
        if not top.get(folder) or not any(
            entry.path == layout.ANALYSIS and not entry.is_dir
            for entry in source.list_artifacts(run_id, folder)
        ):
            return None
        with tempfile.TemporaryDirectory(prefix="deepfix-run-") as tmp:
            local = source.download_artifacts(run_id, layout.ANALYSIS, tmp)
            document = load_json(Path(local), file=layout.ANALYSIS)
    return _analysis(document)


def _analysis(document: Any) -> AnalysisResult:
    try:
        return AnalysisResult.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or None
        raise invalid(
            f"{layout.ANALYSIS} is not a valid analysis ({where or 'top level'}: {first['msg']}); "
            "analyse the run again to replace it.",
            file=layout.ANALYSIS,
            field=where,
        ) from None


def _nothing_to_read(run_id: str, uri: str) -> ArtifactError:
    return ArtifactError(
        ErrorCode.ARTIFACT_NOT_FOUND,
        f"Run {run_id} has no DeepFix artifacts and no logged metrics; log "
        f"{layout.METRICS} (or metrics with mlflow.log_metric) during training.",
        details={"run_id": run_id, "tracking_uri": uri},
    )


def log_artifacts(
    directory: str | Path,
    *,
    run_id: str | None = None,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    run_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    summary_metrics: Mapping[str, tuple[float, int]] | None = None,
    status: str | None = None,
) -> str:
    """Upload a run directory's layout to an MLflow run (a new one when ``run_id`` is None).

    ``params`` are also logged as MLflow params and ``summary_metrics`` (name -> (value, step))
    as MLflow metrics, so the MLflow UI and run listings show them. ``status`` (``FINISHED``,
    ``FAILED``, ``KILLED``) ends the run. Returns the run id.
    """
    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri, create=True)
    if run_id is None:
        experiment_id = ensure_experiment(client, experiment or DEFAULT_EXPERIMENT, uri)
        run = client.create_run(experiment_id, run_name=run_name)
        run_id = run.info.run_id
    else:
        get_run(client, run_id, uri)
    from mlflow.entities import Metric, Param

    param_list = [Param(str(k)[:250], str(v)[:6000]) for k, v in (params or {}).items()]
    metric_list = [
        Metric(name, float(value), 0, int(step))
        for name, (value, step) in (summary_metrics or {}).items()
        if np.isfinite(value)
    ]
    if param_list or metric_list:
        client.log_batch(run_id, metrics=metric_list, params=param_list)
    client.log_artifacts(run_id, str(directory))
    if status is not None:
        client.set_terminated(run_id, status=status)
    return run_id


@contextmanager
def active_run(
    tracking_uri: str | None = None,
    *,
    experiment: str | None = None,
    run_name: str | None = None,
) -> Iterator[str]:
    """A new run made MLflow's active run (fluent API) for the block; yields its id.

    Code inside can call ``mlflow.log_metric`` / ``log_param`` without starting a run. The run
    ends ``FINISHED``, or ``FAILED`` when the block raises; MLflow's tracking URI is restored.
    """
    import mlflow
    from mlflow.tracking._tracking_service import utils

    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri, create=True)
    experiment_id = ensure_experiment(client, experiment or DEFAULT_EXPERIMENT, uri)
    # set_tracking_uri also sets MLFLOW_TRACKING_URI: restore both as they were, unset included
    # (an empty URI left behind would read as a configured store).
    previous_uri, previous_env = utils._tracking_uri, os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    run = mlflow.start_run(experiment_id=experiment_id, run_name=run_name)
    status = "FAILED"
    try:
        yield run.info.run_id
        status = "FINISHED"
    finally:
        mlflow.end_run(status)
        mlflow.set_tracking_uri(previous_uri)  # type: ignore[arg-type]  # None unsets, as in MLflow
        if previous_env is not None:
            os.environ["MLFLOW_TRACKING_URI"] = previous_env


def log_text(run_id: str, text: str, artifact_file: str, tracking_uri: str | None = None) -> None:
    """Write one text artifact (e.g. ``deepfix/analysis.json``) to a run."""
    client, _, _, _ = find_run(run_id, tracking_uri)
    client.log_text(run_id, text, artifact_file)


def ensure_experiment(client: MlflowClient, name: str, uri: str) -> str:
    """The id of experiment ``name``, created if needed.

    In a SQLite store its artifacts go beside the database (``$DEEPFIX_HOME/artifacts`` for the
    local store), not into ``./mlruns`` of whatever directory the process runs in.
    """
    found = client.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = None
    folder = name.replace("/", "_")
    if uri == default_tracking_uri():
        location = (default_artifact_root() / folder).as_uri()
    elif urlparse(uri).scheme == "sqlite":
        location = (artifacts_beside(sqlite_path(uri)) / folder).as_uri()
    return str(client.create_experiment(name, artifact_location=location))


class _ArtifactSource(Protocol):
    """What `_download_layout` needs: an ``MlflowClient``, or `_RunArtifacts`."""

    def list_artifacts(self, run_id: str, path: str | None = None, /) -> list[Any]: ...

    def download_artifacts(self, run_id: str, path: str, dst_path: str, /) -> str: ...


class _RunArtifacts:
    """One run's artifact repository, resolved once from its ``artifact_uri``.

    ``MlflowClient.list_artifacts`` and ``download_artifacts`` resolve ``runs:/`` on every call:
    two ``get_run`` and a logged-model search each: about 30 requests to load a run from a
    tracking server instead of 9. The layout holds no model artifacts, so nothing is missed.
    """

    def __init__(self, artifact_uri: str, tracking_uri: str) -> None:
        self._uri = artifact_uri
        self._tracking_uri = tracking_uri
        self._repos: dict[str, Any] = {}

    def list_artifacts(self, run_id: str, path: str | None = None, /) -> list[Any]:
        return list(self._repo("").list_artifacts(path))

    def download_artifacts(self, run_id: str, path: str, dst_path: str, /) -> str:
        """Into ``<dst_path>/<basename>``, as ``MlflowClient.download_artifacts`` does.

        ``path`` is a file of a listing: the repository's ``_download_file`` fetches it without
        the listing ``download_artifacts`` sends first to tell files from folders.
        """
        folder, _, name = path.rpartition("/")
        repo = self._repo(folder)
        fetch = getattr(repo, "_download_file", None)
        if fetch is None:  # not an ArtifactRepository of MLflow 3's shape
            return str(repo.download_artifacts(name, dst_path))
        local = Path(dst_path) / name
        fetch(name, str(local))
        return str(local)

    def _repo(self, folder: str) -> Any:
        if folder not in self._repos:
            check_location(self._uri)
            from mlflow.store.artifact.artifact_repository_registry import (
                get_artifact_repository,
            )
            from mlflow.utils.uri import append_to_uri_path

            uri = self._uri
            if folder:  # append_to_uri_path is untyped in some mlflow releases
                uri = append_to_uri_path(uri, folder)  # type: ignore[no-untyped-call,unused-ignore]
            self._repos[folder] = get_artifact_repository(uri, tracking_uri=self._tracking_uri)
        return self._repos[folder]


def _walk(
    client: _ArtifactSource,
    run_id: str,
    path: str | None,
    budget: list[int],
    uri: str,
    depth: int = 0,
) -> Iterator[Any]:
    with reading(path or "", uri):
        entries = client.list_artifacts(run_id, path)
    for entry in entries:
        budget[0] -= 1
        if budget[0] < 0:
            return
        if entry.is_dir:
            # Layout files are one level down; a deep (or cyclic) listing must not recurse forever.
            if depth < MAX_ARTIFACT_DEPTH:
                yield from _walk(client, run_id, entry.path, budget, uri, depth + 1)
        else:
            yield entry


def _download_layout(
    client: _ArtifactSource, run_id: str, root: Path, uri: str, *, max_bytes: int | None = None
) -> tuple[str, ...]:
    """Fetch the files of the layout, and no others, refusing any path that leaves ``root``.

    A file MLflow refuses to serve (a link out of the run's artifacts, a pipe) is
    ``ARTIFACT_INVALID`` naming it; an MLflow that does not answer, ``MLFLOW_CONNECTION_ERROR``;
    files larger than ``max_bytes`` together, ``PAYLOAD_TOO_LARGE``.
    """
    entries: list[Any] = []
    budget = [MAX_ARTIFACT_FILES]
    with reading("", uri):
        top = client.list_artifacts(run_id)
    for entry in top:
        if entry.is_dir and entry.path in layout.KNOWN_DIRS:
            entries.extend(_walk(client, run_id, entry.path, budget, uri))
        elif entry.path in layout.KNOWN_FILES:
            entries.append(entry)
    wanted = {
        e.path: getattr(e, "file_size", None) for e in entries if e.path in layout.KNOWN_FILES
    }
    if max_bytes is not None:
        check_size({path: size for path, size in wanted.items() if size is not None}, max_bytes)
    for path in wanted:
        relative = layout.safe_relative(path, file=path)
        target = layout.inside(root, relative, file=path)
        # MLflow puts a single downloaded file at <dst>/<basename>: download into its folder.
        target.parent.mkdir(parents=True, exist_ok=True)
        with reading(path, uri):
            local = Path(client.download_artifacts(run_id, path, str(target.parent))).resolve()
        if local != target:
            raise invalid(f"{path} was not downloaded where expected.", file=path)
    files = tuple(name for name in layout.KNOWN_FILES if (root / name).is_file())
    if max_bytes is not None:  # sizes the listing did not give
        check_size({name: (root / name).stat().st_size for name in files}, max_bytes)
    return files


def _metric_history(
    client: MlflowClient, run_id: str, keys: list[str], max_rows: int | None = None
) -> tuple[MetricsTable, list[str]]:
    key_ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    steps: list[np.ndarray] = []
    keys = [key for key in keys if not is_ignored(key)]  # MLflow's system metrics
    for key_id, key in enumerate(keys):
        history = client.get_metric_history(run_id, key)
        if max_rows is not None and len(history) > max_rows:  # more steps than that, surely
            raise too_many_rows(max_rows, file="MLflow metric history", read=len(history))
        key_ids.append(np.full(len(history), key_id, dtype=np.int32))
        values.append(np.array([m.value for m in history], dtype=np.float64))
        steps.append(np.array([m.step for m in history], dtype=np.float64))
    table, warnings = long_to_table(
        np.concatenate(key_ids),
        keys,
        np.concatenate(values),
        np.concatenate(steps),
        format="history",
        file="MLflow metric history",
    )
    used = f"No {layout.METRICS} in the run; its MLflow metric history was used."
    return table, [used, *warnings]
