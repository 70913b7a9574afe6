"""`RunRef`: which run, parsed once from whatever the user holds (`run_ref`).

Accepted: a `RunRef`; an MLflow run id, ``runs:/ID`` or a run name; an ``mlflow.ActiveRun`` or
``mlflow.entities.Run``; an object with ``__deepfix_run__()`` (DeepFix's tracked runs); a run
directory; a DataFrame or mapping of metric columns; an `ArtifactBundle`; None, the last run of
this process. Only a run name is looked up here (in MLflow); ids are read by whoever loads them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

from deepfix_notebook.artifacts._bundle import ArtifactBundle
from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.artifacts._run_id import RUNS_PREFIX, SHAPE, is_run_id, parse_run_id
from deepfix_notebook.artifacts._table import MetricsTable
from deepfix_notebook.contract import ErrorCode

ACCEPTED = (
    "an MLflow run id, runs:/ID or run name, an mlflow.ActiveRun or mlflow.entities.Run, a run "
    "from deepfix_notebook.track or DeepFixCallback, a run directory, a DataFrame of metrics, "
    "or an ArtifactBundle"
)


@dataclass(frozen=True)
class RunRef:
    """One run: an MLflow run (``run_id``, in the store ``tracking_uri`` when known), a run
    directory (``path``), or data already in memory (``bundle``). A run DeepFix tracked has a
    run id and its bundle: in-process analyses use the bundle, a server the run id."""

    run_id: str | None = None
    tracking_uri: str | None = None
    path: Path | None = None
    bundle: ArtifactBundle | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        if self.run_id is not None:
            return f"{RUNS_PREFIX}{self.run_id}"
        if self.path is not None:
            return str(self.path)
        return self.bundle.source if self.bundle is not None else "nothing"

    @property
    def label(self) -> str:
        """What a job calls the run before it is read: its id, directory or source."""
        return self.run_id or (str(self.path) if self.path is not None else str(self))

    def with_bundle(self, bundle: ArtifactBundle) -> RunRef:
        return replace(self, bundle=bundle)


class _Last:
    """The last run this process logged, and MLflow's fluent run id at that moment (a fluent
    run started since then is newer)."""

    lock = threading.Lock()
    ref: RunRef | None = None
    fluent_then: str | None = None


def remember_run(ref: RunRef) -> None:
    """Note ``ref`` as the last run of this process (the run `run_ref(None)` means)."""
    from deepfix_notebook.artifacts._mlflow_runs import fluent_run_id

    with _Last.lock:
        _Last.ref, _Last.fluent_then = ref, fluent_run_id()


def last_run() -> RunRef | None:
    """The last run of this process: logged by DeepFix, or MLflow's active (or last active)
    fluent run when that is newer; None when there is neither."""
    from deepfix_notebook.artifacts._mlflow_runs import fluent_run_id

    fluent = fluent_run_id()
    with _Last.lock:
        ref, then = _Last.ref, _Last.fluent_then
    if fluent is not None and (ref is None or fluent not in {then, ref.run_id}):
        return RunRef(run_id=fluent)
    return ref


def run_ref(
    source: Any = None,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    connected: str | None = None,
    params: Mapping[str, Any] | None = None,
    dataset: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> RunRef:
    """``source`` as a `RunRef` (see the module docstring for what is accepted).

    A run name is looked up in ``tracking_uri`` alone when given, else in the candidate stores
    (``connected``, `connect`'s, first), within ``experiment`` when given; several runs of that
    name are a ``VALIDATION_ERROR`` listing them. ``params``, ``dataset`` and ``run_id`` go with
    in-memory metrics. Raises `TypeError` for an object that is not a run.
    """
    if isinstance(source, RunRef):
        if tracking_uri and source.run_id is not None:
            return replace(source, tracking_uri=tracking_uri)
        return source
    if source is None:
        last = last_run()
        if last is None:
            raise ArtifactError(
                ErrorCode.VALIDATION_ERROR,
                f"No run yet in this session to analyse: give {ACCEPTED}.",
                field="source",
            )
        return run_ref(last, tracking_uri=tracking_uri)
    if isinstance(source, ArtifactBundle):
        return _bundle_ref(source)
    if isinstance(source, str):
        return _text_ref(source, tracking_uri, experiment, connected)
    if isinstance(source, PathLike):
        return RunRef(path=Path(source).expanduser())
    hook = getattr(type(source), "__deepfix_run__", None)
    if hook is not None:
        return run_ref(hook(source), tracking_uri=tracking_uri)
    mlflow_id = getattr(getattr(source, "info", None), "run_id", None)
    if isinstance(mlflow_id, str):  # mlflow.ActiveRun, mlflow.entities.Run
        return RunRef(run_id=parse_run_id(mlflow_id), tracking_uri=tracking_uri)
    if _is_metrics(source):
        from deepfix_notebook.artifacts._memory import bundle_from_memory

        bundle = bundle_from_memory(
            source, params=params, dataset=dataset, run_id=run_id, source="DataFrame"
        )
        return RunRef(bundle=bundle)
    raise TypeError(f"A value of type {type(source).__name__} is not a run: give {ACCEPTED}.")


def _bundle_ref(bundle: ArtifactBundle) -> RunRef:
    """A bundle read from (or logged to) MLflow run ``X`` has the source ``runs:/X``."""
    in_mlflow = bundle.run_id is not None and bundle.source == f"{RUNS_PREFIX}{bundle.run_id}"
    if in_mlflow:
        return RunRef(run_id=bundle.run_id, tracking_uri=bundle.tracking_uri, bundle=bundle)
    return RunRef(bundle=bundle)


def _text_ref(
    source: str, tracking_uri: str | None, experiment: str | None, connected: str | None
) -> RunRef:
    text = source.strip()
    if not text:
        raise ArtifactError(
            ErrorCode.VALIDATION_ERROR,
            f"An empty string is not a run: give {ACCEPTED}.",
            field="source",
            details={"provided": source},
        )
    if text.startswith(RUNS_PREFIX):
        return RunRef(run_id=parse_run_id(text), tracking_uri=tracking_uri)
    path = Path(text).expanduser()
    if path.exists() or (tracking_uri is None and _looks_like_path(text)):
        return RunRef(path=path)
    if is_run_id(text):
        return RunRef(run_id=text.lower(), tracking_uri=tracking_uri)
    from deepfix_notebook.artifacts._mlflow_runs import run_by_name

    try:
        found, uri = run_by_name(
            text, experiment=experiment, tracking_uri=tracking_uri, connected=connected
        )
    except ArtifactError as error:
        if error.code is ErrorCode.RUN_NOT_FOUND:
            error.message += (
                f" {text!r} is no run id either (those are {SHAPE}), nor an existing directory."
            )
        raise
    return RunRef(run_id=found, tracking_uri=uri)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.startswith((".", "~"))


def _is_metrics(value: Any) -> bool:
    """A DataFrame, a mapping of metric columns or a `MetricsTable`."""
    frame = hasattr(value, "columns") and hasattr(value, "index")
    return frame or isinstance(value, Mapping | MetricsTable)
