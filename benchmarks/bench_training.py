"""Overhead of `DeepFixCallback` on a small CPU training: time per epoch with and without it.

    python benchmarks/bench_training.py [--repeat 7] [--epochs 10] [--threads 1]

A tiny MLP (32 -> 64 -> 64 -> 10) on 4096 synthetic samples, batch 64 (64 steps per epoch), on
the CPU. Each configuration is fitted ``--repeat`` times, the configurations interleaved so that
machine noise hits them alike. An epoch lasts from its start to the next one's (validation and
every epoch-end hook included); the first epoch of every fit (warm-up) is left out.

Each epoch is timed twice: wall time, and the CPU time of this process (``time.process_time``),
which does not count the time other processes take the cores away, so on a shared machine it is
the figure to read (torch runs on ``--threads`` threads of this process, 1 by default). The table
gives the median epoch of each, the overhead over the plain run (CPU time), "in hooks": the CPU
time spent inside the callback's training hooks per epoch as a share of the plain epoch (the
overhead measured directly), and "fit end": the median wall time after the last epoch (saving to
MLflow and the analysis), which is not part of any epoch.

Configurations: the callback with Lightning's default logging interval (a row every 50 steps),
with a row every step (the worst case: ``log_every_n_steps=1``), and with the notebook's live
view, whose display is a stub that only receives the figures (so building them and the throttle
are measured). The progress bar is off, so the plain run is as fast as Lightning gets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
TARGET = 0.05  # overhead per epoch
CONFIGS: dict[str, dict[str, Any] | None] = {
    "without callback": None,
    "callback, a row every 50 steps": {"every": 50},
    "callback, a row every step": {"every": 1},
    "callback + live view, every 50": {"every": 50, "live": True},
}
TRAINING_HOOKS = (
    "on_train_start",
    "on_before_optimizer_step",
    "on_train_batch_end",
    "on_validation_end",
    "on_train_epoch_end",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="fits per configuration")
    parser.add_argument("--epochs", type=int, default=10, help="epochs per fit (first not timed)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.epochs < 2:
        parser.error("--repeat must be >= 1 and --epochs >= 2")

    os.environ["DEEPFIX_HOME"] = tempfile.mkdtemp(prefix="deepfix-bench-training-")
    import logging

    import torch

    torch.set_num_threads(args.threads)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    wall: dict[str, list[float]] = {name: [] for name in CONFIGS}
    cpu: dict[str, list[float]] = {name: [] for name in CONFIGS}
    hooks: dict[str, list[float]] = {name: [] for name in CONFIGS}
    ends: dict[str, list[float]] = {name: [] for name in CONFIGS}
    fit_once(None, 2)  # imports, the first MLflow store, the engine: warm up
    fit_once({"every": 50, "live": True}, 2)
    for _ in range(args.repeat):
        for name, config in CONFIGS.items():
            timer, inside, end = fit_once(config, args.epochs)
            wall[name] += timer.wall[1:]
            cpu[name] += timer.cpu[1:]
            hooks[name].append(inside / args.epochs)
            ends[name].append(end)

    base = statistics.median(cpu["without callback"])
    print(
        f"DeepFixCallback overhead: tiny MLP, 4096 samples, 64 steps/epoch, CPU "
        f"({args.threads} torch thread{'s' if args.threads > 1 else ''}), median of "
        f"{args.repeat} fits x {args.epochs - 1} timed epochs\n"
    )
    header = (
        f"{'configuration':<31} {'wall ms/ep':>10} {'cpu ms/ep':>9} {'overhead':>8} "
        f"{'in hooks':>8} {'target':>6} {'ok':>3} {'fit end ms':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, config in CONFIGS.items():
        per_wall = statistics.median(wall[name]) * 1000
        per_cpu = statistics.median(cpu[name]) * 1000
        if config is None:
            print(f"{name:<31} {per_wall:>10.1f} {per_cpu:>9.1f} {'-':>8} {'-':>8}")
            continue
        overhead = statistics.median(cpu[name]) / base - 1
        inside = statistics.median(hooks[name]) / base
        ok = "yes" if max(overhead, inside) < TARGET else "NO"
        end = statistics.median(ends[name]) * 1000
        print(
            f"{name:<31} {per_wall:>10.1f} {per_cpu:>9.1f} {overhead * 100:>7.1f}% "
            f"{inside * 100:>7.1f}% {'< 5%':>6} {ok:>3} {end:>10.0f}"
        )
    return 0


def fit_once(config: dict[str, Any] | None, epochs: int) -> tuple[EpochTimer, float, float]:
    """Fit once: (the epoch timer, CPU seconds inside the callback's training hooks, wall
    seconds from the end of training to fit's return)."""
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from deepfix_notebook import DeepFixCallback

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4096, 32, generator=g)
    y = (x[:, :10].argmax(1) + (x[:, 10] > 1).long()) % 10
    train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    val = DataLoader(TensorDataset(x[:512], y[:512]), batch_size=256)
    timer = EpochTimer()
    callbacks: list[Any] = [timer]
    every = 50
    callback: Any = None
    if config is not None:
        every = config["every"]
        callback = timed(DeepFixCallback)(analysis_mode="sync", verbose=False)
        if config.get("live"):
            from deepfix_notebook.training._monitor import NotebookSurface

            callback.surface = NotebookSurface(display=_stub_display)
        callbacks.append(callback)
    trainer = pl.Trainer(
        max_epochs=epochs,
        callbacks=callbacks,
        logger=False,
        log_every_n_steps=every,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=Path(os.environ["DEEPFIX_HOME"]) / "lightning",
    )
    trainer.fit(Mlp(), train, val)
    assert timer.last is not None
    end = time.perf_counter() - timer.last[0]
    return timer, 0.0 if callback is None else callback.inside, end


def timed(cls: type) -> type:
    """A subclass of ``cls`` that sums the CPU time spent in its training hooks (``inside``)."""

    def wrap(name: str) -> Any:
        hook = getattr(cls, name)

        def timed_hook(self: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return hook(self, *args, **kwargs)
            finally:
                self.inside += time.process_time() - start

        return timed_hook

    hooks = {name: wrap(name) for name in TRAINING_HOOKS}
    return type(f"Timed{cls.__name__}", (cls,), {"inside": 0.0, **hooks})


class _Handle:
    def update(self, bundle: Any, **_: Any) -> None:
        return None


def _stub_display(bundle: Any, **kwargs: Any) -> _Handle:
    return _Handle()


def _lightning() -> Any:
    import lightning.pytorch as pl

    return pl


class EpochTimer(_lightning().Callback):  # type: ignore[misc]
    """An epoch lasts from its start to the next one's (every epoch-end hook included); the last
    one to the end of training. Wall and process CPU time."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.last: tuple[float, float] | None = None

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        self._lap()

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._lap()

    def _lap(self) -> None:
        now = (time.perf_counter(), time.process_time())
        if self.last is not None:
            self.wall.append(now[0] - self.last[0])
            self.cpu.append(now[1] - self.last[1])
        self.last = now


class Mlp(_lightning().LightningModule):  # type: ignore[misc]
    def __init__(self) -> None:
        import torch

        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(32, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 64),
            torch.nn.ReLU(),
            torch.nn.Linear(64, 10),
        )

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        import torch

        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        import torch

        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self) -> Any:
        import torch

        return torch.optim.Adam(self.parameters(), lr=1e-3)


if __name__ == "__main__":
    sys.exit(main())
