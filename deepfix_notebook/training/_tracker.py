"""`track`: a framework-free run context for any training loop.

    with deepfix_notebook.track("mlp-baseline") as run:
        for epoch in range(20):
            ...
            run.log(epoch=epoch, train_loss=loss, val_loss=val)

On exit the artifacts are written to MLflow (the configured store, else the local one) and the run
is analysed; an exception inside the block still saves what was logged, marks the run failed and
is re-raised.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle
    from deepfix_notebook.contract import AnalysisResult

AnalysisMode = Literal["sync", "async", "off"]
_active: contextvars.ContextVar[TrackedRun | None] = contextvars.ContextVar(
    "deepfix_run", default=None
)


@dataclass
class TrackedRun:
    """What a training loop logs: metric rows, params and dataset metadata."""

    name: str | None = None
    experiment: str | None = None
    rows: list[dict[str, float | None]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    run_id: str | None = None
    bundle: ArtifactBundle | None = None
    result: AnalysisResult | None = None
    request_id: str | None = None
    _next_step: int = 0

    def log(self, step: int | None = None, epoch: float | None = None, **metrics: Any) -> None:
        """One row: metrics at ``step`` (default: the next step) and ``epoch``."""
        if not metrics:
            raise ValueError("log() needs at least one metric, e.g. run.log(train_loss=0.5)")
        if step is None:
            step = self._next_step
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        row: dict[str, float | None] = {"step": float(step)}
        if epoch is not None:
            row["epoch"] = float(epoch)
        for name, value in metrics.items():
            row[name] = _number(name, value)
        self.rows.append(row)
        self._next_step = max(self._next_step, step + 1)

    def log_params(self, params: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Hyper-parameters (learning_rate, batch_size, optimizer, ...)."""
        self.params.update(dict(params or {}), **more)

    def log_dataset(
        self,
        labels: Sequence[Any] | None = None,
        *,
        name: str = "dataset",
        features: Any = None,
        val_features: Any = None,
        test_features: Any = None,
        num_val_samples: int | None = None,
        **metadata: Any,
    ) -> None:
        """Dataset metadata: class counts from ``labels``, per-feature or per-channel statistics
        from ``features`` (numpy arrays, images or DataFrames; sampled when large)."""
        from deepfix_notebook.training._dataset import describe_dataset

        described, statistics = describe_dataset(
            labels,
            features=features,
            val_features=val_features,
            test_features=test_features,
            name=name,
            task_type=metadata.get("task_type"),
        )
        if num_val_samples is not None:
            described["num_val_samples"] = num_val_samples
        self.dataset = {**described, **metadata}
        self.statistics = statistics or None

    def columns(self) -> dict[str, list[float | None]]:
        """The logged rows as wide columns (``None`` where a metric was not logged)."""
        names: list[str] = []
        for row in self.rows:
            names += [n for n in row if n not in names]
        return {n: [row.get(n) for row in sorted(self.rows, key=_step)] for n in names}


def log(step: int | None = None, epoch: float | None = None, **metrics: Any) -> None:
    """Log metrics to the innermost active `track` (or ``%%deepfix`` cell)."""
    run = _active.get()
    if run is None:
        raise RuntimeError(
            "No DeepFix run is active: use `with deepfix_notebook.track(...) as run:` "
            "or a %%deepfix cell."
        )
    run.log(step=step, epoch=epoch, **metrics)


@contextmanager
def track(
    name: str | None = None,
    *,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    params: Mapping[str, Any] | None = None,
    analysis_mode: AnalysisMode = "sync",
    mlflow_active: bool = False,
) -> Iterator[TrackedRun]:
    """A tracked run: log inside the block; on exit the run is saved to MLflow and analysed.

    ``analysis_mode``: ``"sync"`` analyses before the block's ``with`` returns (``run.result``),
    ``"async"`` submits and sets ``run.request_id``, ``"off"`` only saves. With
    ``mlflow_active`` the run is MLflow's active run during the block, so ``mlflow.log_metric``
    calls inside land in it too (used when nothing is logged through ``run.log``).
    """
    if analysis_mode not in ("sync", "async", "off"):
        raise ValueError(f"analysis_mode must be 'sync', 'async' or 'off', not {analysis_mode!r}")
    run = TrackedRun(name=name, experiment=experiment, params=dict(params or {}))
    with ExitStack() as stack:
        if mlflow_active:
            from deepfix_notebook.artifacts import active_mlflow_run

            run.run_id = stack.enter_context(
                active_mlflow_run(tracking_uri, experiment=experiment, run_name=name)
            )
        token = _active.set(run)
        try:
            yield run
        except BaseException:
            _active.reset(token)
            if run.rows:
                _save(run, tracking_uri, status="FAILED")
            raise
        _active.reset(token)
        if run.rows:
            _save(run, tracking_uri, status=None if mlflow_active else "FINISHED")
    if not run.rows and not mlflow_active:
        return
    if analysis_mode == "off":
        return
    from deepfix_notebook.backends import current

    backend = current()
    source: Any = run.run_id
    if getattr(backend, "name", "") == "local":
        source = run.bundle = _bundle(run) if run.rows else _mlflow_bundle(run, tracking_uri)
        if source is None:
            return  # nothing was logged, neither here nor to MLflow
    if analysis_mode == "async":
        run.request_id = backend.submit(source)
    else:
        run.result = backend.analyze(source)
        _write_back(run, tracking_uri)


def _mlflow_bundle(run: TrackedRun, tracking_uri: str | None) -> Any:
    """What the block logged to MLflow itself (its metric history), or None when nothing."""
    from deepfix_notebook.artifacts import ArtifactError, load_mlflow_run
    from deepfix_notebook.backends import tracking_uri as backend_uri

    assert run.run_id is not None
    try:
        return load_mlflow_run(run.run_id, tracking_uri or backend_uri())
    except ArtifactError:
        return None


def _save(run: TrackedRun, tracking_uri: str | None, *, status: str | None) -> None:
    from deepfix_notebook.artifacts import log_run
    from deepfix_notebook.backends import tracking_uri as backend_uri

    run.run_id = log_run(
        metrics=run.columns(),
        params=run.params or None,
        dataset=run.dataset,
        statistics=run.statistics,
        tracking_uri=tracking_uri or backend_uri(),
        experiment=run.experiment,
        run_name=run.name,
        run_id=run.run_id,
        status=status,
    )


def _bundle(run: TrackedRun) -> Any:
    from deepfix_notebook.artifacts import bundle_from_memory

    return bundle_from_memory(
        run.columns(),
        params=run.params or None,
        dataset=run.dataset,
        statistics=run.statistics,
        run_id=run.run_id,
        source=f"runs:/{run.run_id}",
    )


def _write_back(run: TrackedRun, tracking_uri: str | None) -> None:
    from deepfix_notebook.artifacts import save_analysis
    from deepfix_notebook.backends import tracking_uri as backend_uri

    if run.result is not None:
        save_analysis(run.result, tracking_uri=tracking_uri or backend_uri())


def _step(row: Mapping[str, float | None]) -> float:
    return row["step"] or 0.0


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError):
        raise TypeError(f"metric {name!r} must be a number, got {value!r}") from None
    return number  # NaN and Inf are data: a diverged loss must reach the analysis
