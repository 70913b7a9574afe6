"""`DeepFixCallback`: a PyTorch Lightning run saved to MLflow and analysed when fit ends.

    trainer = lightning.pytorch.Trainer(max_epochs=20, callbacks=[DeepFixCallback()])
    trainer.fit(model, datamodule=data)

This module imports Lightning (``lightning.pytorch``, else ``pytorch_lightning``) and torch; the
package resolves `DeepFixCallback` on first access, so ``import deepfix_notebook`` does not.
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from deepfix_notebook.training._finish import (
    AnalysisMode,
    AnalysisSettings,
    OfflineMode,
    analyze,
    save,
    store,
)
from deepfix_notebook.training._monitor import (
    LiveMonitor,
    LogSurface,
    Surface,
    Throttle,
    parse_stop_on,
)
from deepfix_notebook.training._tracker import TrackedRun, save_failed

if TYPE_CHECKING:
    import torch

    from deepfix_notebook.artifacts import RunRef
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.contract import Analysis, AnalysisResult

INSTALL_HINT = 'pip install "deepfix-notebook[lightning]"'
# The gradient norm costs a fused norm over every parameter: on logging steps, within 0.5% of the
# wall time (a tiny model logging every step gets it every few steps).
GRAD_NORM_BUDGET = 0.005
_AXES = frozenset({"step", "epoch"})


def _import_lightning() -> ModuleType:
    """``lightning.pytorch``, else ``pytorch_lightning``; an error naming the extra to install."""
    failure: ImportError | None = None
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name)
        except ImportError as error:
            failure = failure or error  # the first: why lightning.pytorch did not import
    raise ImportError(
        "DeepFixCallback needs PyTorch Lightning and torch, which could not be imported: "
        f"{INSTALL_HINT} (install torch first, e.g. the CPU wheel)."
    ) from failure


_PL = _import_lightning()
if TYPE_CHECKING:
    from lightning.pytorch import Callback
else:
    Callback = _PL.Callback


class DeepFixCallback(Callback):
    """Collects a Lightning run's metrics, saves them to MLflow at the end of ``fit`` and asks
    DeepFix for the analysis.

    Rows: the metrics of ``trainer.callback_metrics`` at each logging step (every
    ``log_every_n_steps``, default the trainer's), after each validation and at each epoch end,
    plus each optimizer's learning rate (``lr-Adam``) and the global gradient norm before the
    optimizer step (``grad_norm``: on logging steps, within 0.5% of the time).

    Saving: into the run of the trainer's ``MLFlowLogger`` when it has one, else into a new run
    (``name``, ``experiment``) of ``tracking_uri`` or the default store: ``metrics.csv``,
    ``params.yaml`` (hparams, optimizer, scheduler, trainer settings, ``params``) and, given
    ``dataset``/``labels``, ``dataset/metadata.yaml`` and ``statistics.json``. A ``fit`` that
    raises still saves what was logged (the run is marked failed; no analysis).

    Analysis: ``analysis_mode`` ``"sync"`` (``result``, printed or shown when ``verbose``),
    ``"async"`` (``request_id``; `wait` fetches it) or ``"off"``; on ``backend``, the DeepFix
    server at ``server_url`` (``offline_mode``, ``poll_interval``, ``max_wait_time``,
    ``max_retries``, ``timeout``), else the current backend (`deepfix_notebook.connect`).

    Live monitor: early warnings (NaN/Inf, divergence, exploding gradients) as they appear; a
    high-severity one whose code is in ``stop_on`` sets ``trainer.should_stop``. In a notebook
    with ``live``, the curves update while training (at most twice a second).
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        experiment: str | None = None,
        tracking_uri: str | None = None,
        analysis_mode: AnalysisMode = "sync",
        backend: AnalysisBackend | None = None,
        server_url: str | None = None,
        offline_mode: OfflineMode = "fallback",
        poll_interval: float = 1.0,
        max_wait_time: float = 300.0,
        max_retries: int = 3,
        timeout: float = 60.0,
        params: Mapping[str, Any] | None = None,
        dataset: Any = None,
        val_dataset: Any = None,
        test_dataset: Any = None,
        labels: Sequence[Any] | None = None,
        dataset_name: str | None = None,
        class_names: Sequence[str] | None = None,
        log_every_n_steps: int | None = None,
        live: bool = True,
        stop_on: Iterable[str] = (),
        verbose: bool = True,
    ) -> None:
        super().__init__()
        self.settings = AnalysisSettings(
            mode=analysis_mode,
            backend=backend,
            server_url=server_url,
            offline_mode=offline_mode,
            poll_interval=poll_interval,
            max_wait_time=max_wait_time,
            max_retries=max_retries,
            timeout=timeout,
        )
        if log_every_n_steps is not None and log_every_n_steps < 0:
            raise ValueError(f"log_every_n_steps must be >= 0, got {log_every_n_steps}")
        self.name = name
        self.experiment = experiment
        self.tracking_uri = tracking_uri
        self.params = dict(params or {})
        self.dataset, self.val_dataset, self.test_dataset = dataset, val_dataset, test_dataset
        self.labels = labels
        self.dataset_name = dataset_name
        self.class_names = class_names
        self.log_every_n_steps = log_every_n_steps
        self.live = live
        self.stop_on = parse_stop_on(stop_on)
        self.verbose = verbose
        self.surface: Surface | None = None  # None: chosen at fit start (notebook or log)
        self.run = TrackedRun(name=name, experiment=experiment)
        self._seen: dict[str, Any] = {}
        self._grad_norms: list[torch.Tensor] = []  # one per optimizer stepped
        self._grad_throttle = Throttle(0.0, budget=GRAD_NORM_BUDGET)
        self._last_step = -1
        self._done = False

    # --- results --------------------------------------------------------------------------

    @property
    def run_id(self) -> str | None:
        """The MLflow run the artifacts were written to."""
        return self.run.run_id

    @property
    def result(self) -> AnalysisResult | None:
        return self.run.result

    @property
    def request_id(self) -> str | None:
        return self.run.request_id

    @property
    def warnings(self) -> list[Analysis]:
        """Early warnings raised during training."""
        return self.run.warnings

    @property
    def stop_reason(self) -> Analysis | None:
        """The early warning that stopped training (``stop_on``), if one did."""
        return self.run.stop_reason

    def wait(self, timeout: float | None = None) -> AnalysisResult:
        """The analysis (after ``analysis_mode="async"``, fetched and written back to MLflow)."""
        return self.run.wait(timeout)

    def __deepfix_run__(self) -> RunRef:
        """The run trained with this callback (`deepfix_notebook.artifacts.run_ref`)."""
        return self.run.__deepfix_run__()

    # --- Lightning hooks --------------------------------------------------------------------

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        surface = self.surface if trainer.is_global_zero else _Silent()
        self.run = TrackedRun(
            name=self.name,
            experiment=self.experiment,
            monitor=LiveMonitor(stop_on=self.stop_on, live=self.live, surface=surface),
            settings=self.settings,
        )
        self._seen = dict(trainer.callback_metrics)  # what is there now is not this run's
        self._grad_norms, self._last_step, self._done = [], -1, False

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.run.params = run_params(trainer, pl_module, self.params)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        every = self._every(trainer)
        due = self._grad_throttle.ready() or self._grad_norms  # every optimizer of one step
        if every and (trainer.global_step + 1) % every == 0 and due:
            norm = self._grad_throttle.run(lambda: _grad_norm(optimizer))
            if norm is not None:
                self._grad_norms.append(norm)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        step = trainer.global_step
        every = self._every(trainer)
        if step == self._last_step or not every or step % every:
            return
        self._last_step = step
        self._record(trainer)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.sanity_checking:
            self._record(trainer)

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        self._record(trainer)

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        if not trainer.is_global_zero or self._done:
            return
        self._done = True  # an error below reaches on_exception: do not save twice
        self._describe_dataset()
        uri, status = self._destination(trainer)
        if self.run.rows:
            save(self.run, uri, status=status)
        self.run.tracking_uri = store(uri)
        try:
            analyze(self.run, self.settings, uri)
        finally:
            self.run.close_monitor(show=self.verbose)
            if self.run.request_id is None:
                self.settings.close()
        if self.verbose:
            self._present()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        if not trainer.is_global_zero or self._done:
            return
        self._done = True
        self._describe_dataset()
        uri, status = self._destination(trainer)
        save_failed(self.run, uri, status="FAILED" if status else None)
        self.run.close_monitor(exception)

    # --- internals --------------------------------------------------------------------------

    def _every(self, trainer: Any) -> int:
        every = self.log_every_n_steps
        return int(trainer.log_every_n_steps if every is None else every)

    def _record(self, trainer: Any) -> None:
        """One row of what changed since the last row, at the current step."""
        values = self._fresh(trainer.callback_metrics)
        if self._grad_norms:
            values.setdefault("grad_norm", math.sqrt(sum(float(n) ** 2 for n in self._grad_norms)))
            self._grad_norms = []
        if values:
            values.update(_learning_rates(trainer.optimizers))
            step, epoch = trainer.global_step, trainer.current_epoch
            self.run.log(step=step, epoch=epoch, merge=True, **values)
        stop = self.run.should_stop
        if trainer.world_size > 1:  # every rank must stop at the same step
            stop = trainer.strategy.reduce_boolean_decision(stop, all=False)
        if stop:
            trainer.should_stop = True

    def _fresh(self, metrics: Mapping[str, Any]) -> dict[str, Any]:
        """Metrics updated since the last row.

        ``callback_metrics`` keeps every metric's last value until it is logged again, handing
        out a new view of the same tensor storage on each read; a newly logged value lives in
        new storage. Holding on to the views seen keeps their storage alive, so an equal data
        pointer means the same value. A plain name that shares storage with its ``_step`` or
        ``_epoch`` form is left out (the forms say which aggregate it is)."""
        fresh: dict[str, Any] = {}
        for key, value in metrics.items():
            if key in _AXES or _same(self._seen.get(key), value):
                continue
            self._seen[key] = value
            fresh[key] = value
        for key in list(fresh):
            if any(_same(fresh.get(key + suffix), fresh[key]) for suffix in ("_step", "_epoch")):
                del fresh[key]
        return fresh

    def _destination(self, trainer: Any) -> tuple[str | None, str | None]:
        """``(tracking_uri, status)``: the MLFlowLogger's run (Lightning ends it), else a new run
        of this callback's store, which is ended here."""
        logger = mlflow_logger(trainer)
        if logger is not None:
            self.run.run_id = logger.run_id
            return str(logger.experiment.tracking_uri), None
        return self.tracking_uri, "FINISHED"

    def _describe_dataset(self) -> None:
        """Dataset metadata when datasets or labels were given; a failure costs the metadata
        only (warned about), never the run's metrics."""
        if self.dataset is None and self.labels is None:
            return
        try:
            self._log_dataset()
        except Exception as error:
            warnings.warn(
                f"DeepFix saves the run without dataset metadata: {type(error).__name__}: {error}",
                RuntimeWarning,
                stacklevel=2,
            )

    def _log_dataset(self) -> None:
        self.run.log_dataset(
            self.labels,
            name=self.dataset_name or _dataset_name(self.dataset),
            features=self.dataset,
            val_features=self.val_dataset,
            test_features=self.test_dataset,
            class_names=self.class_names,
        )

    def _present(self) -> None:
        """What the monitor's end did not show: where the analysis went (async, off), or the
        result when the monitor was turned off by an error (else `TrackedRun.close_monitor`
        shows it, in place of the live view)."""
        run = self.run
        if run.result is not None:
            if run.monitor is None:
                from deepfix_notebook.training._monitor import _table

                LogSurface().final(run.result, _table(run))
            return
        surface = run.monitor.surface if run.monitor is not None else LogSurface()
        if run.request_id is not None:
            surface.note(
                f"DeepFix: analysis {run.request_id} of MLflow run {run.run_id} submitted; "
                "callback.wait() returns it."
            )
        elif self.settings.mode == "off" and run.run_id is not None:
            surface.note(f"DeepFix: run saved to MLflow run {run.run_id} ({run.tracking_uri}).")


class _Silent(LogSurface):
    """Ranks other than 0 keep quiet."""

    def warn(self, item: Analysis, shown: list[Analysis], stop: Analysis | None) -> None:
        return None


def _same(seen: Any, value: Any) -> bool:
    if seen is value:
        return True
    pointer = getattr(seen, "data_ptr", None)
    return pointer is not None and hasattr(value, "data_ptr") and pointer() == value.data_ptr()


def mlflow_logger(trainer: Any) -> Any:
    """The trainer's ``MLFlowLogger``, if it has one."""
    loggers = importlib.import_module(f"{_PL.__name__}.loggers")
    kind = getattr(loggers, "MLFlowLogger", None)
    return next((lg for lg in trainer.loggers if kind and isinstance(lg, kind)), None)


def run_params(trainer: Any, pl_module: Any, extra: Mapping[str, Any]) -> dict[str, Any]:
    """params.yaml: what the optimizer, scheduler, trainer and model say, then the hparams
    (``hparams``; their own names win at the top), then ``extra``."""
    derived: dict[str, Any] = {"model_name": type(pl_module).__name__}
    optimizers = list(trainer.optimizers)
    if optimizers:
        first = optimizers[0]
        group = first.param_groups[0]
        derived["optimizer"] = type(first).__name__
        rate = group.get("initial_lr", group.get("lr"))
        if _number(rate) and rate > 0:
            derived["learning_rate"] = float(rate)
        for key in ("weight_decay", "momentum"):
            if _number(group.get(key)):
                derived[key] = float(group[key])
        if len(optimizers) > 1:
            derived["optimizers"] = [type(o).__name__ for o in optimizers]
    configs = list(getattr(trainer, "lr_scheduler_configs", []) or [])
    if configs:
        derived["scheduler"] = type(configs[0].scheduler).__name__
        derived["scheduler_interval"] = configs[0].interval
    batch_size = getattr(trainer.train_dataloader, "batch_size", None)
    if isinstance(batch_size, int) and batch_size > 0:
        derived["batch_size"] = batch_size
    if trainer.max_epochs is not None and trainer.max_epochs >= 0:
        derived["num_epochs"] = int(trainer.max_epochs)
    if _number(trainer.gradient_clip_val) and trainer.gradient_clip_val > 0:
        derived["grad_clip"] = float(trainer.gradient_clip_val)
    dropout = _dropout(pl_module)
    if dropout is not None:
        derived["dropout_rate"] = dropout
    derived["trainer"] = {
        "max_epochs": trainer.max_epochs,
        "max_steps": trainer.max_steps,
        "precision": str(trainer.precision),
        "accumulate_grad_batches": trainer.accumulate_grad_batches,
        "gradient_clip_val": trainer.gradient_clip_val,
        "gradient_clip_algorithm": _plain(trainer.gradient_clip_algorithm),
        "log_every_n_steps": trainer.log_every_n_steps,
        "check_val_every_n_epoch": trainer.check_val_every_n_epoch,
        "val_check_interval": trainer.val_check_interval,
        "accelerator": type(trainer.accelerator).__name__,
        "num_devices": trainer.num_devices,
    }
    hparams = dict(getattr(pl_module, "hparams", {}) or {})
    datamodule = getattr(trainer, "datamodule", None)
    if datamodule is not None:
        hparams = {**dict(getattr(datamodule, "hparams", {}) or {}), **hparams}
    # An MLFlowLogger already logged the hparams as MLflow params under their own names; a
    # different value under one of those names would be rejected by MLflow, so they stay nested.
    params = {k: v for k, v in derived.items() if k not in hparams}
    if hparams:
        params["hparams"] = _plain(hparams)
    params.update(_plain(dict(extra)))
    return params


def _learning_rates(optimizers: Sequence[Any]) -> dict[str, float]:
    """``lr-Adam``, ``lr-Adam-1``, ``lr-SGD/pg2``: LearningRateMonitor's names."""
    rates: dict[str, float] = {}
    counts: dict[str, int] = {}
    for optimizer in optimizers:
        kind = type(optimizer).__name__
        name = f"lr-{kind}" if kind not in counts else f"lr-{kind}-{counts[kind]}"
        counts[kind] = counts.get(kind, 0) + 1
        groups = optimizer.param_groups
        for index, group in enumerate(groups):
            key = name if len(groups) == 1 else f"{name}/pg{index + 1}"
            rates[key] = float(group["lr"])
    return rates


def _grad_norm(optimizer: Any) -> torch.Tensor | None:
    """The global L2 norm of ``optimizer``'s gradients (one fused norm)."""
    import torch

    grads = [
        p.grad.detach()
        for group in optimizer.param_groups
        for p in group["params"]
        if p.grad is not None
    ]
    if not grads:
        return None
    total_norm = getattr(torch.nn.utils, "get_total_norm", None)
    norm: torch.Tensor
    if total_norm is not None:
        norm = total_norm(grads, norm_type=2.0)
    else:  # torch < 2.6
        norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    return norm


def _dropout(module: Any) -> float | None:
    import torch

    rates = [m.p for m in module.modules() if isinstance(m, torch.nn.modules.dropout._DropoutNd)]
    return float(max(rates)) if rates and max(rates) > 0 else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """hparams as YAML can hold them: containers and numbers kept, other objects by name."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy and torch values
        return _plain(value.tolist())
    return getattr(value, "__name__", None) or str(value)[:250]


def _dataset_name(dataset: Any) -> str:
    """A DataLoader's dataset class name, or the dataset's."""
    if dataset is None:
        return "dataset"
    inner = getattr(dataset, "dataset", None)
    return type(inner if inner is not None else dataset).__name__
