"""`track`: a framework-free run context for any training loop.

    with deepfix_notebook.track("mlp-baseline", stop_on=("nan_loss",)) as run:
        for epoch in range(20):
            ...
            run.log(epoch=epoch, train_loss=loss, val_loss=val)
            if run.should_stop:
                break

While the block runs, a live monitor checks the history for early warnings (and, in a notebook,
shows the curves; once the run ends, as static HTML with the findings shaded). On exit the
artifacts are written to MLflow (the configured store, else the local one) and the run is
analysed; an exception inside the block still saves what was logged, marks the run failed and is
re-raised.
"""

from __future__ import annotations

import contextvars
import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from deepfix_notebook.training._finish import (
    AnalysisMode,
    AnalysisSettings,
    OfflineMode,
    analyze,
    memory_bundle,
    save,
    store,
    write_back,
)

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import ArtifactBundle, RunRef
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import Analysis, AnalysisResult
    from deepfix_notebook.training._monitor import LiveMonitor

logger = logging.getLogger("deepfix_notebook")
_active: contextvars.ContextVar[TrackedRun | None] = contextvars.ContextVar(
    "deepfix_run", default=None
)


@dataclass
class TrackedRun:
    """What a training loop logs: metric rows, params and dataset metadata; after the run, where
    it was saved and its analysis (``result``, or ``request_id`` until `wait` fetches it)."""

    name: str | None = None
    experiment: str | None = None
    rows: list[dict[str, float | None]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    dataset: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    run_id: str | None = None
    tracking_uri: str | None = None
    bundle: ArtifactBundle | None = None
    result: AnalysisResult | None = None
    request_id: str | None = None
    backend: AnalysisBackend | None = field(default=None, repr=False)
    monitor: LiveMonitor | None = field(default=None, repr=False)
    settings: AnalysisSettings | None = field(default=None, repr=False)
    revision: int = field(default=0, repr=False)  # counts log() calls: what the monitor saw
    _next_step: int = 0

    @property
    def should_stop(self) -> bool:
        """A ``stop_on`` early warning was raised: end the loop (``if run.should_stop: break``)."""
        return self.stop_reason is not None

    @property
    def stop_reason(self) -> Analysis | None:
        """The early warning that asked to stop, with its evidence and fix."""
        return None if self.monitor is None else self.monitor.stop_reason

    @property
    def warnings(self) -> list[Analysis]:
        """Early warnings raised during training (NaN/Inf, divergence, exploding gradients)."""
        return [] if self.monitor is None else self.monitor.warnings

    def log(
        self,
        step: int | None = None,
        epoch: float | None = None,
        *,
        merge: bool = False,
        **metrics: Any,
    ) -> None:
        """One row: metrics at ``step`` (default: the next step) and ``epoch``. With ``merge``, a
        row at the same step as the last one is added to it (framework hooks that fire several
        times per step)."""
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
        if merge and self.rows and self.rows[-1]["step"] == row["step"]:
            self.rows[-1].update(row)
        else:
            self.rows.append(row)
        self.revision += 1
        self._next_step = max(self._next_step, step + 1)
        if self.monitor is not None:
            self._observe()

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
        class_names: Sequence[str] | None = None,
        **metadata: Any,
    ) -> None:
        """Dataset metadata: class counts from ``labels``, per-feature or per-channel statistics
        from ``features`` (numpy arrays, images, DataFrames, torch datasets or data loaders;
        sampled when large). A torch dataset's own labels are used when ``labels`` is None."""
        from deepfix_notebook.training._dataset import describe_dataset

        described, statistics = describe_dataset(
            labels,
            features=features,
            val_features=val_features,
            test_features=test_features,
            name=name,
            class_names=class_names,
            task_type=metadata.get("task_type"),
        )
        if num_val_samples is not None:
            described["num_val_samples"] = num_val_samples
        self.dataset = {**described, **metadata}
        self.statistics = statistics or None

    def __deepfix_run__(self) -> RunRef:
        """Which run this is (`deepfix_notebook.artifacts.run_ref`): its MLflow run once saved,
        with what was logged through it in memory (analysed as it is in-process; a server reads
        the MLflow run)."""
        from deepfix_notebook.artifacts import RunRef

        bundle = self.bundle
        if bundle is None and self.rows:
            bundle = memory_bundle(self)
        if self.run_id is None and bundle is None:
            raise ValueError("This run logged nothing yet: there is no run to analyse.")
        return RunRef(run_id=self.run_id, tracking_uri=self.tracking_uri, bundle=bundle)

    def columns(self) -> dict[str, list[float | None]]:
        """The logged rows as wide columns (``None`` where a metric was not logged)."""
        names: list[str] = []
        for row in self.rows:
            names += [n for n in row if n not in names]
        return {n: [row.get(n) for row in sorted(self.rows, key=_step)] for n in names}

    def wait(self, timeout: float | None = None) -> AnalysisResult:
        """The analysis: at once after a ``sync`` run; after an ``async`` one, fetched from the
        backend (waiting up to ``timeout`` seconds) and written back to the MLflow run."""
        if self.result is not None:
            return self.result
        if self.request_id is None or self.backend is None:
            raise RuntimeError(
                "This run has no analysis to wait for: it was not saved, or analysis_mode was "
                "'off'. Analyse it with deepfix_notebook.analyze(run.run_id)."
            )
        self.result = self.backend.result(self.request_id, timeout=timeout)
        write_back(self, self.tracking_uri)
        if self.settings is not None:
            self.settings.close()
        return self.result

    def _observe(self) -> None:
        assert self.monitor is not None
        try:
            self.monitor.observe(self)
        except Exception as error:  # monitoring must never break the training loop
            logger.warning("DeepFix live monitor turned off after an error: %r", error)
            self.monitor = None

    def close_monitor(self, error: BaseException | None = None, *, show: bool = False) -> None:
        """The end of training for the live monitor (`LiveMonitor.close`); never raises, so a
        display problem cannot hide the run's own outcome (the monitor, with the warnings and
        ``stop_reason``, is kept)."""
        if self.monitor is None:
            return
        try:
            self.monitor.close(self, self.result, error=error, show=show)
        except Exception as failure:
            logger.warning("DeepFix live monitor could not show the end of the run: %r", failure)


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
    backend: AnalysisBackend | None = None,
    server_url: str | None = None,
    offline_mode: OfflineMode = "fallback",
    poll_interval: float = 1.0,
    max_wait_time: float = 300.0,
    max_retries: int = 3,
    timeout: float = 60.0,
    live: bool = True,
    stop_on: Iterable[str] = (),
) -> Iterator[TrackedRun]:
    """A tracked run: log inside the block; on exit the run is saved to MLflow and analysed.

    ``analysis_mode``: ``"sync"`` analyses before the block's ``with`` returns (``run.result``),
    ``"async"`` submits and sets ``run.request_id`` (``run.wait()`` fetches the result), ``"off"``
    only saves. The analysis runs on ``backend``, or on the DeepFix server at ``server_url``
    (``offline_mode``, ``poll_interval``, ``max_wait_time``, ``max_retries``, ``timeout``), else
    on the current backend (`connect`). With ``mlflow_active`` the run is MLflow's active run
    during the block, so ``mlflow.log_metric`` calls inside land in it too (used when nothing is
    logged through ``run.log``).

    ``live``: in a notebook, show the curves while they are logged. Early warnings (NaN/Inf,
    divergence, exploding gradients) are raised as they appear; one whose code is in ``stop_on``
    sets ``run.should_stop``, which the loop checks to end training.
    """
    from deepfix_notebook.training._monitor import LiveMonitor

    settings = AnalysisSettings(
        mode=analysis_mode,
        backend=backend,
        server_url=server_url,
        offline_mode=offline_mode,
        poll_interval=poll_interval,
        max_wait_time=max_wait_time,
        max_retries=max_retries,
        timeout=timeout,
    )
    run = TrackedRun(
        name=name,
        experiment=experiment,
        params=dict(params or {}),
        monitor=LiveMonitor(stop_on=stop_on, live=live),
        settings=settings,
    )
    with ExitStack() as stack:
        if mlflow_active:
            from deepfix_notebook.artifacts import active_mlflow_run

            run.run_id = stack.enter_context(
                active_mlflow_run(tracking_uri, experiment=experiment, run_name=name)
            )
        token = _active.set(run)
        try:
            yield run
        except BaseException as error:
            _active.reset(token)
            save_failed(run, tracking_uri)
            run.close_monitor(error)
            raise
        _active.reset(token)
        if run.rows:
            save(run, tracking_uri, status=None if mlflow_active else "FINISHED")
    run.tracking_uri = store(tracking_uri)
    try:
        analyze(run, settings, tracking_uri)
    finally:
        run.close_monitor()
        if run.request_id is None:
            settings.close()


def save_failed(
    run: TrackedRun, tracking_uri: str | None, *, status: str | None = "FAILED"
) -> None:
    """Save what a failed run logged (ended ``status``), without hiding the failure itself."""
    if not run.rows:
        return
    try:
        save(run, tracking_uri, status=status)
    except Exception as error:
        warnings.warn(
            f"DeepFix could not save what the failed run logged: {error}",
            RuntimeWarning,
            stacklevel=3,
        )


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
