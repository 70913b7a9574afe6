"""The package's verbs: `connect` to a backend, `analyze` a run, `ask` the knowledge base."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import AnalysisResult, KnowledgeResponse


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
    says what happens when the server is down: ``strict`` raises, ``fallback`` warns and
    continues without analysis, ``local`` analyses with the embedded engine instead.
    """
    from deepfix_notebook.backends import LocalBackend, RemoteBackend, use

    if target == "local":
        return use(LocalBackend(tracking_uri=tracking_uri))
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
    source: Any,
    *,
    tracking_uri: str | None = None,
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

    ``source`` is a run directory, an MLflow run id (read from ``tracking_uri`` alone when
    given, else looked for in `connect`'s store, MLflow's configured and working-directory
    stores, then DeepFix's local store), a pandas DataFrame of metrics (``params``/``dataset``
    dicts optional), or an `ArtifactBundle`. ``focus`` takes optimization-focus names (e.g.
    ``"overfitting"``). Connected to a server, a run id goes to the server, which reads the run
    from its store (this process need not reach MLflow).

    In a DataFrame, NaN is both "not logged" and "the value was NaN": the NaN cells that end a
    metric's column (longer than its usual gaps) are read as values, so a loss that broke down
    is found; other NaN cells are gaps (`deepfix_notebook.artifacts.bundle_from_memory`).
    """
    from deepfix_notebook.contract import AnalysisContext, AnalysisOptions

    backend = current_backend()
    if _read_by_backend(backend, source, tracking_uri):
        bundle: Any = source  # a server reads the run from its own store, never this process
    else:
        bundle = load_source(
            source, tracking_uri=tracking_uri, params=params, dataset=dataset, run_id=run_id
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
    return backend.analyze(bundle, options, AnalysisContext.model_validate(dict(context or {})))


def _read_by_backend(backend: AnalysisBackend, source: Any, tracking_uri: str | None) -> bool:
    """Whether ``source`` is a run id for a backend that reads runs itself (a server): one
    without ``load``, given a string that is no path here and no other store."""
    if hasattr(backend, "load") or not isinstance(source, str) or tracking_uri is not None:
        return False
    text = source.strip()
    return text.startswith("runs:/") or not (Path(text).expanduser().exists() or "/" in text)


def load_source(
    source: Any,
    *,
    tracking_uri: str | None = None,
    params: Mapping[str, Any] | None = None,
    dataset: Mapping[str, Any] | None = None,
    run_id: str | None = None,
) -> ArtifactBundle:
    """The bundle for any source `analyze` accepts."""
    from deepfix_notebook.artifacts import ArtifactBundle, bundle_from_memory, load_run

    if isinstance(source, ArtifactBundle):
        return source
    if isinstance(source, str | Path):
        bundle = load_run(source, tracking_uri=tracking_uri, connected=_backend_tracking_uri())
        if run_id:
            bundle.run_id = run_id
        return bundle
    return bundle_from_memory(
        source, params=params, dataset=dataset, run_id=run_id, source="DataFrame"
    )


def ask(
    query: str,
    *,
    domain: str | None = None,
    query_type: str = "best_practice",
    max_results: int = 5,
    min_confidence: float = 0.7,
) -> KnowledgeResponse:
    """Search the knowledge base (offline, in-process)."""
    from deepfix_notebook.contract import KnowledgeQuery

    request = KnowledgeQuery(
        query=query,
        domain=domain,  # type: ignore[arg-type]
        query_type=query_type,  # type: ignore[arg-type]
        max_results=max_results,
        min_confidence=min_confidence,
    )
    return current_backend().query_knowledge(request)


def _backend_tracking_uri() -> str | None:
    from deepfix_notebook.backends import tracking_uri

    return tracking_uri()
