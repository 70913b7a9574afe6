"""Logging conventions: how a run's records become the columns of its metrics.csv.

Styles are drawn deterministically from the case name (``choose_style``), restricted by what the
fault needs to be visible (gradient norm, learning rate, an evaluation every epoch). Four naming
conventions, as the loader accepts them (deepfix_notebook/artifacts/_names.py):

- ``keras``: one row per epoch, ``loss accuracy val_loss val_accuracy lr`` (CSVLogger); train
  metrics are running means over the epoch; accuracy sometimes in percent.
- ``canonical``: ``train_loss val_loss train_accuracy val_accuracy learning_rate grad_norm``, per
  epoch (running means, or the training set re-evaluated at the epoch end) or every k steps
  (noisy mini-batch losses), validation every epoch, every k epochs or every k steps.
- ``lightning``: CSVLogger of PyTorch Lightning: ``train_loss_step`` every ``log_every_n_steps``,
  ``train_loss_epoch``/``val_loss``/``val_acc`` at epoch ends, ``lr-Adam`` from
  LearningRateMonitor, integer ``epoch``.
- ``hf``: Hugging Face Trainer log history: ``loss`` (mean since the last log), ``grad_norm``,
  ``learning_rate`` every ``logging_steps``, ``eval_loss``/``eval_accuracy`` every epoch or every
  ``eval_steps``, fractional ``epoch``.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from measure import Series, View
from train import Config, Records

MAX_ROWS = 1500


@dataclass
class Style:
    convention: str  # keras | canonical | lightning | hf
    granularity: str = "epoch"  # epoch | step
    log_every: int = 1  # steps between logged training rows (step granularity)
    eval_every: int = 0  # steps between evaluations; 0: at epoch ends
    eval_epochs: int = 1  # evaluate every n epochs (eval_every == 0)
    acc_pct: bool = False
    grad_norm: bool = False
    lr: bool = True
    train_metric: str = "running"  # running | eval | window | last
    train_acc: bool = True
    lightning_step: bool = True
    lr_per_step: bool = True
    hf_summary: bool = False
    epoch_base: int = 0  # keras/canonical epoch column: 0- or 1-based
    params: bool = True

    def describe(self) -> str:
        parts = [self.convention]
        if self.granularity == "step":
            parts.append(f"train rows every {self.log_every} step(s)")
        else:
            parts.append("one row per epoch")
        if self.eval_every:
            parts.append(f"validation every {self.eval_every} steps")
        elif self.eval_epochs > 1:
            parts.append(f"validation every {self.eval_epochs} epochs")
        else:
            parts.append("validation every epoch")
        if self.train_metric == "eval":
            parts.append("train metrics re-evaluated at epoch end")
        elif self.train_metric == "running" and self.granularity == "epoch":
            parts.append("train metrics are running means over the epoch")
        if self.acc_pct:
            parts.append("accuracy in %")
        parts.append("grad_norm" if self.grad_norm else "no grad_norm")
        parts.append("lr logged" if self.lr else "no lr column")
        return ", ".join(parts)


def case_rng(case: str, salt: str = "") -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{case}|{salt}".encode()))


def choose_style(
    case: str, needs: set[str], epochs: int, per_epoch: int, task: str, optimizer: str
) -> Style:
    """A deterministic style for ``case`` that shows what ``needs`` asks for.

    needs: ``grad`` (log grad_norm), ``lr`` (log the learning rate), ``epoch_val`` (evaluate at
    epoch ends, every epoch), ``per_step`` (a row for every optimisation step), ``params``
    (write params.yaml), ``no_params``.
    """
    rng = case_rng(case, "style")
    total = epochs * per_epoch
    conv = str(rng.choice(["keras", "canonical", "lightning", "hf"], p=[0.25, 0.3, 0.2, 0.25]))
    if "per_step" in needs:  # every optimisation step logged (spikes must not be averaged away)
        conv = str(rng.choice(["canonical", "lightning", "hf"]))
        st = Style(conv, granularity="step", log_every=max(1, math.ceil(total / MAX_ROWS)))
        st.grad_norm, st.lr, st.lightning_step = True, True, True
        st.train_metric = "last"
        st.train_acc = conv != "hf" and bool(rng.random() < 0.5)
        st.params = "no_params" not in needs and bool(rng.random() < 0.7)
        if conv == "hf" and rng.random() < 0.5:
            st.eval_every = _eval_steps(rng, st.log_every, total, per_epoch)
        return st
    st = Style(conv)
    st.grad_norm = "grad" in needs or bool(rng.random() < 0.35)
    st.lr = "lr" in needs or bool(rng.random() < 0.75)
    st.params = ("params" in needs) or ("no_params" not in needs and bool(rng.random() < 0.7))
    dense = "epoch_val" in needs
    if conv == "keras":
        st.acc_pct = bool(rng.random() < 0.3)
        if not dense and epochs >= 16 and rng.random() < 0.2:
            st.eval_epochs = 2
    elif conv == "canonical":
        st.epoch_base = int(rng.integers(0, 2))
        if rng.random() < 0.55 or total < 40:
            st.train_metric = "eval" if rng.random() < 0.4 else "running"
            st.acc_pct = bool(rng.random() < 0.2)
            if not dense and epochs >= 16 and rng.random() < 0.3:
                st.eval_epochs = int(rng.choice([2, 4])) if epochs >= 24 else 2
        else:
            st.granularity = "step"
            choices = [1, 5, 10, 20] if total <= 800 else [5, 10, 20, 50]
            st.log_every = max(int(rng.choice(choices)), math.ceil(total / MAX_ROWS))
            st.train_metric = "last" if st.log_every == 1 or rng.random() < 0.3 else "window"
            st.train_acc = bool(rng.random() < 0.5)
            if not dense and rng.random() < 0.5:
                st.eval_every = _eval_steps(rng, st.log_every, total, per_epoch)
    elif conv == "lightning":
        st.granularity = "step"
        st.log_every = max(int(rng.choice([10, 20, 50])), math.ceil(total / MAX_ROWS))
        st.lightning_step = bool(rng.random() < 0.7)
        st.lr_per_step = bool(rng.random() < 0.5)
        if not dense and epochs >= 16 and rng.random() < 0.2:
            st.eval_epochs = 2
    else:  # hf
        st.granularity = "step"
        st.log_every = max(int(rng.choice([5, 10, 25, 50])), math.ceil(total / MAX_ROWS))
        st.log_every = min(st.log_every, max(1, total // 8))
        st.train_acc = False
        st.hf_summary = bool(rng.random() < 0.5)
        if not dense and rng.random() < 0.5:
            st.eval_every = _eval_steps(rng, st.log_every, total, per_epoch)
    if task != "clf":
        st.acc_pct = False
    return st


def _eval_steps(rng: np.random.Generator, log_every: int, total: int, per_epoch: int) -> int:
    """Evaluation every k steps, a multiple of log_every, with 8..60 evaluations in the run."""
    for _ in range(20):
        k = log_every * int(rng.integers(1, 11))
        if 8 <= total // k <= 60 and k != per_epoch:
            return k
    return 0


def apply_style(cfg: Config, st: Style) -> None:
    cfg.eval_every = st.eval_every
    cfg.eval_epochs = st.eval_epochs
    cfg.train_eval = st.train_metric == "eval"


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _r(value: float | None) -> float | None:
    """6 significant digits; NaN and inf stay as they are."""
    if value is None:
        return None
    value = float(value)
    return value if not math.isfinite(value) else float(f"{value:.6g}")


NAMES = {
    "keras": {
        "train_loss": "loss",
        "train_acc": "accuracy",
        "train_mae": "mae",
        "val_loss": "val_loss",
        "val_acc": "val_accuracy",
        "val_mae": "val_mae",
        "learning_rate": "lr",
        "grad_norm": "grad_norm",
    },
    "canonical": {
        "train_loss": "train_loss",
        "train_acc": "train_accuracy",
        "train_mae": "train_mae",
        "val_loss": "val_loss",
        "val_acc": "val_accuracy",
        "val_mae": "val_mae",
        "learning_rate": "learning_rate",
        "grad_norm": "grad_norm",
    },
    "lightning": {
        "train_loss": "train_loss",
        "train_acc": "train_acc",
        "train_mae": "train_mae",
        "val_loss": "val_loss",
        "val_acc": "val_acc",
        "val_mae": "val_mae",
        "learning_rate": "lr-{opt}",
        "grad_norm": "grad_2.0_norm_total",
    },
    "hf": {
        "train_loss": "loss",
        "train_acc": "accuracy",
        "train_mae": "mae",
        "val_loss": "eval_loss",
        "val_acc": "eval_accuracy",
        "val_mae": "eval_mae",
        "learning_rate": "learning_rate",
        "grad_norm": "grad_norm",
    },
}
LIGHTNING_OPT = {"sgd": "SGD", "momentum": "SGD", "adam": "Adam", "adamw": "AdamW"}


@dataclass
class Rendered:
    columns: dict[str, list[Any]]
    view: View


class _Table:
    def __init__(self) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.internal: dict[str, list[tuple[int, float, float]]] = {}
        self.epoch_level: dict[str, list[tuple[int, float, float]]] = {}

    def put(
        self,
        step: int,
        epoch_written: float | int,
        epoch_true: float,
        name: str,
        canon: str | None,
        value: float,
        *,
        scale: float = 1.0,
        epoch_level: bool = False,
    ) -> None:
        row = self.rows.setdefault(step, {"step": step, "epoch": epoch_written})
        row[name] = _r(value * scale)
        if canon is not None:
            target = self.epoch_level if epoch_level else self.internal
            target.setdefault(canon, []).append((step, epoch_true, float(value)))

    def render(self) -> Rendered:
        steps = sorted(self.rows)
        names: list[str] = ["step", "epoch"]
        for s in steps:
            for k in self.rows[s]:
                if k not in names:
                    names.append(k)
        columns = {n: [self.rows[s].get(n) for s in steps] for n in names}
        view = View()
        for canon, items in self.internal.items():
            items.sort(key=lambda t: t[0])
            view.series[canon] = _series(items)
        for canon, items in self.epoch_level.items():
            items.sort(key=lambda t: t[0])
            view.epoch_level[canon] = _series(items)
        return Rendered(columns, view)


def _series(items: list[tuple[int, float, float]]) -> Series:
    return Series(
        np.array([i[0] for i in items]),
        np.array([i[1] for i in items], float),
        np.array([i[2] for i in items], float),
    )


def render(rec: Records, st: Style, optimizer: str) -> Rendered:
    names = dict(NAMES[st.convention])
    names["learning_rate"] = names["learning_rate"].format(opt=LIGHTNING_OPT[optimizer])
    task = rec.task
    metric = {"clf": "acc", "reg": "mae"}.get(task)
    pct = 100.0 if st.acc_pct and task == "clf" else 1.0
    pe = rec.steps_per_epoch
    t = _Table()
    n_steps = rec.total_steps

    def epoch_bounds(e: int) -> tuple[int, int]:
        return (e - 1) * pe, min(e * pe, n_steps)

    def written_epoch(e: int) -> int:
        return e - 1 + st.epoch_base

    evals_by_step = {int(ev["step"]): ev for ev in rec.evals}

    def put_eval(ev: dict[str, float], epoch_written: float | int) -> None:
        s = int(ev["step"])
        t.put(s, epoch_written, ev["epoch"], names["val_loss"], "val_loss", ev["val_loss"])
        if metric == "acc":
            t.put(
                s,
                epoch_written,
                ev["epoch"],
                names["val_acc"],
                "val_acc",
                ev["val_metric"],
                scale=pct,
            )
        elif metric == "mae":
            t.put(s, epoch_written, ev["epoch"], names["val_mae"], "val_mae", ev["val_metric"])

    if st.granularity == "epoch":  # keras / canonical per-epoch rows
        for e in range(1, rec.epochs_done + 1):
            a, b = epoch_bounds(e)
            if b <= a:
                continue
            s, we = rec.step[b - 1], written_epoch(e)
            ev = evals_by_step.get(s)
            if st.train_metric == "eval" and ev is not None and "train_eval_loss" in ev:
                loss, met = ev["train_eval_loss"], ev["train_eval_metric"]
            else:
                loss = _mean(rec.loss[a:b])
                met = _mean(rec.acc[a:b])
            t.put(s, we, float(e), names["train_loss"], "train_loss", loss)
            t.epoch_level.setdefault("train_loss", []).append((s, float(e), loss))
            if metric == "acc" and st.train_acc:
                t.put(s, we, float(e), names["train_acc"], "train_acc", met, scale=pct)
                t.epoch_level.setdefault("train_acc", []).append((s, float(e), met))
            elif metric == "mae" and st.train_acc:
                t.put(s, we, float(e), names["train_mae"], "train_mae", met)
            if ev is not None:
                put_eval(ev, we)
            if st.lr:
                t.put(s, we, float(e), names["learning_rate"], "learning_rate", rec.lr[b - 1])
            if st.grad_norm:
                t.put(s, we, float(e), names["grad_norm"], "grad_norm", _mean(rec.grad[a:b]))
        return t.render()

    # step granularity
    conv = st.convention
    last = 0
    for i in range(n_steps):
        s = rec.step[i]
        if s % st.log_every and s != n_steps:
            continue
        ep_true = rec.epoch[i]
        current_epoch = math.ceil(ep_true - 1e-9) - 1  # 0-based epoch the step belongs to
        we: float | int = current_epoch if conv == "lightning" else round(ep_true, 4)
        window = slice(last, i + 1)
        last = i + 1
        if conv == "lightning":
            if st.lightning_step:
                t.put(s, we, ep_true, "train_loss_step", "train_loss", rec.loss[i])
                if metric == "acc" and st.train_acc:
                    t.put(s, we, ep_true, "train_acc_step", "train_acc", rec.acc[i])
            if st.lr and st.lr_per_step:
                t.put(s, we, ep_true, names["learning_rate"], "learning_rate", rec.lr[i])
            if st.grad_norm and st.lightning_step:
                t.put(s, we, ep_true, names["grad_norm"], "grad_norm", rec.grad[i])
            continue
        loss = rec.loss[i] if st.train_metric == "last" else _mean(rec.loss[window])
        t.put(s, we, ep_true, names["train_loss"], "train_loss", loss)
        if metric == "acc" and st.train_acc and conv != "hf":
            acc = rec.acc[i] if st.train_metric == "last" else _mean(rec.acc[window])
            t.put(s, we, ep_true, names["train_acc"], "train_acc", acc)
        if st.lr:
            t.put(s, we, ep_true, names["learning_rate"], "learning_rate", rec.lr[i])
        if st.grad_norm:
            t.put(s, we, ep_true, names["grad_norm"], "grad_norm", rec.grad[i])

    if conv == "lightning":  # epoch-end rows
        for e in range(1, rec.epochs_done + 1):
            a, b = epoch_bounds(e)
            if b <= a:
                continue
            s, we = rec.step[b - 1], e - 1
            key = "train_loss_epoch" if st.lightning_step else "train_loss"
            loss = _mean(rec.loss[a:b])
            t.put(s, we, float(e), key, "train_loss", loss, epoch_level=True)
            if metric == "acc" and st.train_acc:
                key = "train_acc_epoch" if st.lightning_step else "train_acc"
                t.put(s, we, float(e), key, "train_acc", _mean(rec.acc[a:b]), epoch_level=True)
            if st.lr and not st.lr_per_step:
                t.put(s, we, float(e), names["learning_rate"], "learning_rate", rec.lr[b - 1])
            if st.grad_norm and not st.lightning_step:
                t.put(s, we, float(e), names["grad_norm"], "grad_norm", _mean(rec.grad[a:b]))
        if not st.lightning_step:  # the epoch rows are the only train rows: view them as such
            for canon in ("train_loss", "train_acc"):
                if canon in t.epoch_level:
                    t.internal[canon] = list(t.epoch_level[canon])
    for ev in rec.evals:
        ep_true = ev["epoch"]
        we = (math.ceil(ep_true - 1e-9) - 1) if conv == "lightning" else round(ep_true, 4)
        put_eval(ev, we)
    if conv == "hf" and st.hf_summary and n_steps:
        t.put(n_steps, round(rec.epoch[-1], 4), rec.epoch[-1], "train_loss", None, _mean(rec.loss))
    return t.render()


def _mean(values: list[float]) -> float:
    arr = np.asarray(values, float)
    if not len(arr):
        return math.nan
    return float(arr.mean())


# --------------------------------------------------------------------------------------------
# params.yaml
# --------------------------------------------------------------------------------------------

SCHEDULE_NAMES = {
    "constant": None,
    "warmup_cosine": "linear_warmup_cosine",
    "warmup_linear": "linear_warmup_linear_decay",
    "cosine": "CosineAnnealingLR",
    "step": "StepLR",
    "plateau": "ReduceLROnPlateau",
    "warmup": "linear_warmup",
}


def params_for(
    st: Style, cfg: Config, model_name: str, loss_name: str, extra: dict[str, Any]
) -> dict[str, Any]:
    """params.yaml in the dialect of the style's framework."""
    sched = SCHEDULE_NAMES[cfg.schedule]
    conv = st.convention
    out: dict[str, Any]
    if conv == "keras":
        out = {
            "model": model_name,
            "optimizer": {"sgd": "SGD", "momentum": "SGD", "adam": "Adam", "adamw": "AdamW"}[
                cfg.optimizer
            ],
            "lr": cfg.lr,
            "batch_size": cfg.batch_size,
            "epochs": cfg.epochs,
            "loss": loss_name,
        }
        if cfg.optimizer == "momentum":
            out["momentum"] = cfg.momentum
        if cfg.weight_decay:
            out["weight_decay"] = cfg.weight_decay
        if sched:
            out["scheduler"] = sched
        if cfg.early_stopping is not None:
            out["callbacks"] = {
                "EarlyStopping": {
                    "monitor": "val_loss",
                    "patience": cfg.early_stopping,
                    "min_delta": cfg.min_delta,
                }
            }
        if cfg.clip is not None:
            out["clipnorm"] = cfg.clip
    elif conv == "hf":
        out = {
            "model_name_or_path": model_name,
            "optim": {
                "sgd": "sgd",
                "momentum": "sgd",
                "adam": "adamw_torch",
                "adamw": "adamw_torch",
            }[cfg.optimizer],
            "learning_rate": cfg.lr,
            "weight_decay": cfg.weight_decay,
            "num_train_epochs": cfg.epochs,
            "per_device_train_batch_size": cfg.batch_size,
            "lr_scheduler_type": {
                None: "constant",
                "linear_warmup_cosine": "cosine",
                "linear_warmup_linear_decay": "linear",
                "CosineAnnealingLR": "cosine",
                "StepLR": "step",
                "ReduceLROnPlateau": "reduce_lr_on_plateau",
                "linear_warmup": "constant_with_warmup",
            }[sched],
            "warmup_ratio": cfg.warmup_frac if "warmup" in cfg.schedule else 0.0,
            "max_grad_norm": cfg.clip if cfg.clip is not None else 0.0,
            "logging_steps": st.log_every,
            "eval_strategy": "steps" if st.eval_every else "epoch",
        }
        if st.eval_every:
            out["eval_steps"] = st.eval_every
        if cfg.early_stopping is not None:
            out["early_stopping_patience"] = cfg.early_stopping
            out["early_stopping_threshold"] = cfg.min_delta
    elif conv == "lightning":
        out = {
            "model": {"class_path": model_name, "loss": loss_name},
            "optimizer": {
                "name": LIGHTNING_OPT[cfg.optimizer],
                "lr": cfg.lr,
                "weight_decay": cfg.weight_decay,
            },
            "trainer": {
                "max_epochs": cfg.epochs,
                "log_every_n_steps": st.log_every,
                "check_val_every_n_epoch": st.eval_epochs,
            },
            "data": {"batch_size": cfg.batch_size},
        }
        if cfg.optimizer == "momentum":
            out["optimizer"]["momentum"] = cfg.momentum
        if sched:
            out["lr_scheduler"] = sched
        if cfg.clip is not None:
            out["trainer"]["gradient_clip_val"] = cfg.clip
        if cfg.early_stopping is not None:
            out["callbacks"] = [
                {
                    "EarlyStopping": {
                        "monitor": "val_loss",
                        "patience": cfg.early_stopping,
                        "min_delta": cfg.min_delta,
                    }
                }
            ]
    else:
        out = {
            "model_name": model_name,
            "optimizer": cfg.optimizer if cfg.optimizer != "momentum" else "sgd_momentum",
            "learning_rate": cfg.lr,
            "batch_size": cfg.batch_size,
            "num_epochs": cfg.epochs,
            "weight_decay": cfg.weight_decay,
            "loss_function": loss_name,
        }
        if sched:
            out["scheduler"] = sched
        if cfg.clip is not None:
            out["grad_clip"] = cfg.clip
        if cfg.early_stopping is not None:
            out["early_stopping"] = {"patience": cfg.early_stopping, "min_delta": cfg.min_delta}
    out.update(extra)
    return out
