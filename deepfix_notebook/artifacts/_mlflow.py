"""MLflow: reading a run's artifacts (or metric history), writing artifacts back.

The only module that imports mlflow, and only inside functions: the import costs about a second.
"""

from __future__ import annotations

import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import numpy as np
from cachetools import TTLCache
from pydantic import ValidationError

from deepfix_notebook.artifacts import _layout as layout
from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._directory import read_root
from deepfix_notebook.artifacts._errors import ArtifactError, invalid
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

CONNECT_TIMEOUT_S = float(os.environ.get("DEEPFIX_MLFLOW_TIMEOUT", "5"))
DEFAULT_EXPERIMENT = "deepfix"  # MLflow's own "Default" keeps artifacts in ./mlruns
PING_TTL_S = 5.0
MAX_ARTIFACT_FILES = 2000  # a DeepFix layout has a handful; more means a wrong root
MAX_ARTIFACT_DEPTH = 8  # folders below a layout folder that are still listed
# MLflow retries HTTP errors 7 times with exponential backoff by default: minutes of waiting for a
# server that is down. Bound them unless the user chose their own values.
_MLFLOW_HTTP_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "30",
    # A run's layout is a few small files: a progress bar per download is noise in a notebook
    # cell and in JSON logs alike.
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


def tracking_client(tracking_uri: str | None = None, *, create: bool = False) -> MlflowClient:
    """An ``MlflowClient`` for a store that is known to be reachable.

    ``create`` allows creating the local default store on first use.
    """
    uri = resolve_tracking_uri(tracking_uri)
    for key, value in _MLFLOW_HTTP_DEFAULTS.items():
        os.environ.setdefault(key, value)
    _check_reachable(uri, create=create)
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def load_mlflow_run(run_id: str, tracking_uri: str | None = None) -> ArtifactBundle:
    """Download a run's artifacts into a temporary directory (always removed) and read them.

    With no ``metrics.csv`` the run's MLflow metric history is used; with no ``params.yaml``, its
    MLflow params.
    """
    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri)
    run = _get_run(client, run_id, uri)
    with tempfile.TemporaryDirectory(prefix="deepfix-run-") as tmp:
        root = Path(tmp)
        files = _download_layout(_RunArtifacts(run.info.artifact_uri, uri), run_id, root, uri)
        bundle = ArtifactBundle(
            source=f"runs:/{run_id}", run_id=run_id, tracking_uri=uri, files=files
        )
        has_history = bool(run.data.metrics)
        if not files and not has_history:
            raise ArtifactError(
                ErrorCode.ARTIFACT_NOT_FOUND,
                f"Run {run_id} has no DeepFix artifacts and no logged metrics; log "
                f"{layout.METRICS} (or metrics with mlflow.log_metric) during training.",
                details={"run_id": run_id, "tracking_uri": uri},
            )

        def history() -> tuple[MetricsTable, list[str]] | None:
            return _metric_history(client, run_id, list(run.data.metrics)) if has_history else None

        read_root(root, bundle, history=history, mlflow_params=run.data.params)
    return bundle


def load_mlflow_analysis(run_id: str, tracking_uri: str | None = None) -> AnalysisResult | None:
    """The analysis logged with a run (``deepfix/analysis.json``), downloading that file alone.

    None when the run logged none. Raises `ArtifactError`: ``ARTIFACT_INVALID`` when the file is
    not a valid analysis, ``ARTIFACT_NOT_FOUND`` when the run has no DeepFix artifacts and no
    logged metrics (nothing `load_mlflow_run` could read either), ``RUN_NOT_FOUND`` and
    ``MLFLOW_CONNECTION_ERROR`` as `load_mlflow_run` does.
    """
    from mlflow.exceptions import MlflowException

    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri)
    run = _get_run(client, run_id, uri)
    source = _RunArtifacts(run.info.artifact_uri, uri)
    folder = layout.ANALYSIS.rpartition("/")[0]
    try:
        top = {entry.path: entry.is_dir for entry in source.list_artifacts(run_id)}
        if not run.data.metrics and not any(
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
    except MlflowException as exc:
        raise _connection_error(uri, exc.message) from exc
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


@dataclass(frozen=True)
class RunSummary:
    """One MLflow run as a listing shows it."""

    run_id: str
    run_name: str
    experiment: str
    status: str
    start_time: datetime | None
    metrics: dict[str, float]
    params: dict[str, str]
    end_time: datetime | None = None  # None while the run is still going


def list_runs(
    tracking_uri: str | None = None, *, experiment: str | None = None, limit: int = 50
) -> list[RunSummary]:
    """The newest runs of ``experiment`` (all experiments when None), newest first."""
    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri, create=uri == default_tracking_uri())
    from mlflow.entities import ViewType

    experiments = {e.experiment_id: e.name for e in client.search_experiments(ViewType.ACTIVE_ONLY)}
    if experiment is not None:
        ids = [i for i, name in experiments.items() if name == experiment]
        if not ids:
            known = ", ".join(sorted(experiments.values())) or "none"
            raise ArtifactError(
                ErrorCode.RUN_NOT_FOUND,
                f"No experiment named {experiment!r} in {uri} (experiments: {known}).",
                details={"experiment": experiment, "tracking_uri": uri},
            )
    else:
        ids = list(experiments)
    if not ids:
        return []
    runs = client.search_runs(ids, max_results=limit, order_by=["attributes.start_time DESC"])
    return [
        RunSummary(
            run_id=run.info.run_id,
            run_name=run.info.run_name or run.info.run_id[:8],
            experiment=experiments.get(run.info.experiment_id, run.info.experiment_id),
            status=run.info.status,
            start_time=(
                datetime.fromtimestamp(run.info.start_time / 1000, tz=UTC)
                if run.info.start_time
                else None
            ),
            metrics=dict(run.data.metrics),
            params=dict(run.data.params),
            end_time=(
                datetime.fromtimestamp(run.info.end_time / 1000, tz=UTC)
                if run.info.end_time
                else None
            ),
        )
        for run in runs
    ]


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
        _get_run(client, run_id, uri)
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

    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri, create=True)
    experiment_id = ensure_experiment(client, experiment or DEFAULT_EXPERIMENT, uri)
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    run = mlflow.start_run(experiment_id=experiment_id, run_name=run_name)
    status = "FAILED"
    try:
        yield run.info.run_id
        status = "FINISHED"
    finally:
        mlflow.end_run(status)
        mlflow.set_tracking_uri(previous or "")


def log_text(run_id: str, text: str, artifact_file: str, tracking_uri: str | None = None) -> None:
    """Write one text artifact (e.g. ``deepfix/analysis.json``) to a run."""
    uri = resolve_tracking_uri(tracking_uri)
    client = tracking_client(uri)
    _get_run(client, run_id, uri)
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
        location = (_sqlite_path(uri).resolve().parent / "artifacts" / folder).as_uri()
    return str(client.create_experiment(name, artifact_location=location))


def _check_reachable(uri: str, *, create: bool) -> None:
    parsed = urlparse(uri)
    if parsed.scheme in {"http", "https"}:
        _ping(uri)
    elif parsed.scheme == "sqlite":
        _sqlite_store(uri, create=create or uri == default_tracking_uri())
    elif parsed.scheme in {"file", ""}:
        path = Path(parsed.path if parsed.scheme else uri)
        if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() not in {"1", "true"}:
            raise _file_store_error(uri, path)
        if not create and not path.is_dir():
            raise _connection_error(uri, f"there is no MLflow file store at {str(path)!r}")


# A server that answered is not asked again for a few seconds: a busy DeepFix server loads runs
# back to back, and each ping is a request for the tracking server too.
_ANSWERED: TTLCache[str, bool] = TTLCache(maxsize=64, ttl=PING_TTL_S)
_ANSWERED_LOCK = threading.Lock()


def _ping(uri: str) -> None:
    """Fail fast, with a clear message, when nothing answers at ``uri``."""
    with _ANSWERED_LOCK:
        if uri in _ANSWERED:
            return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=CONNECT_TIMEOUT_S):
            pass
        with _ANSWERED_LOCK:
            _ANSWERED[uri] = True
        return
    except urllib.error.HTTPError:
        return  # something answered: MLflow's own calls will say what is wrong
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _connection_error(uri, str(reason)) from exc


def _sqlite_path(uri: str) -> Path:
    return Path(urlparse(uri).path if uri.startswith("sqlite:////") else uri[len("sqlite:///") :])


def _sqlite_store(uri: str, *, create: bool) -> None:
    path = _sqlite_path(uri)
    if path.exists():
        return
    if not create:
        raise _connection_error(uri, f"there is no MLflow database at {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if uri == default_tracking_uri():
        # Create the store ourselves so its default experiment keeps artifacts under
        # $DEEPFIX_HOME instead of ./mlruns of whatever directory the user is in.
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        default_artifact_root().mkdir(parents=True, exist_ok=True)
        SqlAlchemyStore(uri, default_artifact_root().as_uri())  # type: ignore[no-untyped-call]


def _file_store_error(uri: str, path: Path) -> ArtifactError:
    database = path.expanduser().resolve() / "mlflow.db"
    return ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"{uri!r} names a folder: MLflow's file store is in maintenance mode and refused by "
        f"default. Use a database store such as sqlite:///{database} (migrate an mlruns folder "
        "with `mlflow migrate-filestore`), or set MLFLOW_ALLOW_FILE_STORE=true.",
        details={"tracking_uri": uri, "suggestion": f"sqlite:///{database}"},
    )


def _connection_error(uri: str, reason: str) -> ArtifactError:
    return ArtifactError(
        ErrorCode.MLFLOW_CONNECTION_ERROR,
        f"Cannot reach the MLflow tracking store at {uri} ({reason}); start it, or pass the "
        "right --tracking-uri / MLFLOW_TRACKING_URI.",
        details={
            "tracking_uri": uri,
            "timeout": CONNECT_TIMEOUT_S,
            "suggestion": "Check that the MLflow server is running and reachable.",
        },
    )


def _get_run(client: MlflowClient, run_id: str, uri: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_run(run_id)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
            raise ArtifactError(
                ErrorCode.RUN_NOT_FOUND,
                f"No run {run_id!r} in the tracking store {uri}; check the run id "
                "(`deepfix` lists runs with `mlflow runs list`, or see the MLflow UI).",
                details={"run_id": run_id, "tracking_uri": uri},
            ) from exc
        raise _connection_error(uri, exc.message) from exc
    except OSError as exc:
        raise _connection_error(uri, str(exc)) from exc


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
    client: _ArtifactSource, run_id: str, path: str | None, budget: list[int], depth: int = 0
) -> Iterator[str]:
    for entry in client.list_artifacts(run_id, path):
        budget[0] -= 1
        if budget[0] < 0:
            return
        if entry.is_dir:
            # Layout files are one level down; a deep (or cyclic) listing must not recurse forever.
            if depth < MAX_ARTIFACT_DEPTH:
                yield from _walk(client, run_id, entry.path, budget, depth + 1)
        else:
            yield entry.path


def _download_layout(client: _ArtifactSource, run_id: str, root: Path, uri: str) -> tuple[str, ...]:
    """Fetch the files of the layout, and no others, refusing any path that leaves ``root``."""
    from mlflow.exceptions import MlflowException

    wanted: list[str] = []
    budget = [MAX_ARTIFACT_FILES]
    try:
        for entry in client.list_artifacts(run_id):
            if entry.is_dir and entry.path in layout.KNOWN_DIRS:
                wanted.extend(_walk(client, run_id, entry.path, budget))
            elif entry.path in layout.KNOWN_FILES:
                wanted.append(entry.path)
        for path in wanted:
            if path not in layout.KNOWN_FILES:
                continue
            relative = layout.safe_relative(path, file=path)
            target = layout.inside(root, relative, file=path)
            # MLflow puts a single downloaded file at <dst>/<basename>: download into its folder.
            target.parent.mkdir(parents=True, exist_ok=True)
            local = Path(client.download_artifacts(run_id, path, str(target.parent))).resolve()
            if local != target:
                raise invalid(f"{path} was not downloaded where expected.", file=path)
    except MlflowException as exc:
        raise _connection_error(uri, exc.message) from exc
    return tuple(name for name in layout.KNOWN_FILES if (root / name).is_file())


def _metric_history(
    client: MlflowClient, run_id: str, keys: list[str]
) -> tuple[MetricsTable, list[str]]:
    key_ids: list[np.ndarray] = []
    values: list[np.ndarray] = []
    steps: list[np.ndarray] = []
    for key_id, key in enumerate(keys):
        history = client.get_metric_history(run_id, key)
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
