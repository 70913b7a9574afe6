"""An experiment's runs read at sweep scale: paged listing, metric histories in bulk, logged
analyses read and written without a download per run.

Imports mlflow inside functions only, like the other ``_mlflow*`` modules.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np

from deepfix_notebook.artifacts import _layout as layout
from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._directory import read_root
from deepfix_notebook.artifacts._errors import ArtifactError, invalid
from deepfix_notebook.artifacts._mlflow_store import quiet_mlflow, store_error, tracking_client
from deepfix_notebook.artifacts._names import is_ignored
from deepfix_notebook.artifacts._rows import long_to_table
from deepfix_notebook.artifacts._store import LOCAL, candidate_stores
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.contract import ErrorCode

if TYPE_CHECKING:
    from mlflow import MlflowClient

PAGE_SIZE = 1000  # search_runs' largest page in a SQL store
IN_CHUNK = 500  # run ids per SQL ``IN (...)``: well under SQLite's variable limit
IO_THREADS = 8  # runs read at once from a remote store
BULK_ROUTE = "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
BULK_RUNS = 100  # the route's limits (mlflow.server.handlers)
BULK_POINTS = 25_000
History = tuple[MetricsTable, list[str]]
_USED = f"No {layout.METRICS} in the run; its MLflow metric history was used."


@dataclass(frozen=True, slots=True)
class ExperimentRun:
    """One run of a swept experiment as its listing gives it."""

    run_id: str
    run_name: str
    status: str
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # last value of each
    last_metric_ms: int | None = None  # when its newest metric value was logged

    @property
    def local_root(self) -> Path | None:
        """The artifact directory when it is on this machine, else None."""
        parts = urlparse(self.artifact_uri)
        if parts.scheme == "file":
            return Path(url2pathname(parts.path))
        if not parts.scheme or (len(parts.scheme) == 1 and os.name == "nt"):
            return Path(self.artifact_uri)
        return None


def experiment_runs(
    experiment: str,
    tracking_uri: str | None = None,
    *,
    filter_string: str = "",
    max_runs: int | None = None,
    connected: str | None = None,
) -> tuple[str, list[ExperimentRun]]:
    """The runs of ``experiment`` matching ``filter_string`` (MLflow's search syntax), newest
    first, at most ``max_runs``; and the URI of the store that holds the experiment.

    Looked for in `candidate_stores`; the first store that has the experiment is read. When none
    has it, ``RUN_NOT_FOUND`` lists the experiments each store has. A filter MLflow rejects is a
    ``VALIDATION_ERROR``.
    """
    stores = candidate_stores(tracking_uri, connected=connected)
    seen: dict[str, list[str]] = {}
    for store in stores:
        if len(stores) > 1 and not store.exists():
            continue
        if store.origin == LOCAL and not store.exists():
            continue
        try:
            client = tracking_client(store.uri)
            found = _experiment_id(client, experiment, store.uri)
        except ArtifactError:
            if len(stores) == 1:
                raise
            continue
        if isinstance(found, str):
            sql = getattr(getattr(client, "_tracking_client", None), "store", None)
            if not filter_string.strip() and hasattr(sql, "ManagedSessionMaker"):
                return store.uri, _sql_runs(sql, found, max_runs)
            return store.uri, _search(client, store.uri, found, filter_string, max_runs)
        seen[store.uri] = found
    listed = "; ".join(f"{uri}: {', '.join(names) or 'none'}" for uri, names in seen.items())
    raise ArtifactError(
        ErrorCode.RUN_NOT_FOUND,
        f"No experiment named {experiment!r}. Experiments there are: "
        f"{listed or 'no readable store'}. Name another store with --tracking-uri URI.",
        field="experiment",
        details={"experiment": experiment, "experiments": seen},
    )


def _experiment_id(client: MlflowClient, name: str, uri: str) -> str | list[str]:
    """The id of experiment ``name``, or the names of the store's experiments."""
    from mlflow.entities import ViewType
    from mlflow.exceptions import MlflowException

    try:
        experiments = client.search_experiments(ViewType.ACTIVE_ONLY)
    except MlflowException as exc:
        raise store_error(uri, exc) from exc
    for found in experiments:
        if found.name == name:
            return str(found.experiment_id)
    return sorted(e.name for e in experiments)


def _search(
    client: MlflowClient, uri: str, experiment_id: str, query: str, max_runs: int | None
) -> list[ExperimentRun]:
    from mlflow.exceptions import MlflowException

    runs: list[ExperimentRun] = []
    token = None
    while max_runs is None or len(runs) < max_runs:
        size = PAGE_SIZE if max_runs is None else min(PAGE_SIZE, max_runs - len(runs))
        try:
            with quiet_mlflow():
                page = client.search_runs(
                    [experiment_id],
                    query,
                    max_results=size,
                    order_by=["attributes.start_time DESC"],
                    page_token=token,
                )
        except MlflowException as exc:
            if exc.error_code in {"INVALID_PARAMETER_VALUE", "BAD_REQUEST"}:
                raise ArtifactError(
                    ErrorCode.VALIDATION_ERROR,
                    f"The filter {query!r} is not one MLflow can search with: {exc.message} "
                    "Example: --filter \"params.learning_rate > '0.01'\" or "
                    '--filter "metrics.val_loss < 1".',
                    field="filter",
                    details={"provided": query},
                ) from exc
            raise store_error(uri, exc) from exc
        runs.extend(_run(run) for run in page)
        token = page.token
        if not token:
            break
    return runs


def _sql_runs(store: Any, experiment_id: str, max_runs: int | None) -> list[ExperimentRun]:
    """The experiment's active runs, newest first, read from MLflow's tables in three queries:
    what ``search_runs`` answers without a filter, in a fifth of its time (its ORM objects
    cost ~0.4 s for 1,000 runs)."""
    from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlParam, SqlRun
    from sqlalchemy import select

    query: Any = (
        select(SqlRun.run_uuid, SqlRun.name, SqlRun.status, SqlRun.artifact_uri)
        .where(SqlRun.experiment_id == int(experiment_id), SqlRun.lifecycle_stage == "active")
        .order_by(SqlRun.start_time.desc(), SqlRun.run_uuid)
    )
    if max_runs is not None:
        query = query.limit(max_runs)
    listed = _fetch(store, query)
    ids = [row[0] for row in listed]
    params: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
    metrics: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
    stamps: dict[str, int] = {}
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for run_id, key, value in _fetch(
            store,
            select(SqlParam.run_uuid, SqlParam.key, SqlParam.value).where(
                SqlParam.run_uuid.in_(chunk)
            ),
        ):
            params[run_id][key] = value
        for run_id, key, value, stamp, nan in _fetch(
            store,
            select(
                SqlLatestMetric.run_uuid,
                SqlLatestMetric.key,
                SqlLatestMetric.value,
                SqlLatestMetric.timestamp,
                SqlLatestMetric.is_nan,
            ).where(SqlLatestMetric.run_uuid.in_(chunk)),
        ):
            if is_ignored(key):
                continue
            metrics[run_id][key] = float("nan") if nan else value
            stamps[run_id] = max(stamps.get(run_id, stamp), stamp)
    return [
        ExperimentRun(
            run_id=run_id,
            run_name=name or run_id[:8],
            status=status,
            artifact_uri=artifact_uri or "",
            params=params[run_id],
            metrics=metrics[run_id],
            last_metric_ms=stamps.get(run_id),
        )
        for run_id, name, status, artifact_uri in listed
    ]


def _run(run: Any) -> ExperimentRun:
    info, data = run.info, run.data
    stamps = [m.timestamp for m in getattr(data, "_metric_objs", ()) if not is_ignored(m.key)]
    return ExperimentRun(
        run_id=info.run_id,
        run_name=info.run_name or info.run_id[:8],
        status=info.status,
        artifact_uri=info.artifact_uri or "",
        params=dict(data.params),
        metrics={k: v for k, v in data.metrics.items() if not is_ignored(k)},
        last_metric_ms=max(stamps) if stamps else None,
    )


def metric_histories(uri: str, runs: Sequence[ExperimentRun]) -> dict[str, History]:
    """Each run's MLflow metric history as a table (runs that logged no metric left out).

    A SQL store is read with one query per few hundred runs through MLflow's own store models;
    any other store, one ``get_metric_history`` per run and metric, a few runs at a time.
    """
    wanted = [run for run in runs if run.metrics]
    if not wanted:
        return {}
    client = tracking_client(uri)
    store = getattr(getattr(client, "_tracking_client", None), "store", None)
    if hasattr(store, "ManagedSessionMaker"):
        return _sql_histories(store, [run.run_id for run in wanted])
    found = (
        _rest_histories(client, store, wanted, uri) if hasattr(store, "get_host_creds") else None
    )
    if found is not None:
        return found
    with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="deepfix-sweep") as pool:
        tables = pool.map(lambda run: (run.run_id, _history(client, run, uri)), wanted)
        return dict(tables)


def _sql_histories(store: Any, run_ids: list[str]) -> dict[str, History]:
    """One query per `IN_CHUNK` runs (see `_fetch`)."""
    from mlflow.store.tracking.dbmodels.models import SqlMetric
    from sqlalchemy import select

    found: dict[str, History] = {}
    for start in range(0, len(run_ids), IN_CHUNK):
        query: Any = (
            select(
                SqlMetric.run_uuid, SqlMetric.key, SqlMetric.value, SqlMetric.step, SqlMetric.is_nan
            )
            .where(SqlMetric.run_uuid.in_(run_ids[start : start + IN_CHUNK]))
            .order_by(SqlMetric.run_uuid, SqlMetric.timestamp, SqlMetric.step)
        )
        found.update(_tables(_fetch(store, query)))
    return found


def _fetch(store: Any, query: Any) -> list[Any]:
    """The rows of ``query`` (a select on MLflow's own table models), through the store's
    DBAPI cursor: SQLAlchemy's result rows cost twice the query itself at sweep sizes
    (300,000 metric rows: 0.85 s against 0.32 s)."""
    compiled = query.compile(store.engine, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    arguments = (
        [params[name] for name in compiled.positiontup or ()] if compiled.positional else params
    )
    with store.engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(str(compiled), arguments)
            return list(cursor.fetchall())
        finally:
            cursor.close()


def _tables(rows: list[Any]) -> dict[str, History]:
    """``run, key, value, step, is_nan`` rows, grouped by run, as one table per run."""
    if not rows:
        return {}
    runs, keys, values, steps, nans = (list(column) for column in zip(*rows, strict=True))
    known: dict[str, int] = {}
    key_ids = np.array([known.setdefault(key, len(known)) for key in keys], dtype=np.int32)
    names = list(known)
    ignored = np.array([is_ignored(name) for name in names], dtype=bool)
    number = np.array(values, dtype=np.float64)
    # MLflow stores NaN as 0 with is_nan set (infinities as the largest floats)
    number[np.array(nans, dtype=bool)] = np.nan
    step = np.array(steps, dtype=np.float64)
    run_of = np.array(runs, dtype=object)
    starts = np.r_[0, np.flatnonzero(run_of[1:] != run_of[:-1]) + 1, len(rows)]
    found: dict[str, History] = {}
    for first, last in pairwise(starts):
        kept = ~ignored[key_ids[first:last]]
        if not kept.any():
            continue
        local, inverse = np.unique(key_ids[first:last][kept], return_inverse=True)
        table, warnings = long_to_table(
            inverse.astype(np.int32),
            [names[index] for index in local],
            number[first:last][kept],
            step[first:last][kept],
            format="history",
            file="MLflow metric history",
        )
        found[str(runs[first])] = (table, [_USED, *warnings])
    return found


def _rest_histories(
    client: MlflowClient, store: Any, runs: Sequence[ExperimentRun], uri: str
) -> dict[str, History] | None:
    """A tracking server's histories, one request per metric and `BULK_RUNS` runs: the bulk
    history route MLflow's UI compares runs with (one SQL query per request in a SQL store;
    its interval variant runs one per run and metric, slower than asking run by run). None
    when the server does not offer it (the caller then asks run by run)."""
    rows: dict[str, list[tuple[str, float, int, int]]] = {run.run_id: [] for run in runs}
    whole: set[str] = set()  # runs with a history longer than a request's cap
    keyed: dict[str, list[str]] = {}
    for run in runs:
        for key in run.metrics:
            keyed.setdefault(key, []).append(run.run_id)
    for key, ids in keyed.items():
        for start in range(0, len(ids), BULK_RUNS):
            if not _bulk(store, key, ids[start : start + BULK_RUNS], rows, whole):
                return None
    found: dict[str, History] = {}
    for run in runs:
        if run.run_id in whole:
            table = _history(client, run, uri)
        else:
            logged = sorted(rows[run.run_id], key=lambda row: (row[3], row[2]))
            table = _table([(key, value, step) for key, value, step, _ in logged])
        if table is not None:
            found[run.run_id] = table
    return found


def _bulk(
    store: Any,
    key: str,
    ids: list[str],
    rows: dict[str, list[tuple[str, float, int, int]]],
    whole: set[str],
) -> bool:
    """Append ``key``'s points of runs ``ids`` to ``rows``; False when the route is missing.
    An answer cut at the route's cap is asked again in halves (one run: read in full)."""
    from mlflow.utils.rest_utils import http_request

    response = http_request(  # type: ignore[no-untyped-call,unused-ignore]
        store.get_host_creds(),
        BULK_ROUTE,
        "GET",
        params={"run_id": ids, "metric_key": key, "max_results": BULK_POINTS},
        raise_on_status=False,
    )
    if response.status_code != 200:
        return False
    metrics = response.json().get("metrics", [])
    if len(metrics) >= BULK_POINTS:
        if len(ids) == 1:
            whole.add(ids[0])
            return True
        middle = len(ids) // 2
        return _bulk(store, key, ids[:middle], rows, whole) and _bulk(
            store, key, ids[middle:], rows, whole
        )
    for metric in metrics:
        step, stamp = int(metric.get("step", 0)), int(metric.get("timestamp", 0))
        rows[metric["run_id"]].append((key, float(metric.get("value", "nan")), step, stamp))
    return True


def _history(client: MlflowClient, run: ExperimentRun, uri: str) -> History | None:
    from mlflow.exceptions import MlflowException

    rows: list[tuple[str, float, int]] = []
    try:
        for key in run.metrics:
            rows += [(key, m.value, m.step) for m in client.get_metric_history(run.run_id, key)]
    except MlflowException as exc:
        raise store_error(uri, exc) from exc
    return _table(rows)


def _table(rows: list[tuple[str, float, int]]) -> History | None:
    """``key, value, step`` rows (the store's order) as a metrics table."""
    rows = [row for row in rows if not is_ignored(row[0])]
    if not rows:
        return None
    keys = list(dict.fromkeys(row[0] for row in rows))
    ids = {key: index for index, key in enumerate(keys)}
    table, warnings = long_to_table(
        np.fromiter((ids[row[0]] for row in rows), dtype=np.int32, count=len(rows)),
        keys,
        np.fromiter((row[1] for row in rows), dtype=np.float64, count=len(rows)),
        np.fromiter((row[2] for row in rows), dtype=np.float64, count=len(rows)),
        format="history",
        file="MLflow metric history",
    )
    return table, [_USED, *warnings]


def run_bundle(run: ExperimentRun, uri: str, history: History | None) -> ArtifactBundle:
    """The bundle of ``run``: its layout files read in place when its artifacts are on this
    machine (a full download otherwise), else ``history`` and its MLflow params.

    Raises `ArtifactError` as `load_mlflow_run` does.
    """
    root = run.local_root
    if root is None:
        if _remote_layout(run, uri):
            from deepfix_notebook.artifacts._mlflow import load_mlflow_run

            return load_mlflow_run(run.run_id, uri)
        files: tuple[str, ...] = ()
    else:
        files = _local_layout(root)
    bundle = ArtifactBundle(
        source=f"runs:/{run.run_id}", run_id=run.run_id, tracking_uri=uri, files=files
    )
    if not files and history is None:
        raise ArtifactError(
            ErrorCode.ARTIFACT_NOT_FOUND,
            f"Run {run.run_id} has no DeepFix artifacts and no logged metrics; log "
            f"{layout.METRICS} (or metrics with mlflow.log_metric) during training.",
            details={"run_id": run.run_id, "tracking_uri": uri},
        )
    read_root(root or Path(), bundle, history=lambda: history, mlflow_params=run.params)
    return bundle


def _local_layout(root: Path) -> tuple[str, ...]:
    """The layout files under ``root`` (the logged analysis is read on its own)."""
    present = []
    for name in layout.KNOWN_FILES:
        if name == layout.ANALYSIS:
            continue
        path = root / name
        if path.is_file():
            layout.inside(root, layout.safe_relative(name, file=name), file=name)
            present.append(name)
        elif path.exists():  # a FIFO would block the reader: never open one
            raise invalid(f"{name} is not a regular file; log the file itself.", file=name)
    return tuple(present)


def _remote_layout(run: ExperimentRun, uri: str) -> bool:
    """Whether a run whose artifacts are elsewhere logged any layout file besides the
    analysis (one listing request)."""
    from deepfix_notebook.artifacts._mlflow import _RunArtifacts
    from deepfix_notebook.artifacts._mlflow_reading import reading

    with reading("", uri):
        top = _RunArtifacts(run.artifact_uri, uri).list_artifacts(run.run_id)
    return any(
        (e.is_dir and e.path in layout.KNOWN_DIRS and e.path != "deepfix")
        or (not e.is_dir and e.path in layout.KNOWN_FILES)
        for e in top
    )


def logged_analyses(uri: str, runs: Iterable[ExperimentRun]) -> dict[str, str]:
    """The text of each run's ``deepfix/analysis.json``, for the runs that logged one.

    Read straight from the artifact directory when it is on this machine; else downloaded, a
    few runs at a time. A run whose file cannot be read is left out (it is analysed again).
    """
    found: dict[str, str] = {}
    remote: list[ExperimentRun] = []
    for run in runs:
        root = run.local_root
        if root is None:
            remote.append(run)
            continue
        path = root / layout.ANALYSIS
        with suppress(OSError, UnicodeDecodeError):  # unreadable: analysed again
            if path.is_file():  # never open a FIFO: it would block
                found[run.run_id] = path.read_text(encoding="utf-8")
    if remote:
        with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="deepfix-sweep") as pool:
            texts = pool.map(lambda run: _download(run, uri), remote)
            for run, text in zip(remote, texts, strict=True):
                if text is not None:
                    found[run.run_id] = text
    return found


def _download(run: ExperimentRun, uri: str) -> str | None:
    from deepfix_notebook.artifacts._mlflow import _RunArtifacts

    source = _RunArtifacts(run.artifact_uri, uri)
    try:
        with tempfile.TemporaryDirectory(prefix="deepfix-sweep-") as tmp:
            local = source.download_artifacts(run.run_id, layout.ANALYSIS, tmp)
            return Path(local).read_text(encoding="utf-8")
    except Exception:  # absent or unreadable: the run is analysed again
        return None


def write_analyses(uri: str, documents: Sequence[tuple[ExperimentRun, str]]) -> dict[str, str]:
    """Write each JSON text as its run's ``deepfix/analysis.json``; run id -> reason for the
    ones that could not be written.

    A local artifact directory gets the file directly (atomically, as MLflow's local artifact
    repository would copy it); any other store, through MLflow's artifact repository.
    """
    failed: dict[str, str] = {}
    remote = []
    for run, text in documents:
        root = run.local_root
        if root is None:
            remote.append((run, text))
            continue
        try:
            _write_local(root / layout.ANALYSIS, text)
        except OSError as error:
            failed[run.run_id] = f"{type(error).__name__}: {error}"
    if remote:
        with ThreadPoolExecutor(IO_THREADS, thread_name_prefix="deepfix-sweep") as pool:
            reasons = pool.map(lambda document: _upload(document[0], document[1], uri), remote)
            for (run, _), reason in zip(remote, reasons, strict=True):
                if reason is not None:
                    failed[run.run_id] = reason
    return failed


def _write_local(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".analysis-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _upload(run: ExperimentRun, text: str, uri: str) -> str | None:
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    folder, _, name = layout.ANALYSIS.rpartition("/")
    try:
        with tempfile.TemporaryDirectory(prefix="deepfix-sweep-") as tmp:
            local = Path(tmp) / name
            local.write_text(text, encoding="utf-8")
            repo = get_artifact_repository(run.artifact_uri, tracking_uri=uri)
            repo.log_artifact(str(local), folder)  # type: ignore[no-untyped-call]
    except Exception as error:  # reported per run; the sweep goes on
        return f"{type(error).__name__}: {error}"
    return None
