"""Finding runs across the candidate MLflow stores (`_store.candidate_stores`): one run by id,
runs by name or experiment, the newest runs of a store."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from deepfix_notebook.artifacts._errors import ArtifactError
from deepfix_notebook.artifacts._mlflow_store import get_run, store_error, tracking_client
from deepfix_notebook.artifacts._run_id import is_run_id
from deepfix_notebook.artifacts._store import (
    LOCAL,
    Store,
    candidate_stores,
    default_tracking_uri,
    resolve_tracking_uri,
)
from deepfix_notebook.contract import ErrorCode

if TYPE_CHECKING:
    from mlflow import MlflowClient


def find_run(
    run_id: str, tracking_uri: str | None = None, *, connected: str | None = None
) -> tuple[MlflowClient, Any, str, list[str]]:
    """The run, with the client and store URI that hold it, looked for in `candidate_stores`;
    and a warning when it was not in the first store.

    A candidate that does not exist is not created; one that cannot be read is passed over.
    Raises ``RUN_NOT_FOUND`` naming every store searched (or the first store's
    ``MLFLOW_CONNECTION_ERROR`` when that one could not be read).
    """
    stores = candidate_stores(tracking_uri, connected=connected)
    searched: list[str] = []
    unreadable: ArtifactError | None = None
    for index, store in enumerate(stores):
        if store.origin == LOCAL and not store.exists():
            searched.append(f"{store}, not created yet")
            continue
        try:
            client = tracking_client(store.uri)
            run = get_run(client, run_id, store.uri)
        except ArtifactError as error:
            if error.code is ErrorCode.RUN_NOT_FOUND:
                searched.append(str(store))
                continue
            if len(stores) == 1:
                raise
            searched.append(f"{store}, not readable")
            unreadable = unreadable or (error if index == 0 else None)
            continue
        warnings = [] if index == 0 else [_found_elsewhere(run_id, store, stores[0], unreadable)]
        return client, run, store.uri, warnings
    if unreadable is not None:
        unreadable.message += f" Run {run_id} is not in {_listed(searched[1:])} either."
        unreadable.details["searched"] = [store.uri for store in stores]
        raise unreadable
    raise _run_not_found(run_id, stores, searched)


def _listed(searched: list[str]) -> str:
    if len(searched) == 1:
        return f"the store {searched[0]}"
    return "the stores searched: " + "; ".join(searched)


def _found_elsewhere(
    run_id: str, store: Store, first: Store, unreadable: ArtifactError | None
) -> str:
    why = "could not be read" if unreadable is not None else "does not have it"
    return (
        f"Run {run_id} was read from {store}: the first store, {first}, {why}. Give "
        f"--tracking-uri {store.uri} (tracking_uri=... in Python) to read it from there directly."
    )


def _run_not_found(run_id: str, stores: list[Store], searched: list[str]) -> ArtifactError:
    shape = "" if is_run_id(run_id) else " (MLflow run ids are 32 hexadecimal characters)"
    return ArtifactError(
        ErrorCode.RUN_NOT_FOUND,
        f"No MLflow run {run_id!r}{shape} in {_listed(searched)}. If it is in another store, "
        "name it: "
        f"`%deepfix analyze {run_id} --tracking-uri URI` in a notebook, "
        f"`deepfix analyze --run-id {run_id} --tracking-uri URI` in a terminal.",
        details={
            "run_id": run_id,
            "tracking_uri": stores[0].uri,
            "searched": [store.uri for store in stores],
        },
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
    if uri == default_tracking_uri() and not Store(uri, LOCAL).exists():
        experiments: dict[str, str] = {}  # not created yet: nothing to list, nothing to create
    else:
        experiments = _experiments(tracking_client(uri))
    if experiment is not None:
        ids = [i for i, name in experiments.items() if name == experiment]
        if not ids:
            known = ", ".join(sorted(experiments.values())) or "none"
            store = candidate_stores(tracking_uri)[0]
            raise ArtifactError(
                ErrorCode.RUN_NOT_FOUND,
                f"No experiment named {experiment!r} in {store} (experiments: {known}). For "
                "another store: `%deepfix connect local --tracking-uri URI` in a notebook, "
                "--tracking-uri URI in a terminal.",
                details={"experiment": experiment, "tracking_uri": uri, "searched": [uri]},
            )
    else:
        ids = list(experiments)
    if not ids:
        return []
    runs = tracking_client(uri).search_runs(
        ids, max_results=limit, order_by=["attributes.start_time DESC"]
    )
    return [_summary(run, experiments) for run in runs]


def find_runs(
    *,
    run_name: str | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    connected: str | None = None,
) -> tuple[str, list[RunSummary]]:
    """The runs named ``run_name`` (within ``experiment`` when given), or every run of
    ``experiment``, newest first, from the first candidate store that has any; and its URI.

    Raises ``RUN_NOT_FOUND`` naming the stores searched.
    """
    if run_name is None and experiment is None:
        raise ValueError("find_runs needs a run_name or an experiment")
    stores = candidate_stores(tracking_uri, connected=connected)
    searched: list[str] = []
    for store in stores:
        if len(stores) > 1 and not store.exists():
            searched.append(f"{store}, does not exist")
            continue
        try:
            runs = _search(tracking_client(store.uri), store.uri, run_name, experiment)
        except ArtifactError:
            if len(stores) == 1:
                raise
            searched.append(f"{store}, not readable")
            continue
        if runs:
            return store.uri, runs
        searched.append(str(store))
    if run_name is None:
        what = f"No experiment {experiment!r} with runs"
    else:
        what = f"No run named {run_name!r}" + (
            f" in experiment {experiment!r}" if experiment else ""
        )
    raise ArtifactError(
        ErrorCode.RUN_NOT_FOUND,
        f"{what} in {_listed(searched)}. If it is in another store, name it with "
        "--tracking-uri URI.",
        details={
            "run_name": run_name,
            "experiment": experiment,
            "tracking_uri": stores[0].uri,
            "searched": [store.uri for store in stores],
        },
    )


def run_by_name(
    run_name: str,
    *,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    connected: str | None = None,
) -> tuple[str, str]:
    """``(run id, store URI)`` of the one run called ``run_name`` (see `find_runs`).

    Several runs of that name are a ``VALIDATION_ERROR`` listing them with ids and start times.
    """
    uri, runs = find_runs(
        run_name=run_name, experiment=experiment, tracking_uri=tracking_uri, connected=connected
    )
    if len(runs) == 1:
        return runs[0].run_id, uri
    shown = "; ".join(
        f"{run.run_id} (experiment {run.experiment}, started "
        f"{run.start_time:%Y-%m-%d %H:%M:%S} UTC)"
        if run.start_time
        else f"{run.run_id} (experiment {run.experiment})"
        for run in runs[:20]
    )
    more = f"; and {len(runs) - 20} more" if len(runs) > 20 else ""
    narrow = "" if experiment else " or narrow it with --experiment NAME"
    raise ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"{len(runs)} runs are named {run_name!r} in {uri}: {shown}{more}. Give one with "
        f"--run-id ID{narrow}.",
        field="run_name",
        details={
            "provided": run_name,
            "constraint": "a run name that is unique in the store (or in --experiment)",
            "tracking_uri": uri,
            "candidates": [
                {
                    "run_id": run.run_id,
                    "experiment": run.experiment,
                    "start_time": run.start_time.isoformat() if run.start_time else None,
                }
                for run in runs
            ],
        },
    )


def _search(
    client: MlflowClient, uri: str, run_name: str | None, experiment: str | None
) -> list[RunSummary]:
    """Every matching run (all pages), newest first; [] when the experiment is not there."""
    from mlflow.exceptions import MlflowException

    query = "" if run_name is None else f"attributes.run_name = {_quoted(run_name)}"
    found: list[Any] = []
    token = None
    try:
        experiments = _experiments(client)
        ids = [i for i, name in experiments.items() if experiment is None or name == experiment]
        while ids:
            page = client.search_runs(
                ids,
                query,
                max_results=1000,
                order_by=["attributes.start_time DESC"],
                page_token=token,
            )
            found.extend(page)
            token = page.token
            if not token:
                break
    except MlflowException as exc:
        raise store_error(uri, exc) from exc
    return [_summary(run, experiments) for run in found]


def _quoted(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise ArtifactError(
        ErrorCode.VALIDATION_ERROR,
        f"Run name {text!r} has both kinds of quotes, which MLflow's search cannot match; "
        "give the run by its id.",
        field="run_name",
        details={"provided": text},
    )


def _experiments(client: MlflowClient) -> dict[str, str]:
    """Id -> name of the store's active experiments."""
    from mlflow.entities import ViewType

    return {e.experiment_id: e.name for e in client.search_experiments(ViewType.ACTIVE_ONLY)}


def _summary(run: Any, experiments: Mapping[str, str]) -> RunSummary:
    info = run.info
    return RunSummary(
        run_id=info.run_id,
        run_name=info.run_name or info.run_id[:8],
        experiment=experiments.get(info.experiment_id, info.experiment_id),
        status=info.status,
        start_time=_time(info.start_time),
        metrics=dict(run.data.metrics),
        params=dict(run.data.params),
        end_time=_time(info.end_time),
    )


def _time(milliseconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC) if milliseconds else None


def fluent_run_id() -> str | None:
    """The id of MLflow's active fluent run (``mlflow.start_run``), else of the last one this
    thread ended; None when there is none or mlflow was never imported (it is not imported here)."""
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is None:
        return None
    try:
        active = fluent.active_run()
        if active is not None:
            return str(active.info.run_id)
        last = fluent._last_active_run_id.get()  # what mlflow.last_active_run() reads
    except Exception:  # another MLflow release's internals: no fluent run known
        return None
    return last if isinstance(last, str) else None
