"""The package's verbs: `connect` to a backend, `analyze` a run, `sweep` an experiment, `ask`
the knowledge base.

In IPython each verb runs quietly (`backends._quiet.notebook_quiet`): other libraries' log lines
and warnings stay out of the cell, and DeepFix's own warnings show as one notice line each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse, SweepResult
    from deepfix_notebook.sweeps import Progress


def connect(
    target: str = "local",
    *,
    tracking_uri: str | None = None,
    api_key: str | None = None,
    offline: str = "fallback",
) -> AnalysisBackend:
    """Choose the backend `analyze`, `ask`, the magics and `track` use.

    ``target`` is ``"local"`` (the embedded engine, the default) or a DeepFix server URL.
    ``tracking_uri`` is the MLflow store runs are read from first (default: MLflow's
    configuration, ``mlflow.set_tracking_uri`` or ``MLFLOW_TRACKING_URI``, then ``./mlflow.db``
    when it exists, else the local store under ``$DEEPFIX_HOME``; a run not found there is
    looked for in the others); a server needs one it can reach. ``offline``
    says what happens when the server (or the MLflow behind it) is unreachable: ``strict``
    raises; ``fallback`` warns and analyses with the embedded engine when this process can read
    the run (the result says so), else answers a ``failed`` result saying what failed and what
    to do; ``local`` is ``fallback`` raising the embedded engine's error instead.
    """
    from deepfix_notebook.backends._quiet import notebook_quiet

    with notebook_quiet():
        return _connect(target, tracking_uri=tracking_uri, api_key=api_key, offline=offline)


def _connect(
    target: str, *, tracking_uri: str | None, api_key: str | None, offline: str
) -> AnalysisBackend:
    from deepfix_notebook.backends import LocalBackend, use

    if target == "local":
        return use(LocalBackend(tracking_uri=tracking_uri))
    from deepfix_notebook.backends import RemoteBackend  # the HTTP client only when needed

    if not target.startswith(("http://", "https://")):
        raise ValueError(
            f"connect() takes 'local' or an http(s) URL of a DeepFix server, not {target!r}."
        )
    from deepfix_notebook.artifacts import resolve_tracking_uri

    return use(
        RemoteBackend(
            target.rstrip("/"),
            api_key=api_key,
            tracking_uri=resolve_tracking_uri(tracking_uri),
            offline=offline,  # type: ignore[arg-type]
        )
    )


def current_backend() -> AnalysisBackend:
    """The backend chosen with `connect`, the embedded engine by default."""
    from deepfix_notebook.backends import current

    return current()


def analyze(
    source: Any = None,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    focus: Iterable[str] = (),
    params: Mapping[str, Any] | None = None,
    dataset: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    enable_training_analysis: bool = True,
    enable_dataset_analysis: bool = True,
    enable_deepchecks_analysis: bool = True,
    max_analysis_time: float = 60.0,
    context: Mapping[str, Any] | None = None,
) -> AnalysisResult:
    """Diagnose a run and return the contract's `AnalysisResult`.

    ``source`` is an MLflow run id, ``runs:/ID`` or run name (unique in the store, or in
    ``experiment``), an ``mlflow.ActiveRun`` or ``mlflow.entities.Run``, a run from `track` or
    `DeepFixCallback`, a run directory, a pandas DataFrame of metrics (``params``/``dataset``
    dicts and ``run_id`` optional), or an `ArtifactBundle`; None: the last run of this process
    (`deepfix_notebook.artifacts.run_ref`). An MLflow run is read from ``tracking_uri`` alone
    when given, else looked for in `connect`'s store, MLflow's configured and working-directory
    stores, then DeepFix's local store. ``focus`` takes optimization-focus names (e.g.
    ``"overfitting"``). Connected to a server, an MLflow run is sent by reference and the
    server reads it from its store (this process need not reach MLflow).

    In a DataFrame, NaN is both "not logged" and "the value was NaN": the NaN cells that end a
    metric's column (longer than its usual gaps) are read as values, so a loss that broke down
    is found; other NaN cells are gaps (`deepfix_notebook.artifacts.bundle_from_memory`).
    """
    from deepfix_notebook.artifacts import run_ref
    from deepfix_notebook.backends._quiet import notebook_quiet
    from deepfix_notebook.contract import AnalysisContext, AnalysisOptions

    backend = current_backend()
    with notebook_quiet():
        ref = run_ref(
            source,
            tracking_uri=tracking_uri,
            experiment=experiment,
            connected=backend.tracking_uri,
            params=params,
            dataset=dataset,
            run_id=run_id,
        )
        options = AnalysisOptions.model_validate(
            {
                "enable_training_analysis": enable_training_analysis,
                "enable_dataset_analysis": enable_dataset_analysis,
                "enable_deepchecks_analysis": enable_deepchecks_analysis,
                "optimization_focus": list(focus),
                "max_analysis_time": max_analysis_time,
            }
        )
        context_ = AnalysisContext.model_validate(dict(context or {}))
        return backend.analyze(ref, options, context_)


def sweep(
    experiment: str,
    *,
    tracking_uri: str | None = None,
    filter: str = "",
    max_runs: int | None = None,
    save: bool = False,
    reuse: bool = True,
    workers: int | None = None,
    on_progress: Progress | None = None,
) -> SweepResult:
    """Triage every run of an MLflow experiment: each run's health, the problem counts, the
    hyperparameter splits that go with each problem, and the best clean runs.

    ``filter`` is MLflow's search syntax (``"params.optimizer = 'adam'"``); ``max_runs`` keeps
    the newest runs. A run's logged analysis (``deepfix/analysis.json``) is reused while it is
    newer than the run's last metric (``reuse=False`` analyses every run again); ``save``
    writes the new analyses back. ``workers`` processes analyse the runs (default: the CPUs);
    ``on_progress(done, total)`` is called as runs finish. Runs are read from ``tracking_uri``
    alone when given, else from the first candidate store that has the experiment, and
    analysed with the embedded engine; connected to a DeepFix server that reads that store,
    each run is a job of the server (its workers scale the sweep). Raises `ArtifactError` when
    the experiment (the error lists the experiments there are) or the store cannot be read, or
    the filter is not valid.
    """
    from deepfix_notebook.backends._quiet import notebook_quiet
    from deepfix_notebook.sweeps import run_sweep

    backend = current_backend()
    with notebook_quiet():
        return run_sweep(
            experiment,
            tracking_uri=tracking_uri,
            filter_string=filter,
            max_runs=max_runs,
            save=save,
            reuse=reuse,
            workers=workers,
            on_progress=on_progress,
            connected=backend.tracking_uri,
            backend=backend,
        )


def ask(
    query: str,
    *,
    domain: str | None = None,
    query_type: str = "best_practice",
    max_results: int = 5,
    min_confidence: float = 0.7,
) -> KnowledgeResponse:
    """Search the knowledge base, with the current backend (`connect`)."""
    from deepfix_notebook.backends._quiet import notebook_quiet
    from deepfix_notebook.contract import KnowledgeQuery

    request = KnowledgeQuery(
        query=query,
        domain=domain,  # type: ignore[arg-type]
        query_type=query_type,  # type: ignore[arg-type]
        max_results=max_results,
        min_confidence=min_confidence,
    )
    with notebook_quiet():
        return current_backend().query_knowledge(request)
