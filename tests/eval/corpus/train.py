"""A plain PyTorch training loop that records what a practitioner could log.

Every optimisation step records the mini-batch loss (and accuracy), the global L2 gradient norm
before clipping and the learning rate; every evaluation records the validation loss and metric.
``logstyles.py`` turns these records into the columns of one logging convention.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

Array = np.ndarray


@dataclass
class Config:
    optimizer: str = "adam"  # sgd | momentum | adam | adamw
    lr: float = 1e-3
    epochs: int = 20
    batch_size: int = 32
    weight_decay: float = 0.0
    momentum: float = 0.9
    schedule: str = "constant"  # constant | warmup_cosine | warmup_linear | cosine | step | plateau
    warmup_frac: float = 0.05
    step_epochs: int = 10
    gamma: float = 0.3
    plateau_patience: int = 2
    plateau_factor: float = 0.3
    clip: float | None = None
    early_stopping: int | None = None  # patience, in evaluations
    min_delta: float = 0.0
    loss: str = "default"  # default | ce_naive | bce_naive | msle_naive | bce_naive_recon
    eval_every: int = 0  # evaluate every n steps; 0: at the end of every `eval_epochs` epochs
    eval_epochs: int = 1
    train_eval: bool = False  # also evaluate the whole training set at each evaluation
    stale_optimizer: bool = False  # bug: the optimizer holds another model's parameters

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Records:
    task: str
    steps_per_epoch: int
    planned_epochs: int
    step: list[int] = field(default_factory=list)
    epoch: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    acc: list[float] = field(default_factory=list)
    grad: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    epochs_done: int = 0
    stopped_early: bool = False

    @property
    def total_steps(self) -> int:
        return len(self.step)


def _loss_fn(name: str, task: str) -> Any:
    if name == "default":
        if task == "clf":
            return F.cross_entropy
        if task == "reg":
            return lambda z, y: F.mse_loss(z[:, 0], y)
        return F.mse_loss
    if name == "ce_naive":  # softmax written out: exp overflows for large logits

        def ce_naive(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            e = torch.exp(z)
            p = e / e.sum(1, keepdim=True)
            return -torch.log(p[torch.arange(len(y)), y]).mean()

        return ce_naive
    if name == "bce_naive":  # one logit, sigmoid then log without clipping: 0 * log(0) = NaN

        def bce_naive(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            p = torch.sigmoid(z[:, 0])
            t = y.float()
            return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()

        return bce_naive
    if name == "msle_naive":  # log1p of an unconstrained output: NaN once it goes below -1

        def msle_naive(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return ((torch.log1p(z[:, 0]) - torch.log1p(y)) ** 2).mean()

        return msle_naive
    if name == "gnll_naive":  # Gaussian NLL; variance = raw output + 1, no softplus

        def gnll_naive(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            mu, var = z[:, 0], z[:, 1] + 1.0
            return (0.5 * torch.log(var) + (y - mu) ** 2 / (2 * var)).mean()

        return gnll_naive
    if name == "bce_naive_recon":  # reconstruction BCE written out on sigmoid outputs

        def bce_recon(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            p = torch.sigmoid(z)
            return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

        return bce_recon
    raise ValueError(name)


def _metric(task: str, out: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy for classification, mean absolute error for regression, nan otherwise."""
    if task == "clf":
        pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
        return float((pred == y).float().mean())
    if task == "reg":
        return float((out[:, 0] - y).abs().mean())
    return math.nan


def _forward_target(task: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x.reshape(len(x), -1) if task == "recon" else y


def _make_optimizer(cfg: Config, params: Any) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "momentum":
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise ValueError(cfg.optimizer)


def lr_factor(cfg: Config, step: int, total: int, per_epoch: int) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) for the scheduled kinds."""
    warm = max(1, int(cfg.warmup_frac * total))
    if cfg.schedule in ("constant", "plateau"):
        return 1.0
    if cfg.schedule == "step":
        return cfg.gamma ** (step // (cfg.step_epochs * per_epoch))
    if cfg.schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    if cfg.schedule == "warmup_cosine":
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))
    if cfg.schedule == "warmup_linear":
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total - step) / max(1, total - warm))
    if cfg.schedule == "warmup":
        return min(1.0, (step + 1) / warm)
    raise ValueError(cfg.schedule)


def evaluate(
    model: nn.Module, loss_fn: Any, task: str, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = float(loss_fn(out, _forward_target(task, x, y)))
        metric = _metric(task, out, y)
    model.train()
    return loss, metric


def fit(
    model: nn.Module,
    cfg: Config,
    task: str,
    xtr: Array,
    ytr: Array,
    xva: Array,
    yva: Array,
    seed: int,
) -> Records:
    """Mini-batch training of ``model``; returns the records of every step and evaluation."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(xtr, dtype=torch.float32)
    xv = torch.as_tensor(xva, dtype=torch.float32)
    ydt = torch.long if task == "clf" else torch.float32
    y = torch.as_tensor(ytr, dtype=ydt)
    yv = torch.as_tensor(yva, dtype=ydt)
    loss_fn = _loss_fn(cfg.loss, task)
    opt_params = copy.deepcopy(model).parameters() if cfg.stale_optimizer else model.parameters()
    opt = _make_optimizer(cfg, opt_params)
    params = [p for p in model.parameters() if p.requires_grad]
    n = len(x)
    per_epoch = math.ceil(n / cfg.batch_size)
    total = per_epoch * cfg.epochs
    rec = Records(task, per_epoch, cfg.epochs)
    best, wait, plateau_best, plateau_wait, scale = math.inf, 0, math.inf, 0, 1.0
    step = 0
    max_norm = cfg.clip if cfg.clip is not None else math.inf

    def do_eval(epoch_value: float) -> float:
        vloss, vmetric = evaluate(model, loss_fn, task, xv, yv)
        row = {"step": step, "epoch": epoch_value, "val_loss": vloss, "val_metric": vmetric}
        if cfg.train_eval:
            tloss, tmetric = evaluate(model, loss_fn, task, x, y)
            row.update(train_eval_loss=tloss, train_eval_metric=tmetric)
        rec.evals.append(row)
        return vloss

    stop = False
    model.train()
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            xb, yb = x[idx], y[idx]
            lr = cfg.lr * lr_factor(cfg, step, total, per_epoch) * scale
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad(set_to_none=True)
            out = model(xb)
            loss = loss_fn(out, _forward_target(task, xb, yb))
            loss.backward()
            norm = float(nn.utils.clip_grad_norm_(params, max_norm, foreach=True))
            opt.step()
            step += 1
            rec.step.append(step)
            rec.epoch.append(round(step / per_epoch, 4))
            rec.loss.append(float(loss.detach()))
            rec.acc.append(_metric(task, out.detach(), yb))
            rec.grad.append(norm)
            rec.lr.append(lr)
            if cfg.eval_every and step % cfg.eval_every == 0:
                vloss = do_eval(round(step / per_epoch, 4))
                if cfg.early_stopping is not None:
                    if vloss < best - cfg.min_delta:
                        best, wait = vloss, 0
                    else:
                        wait += 1
                        stop = wait >= cfg.early_stopping
                if stop:
                    break
        rec.epochs_done = epoch + 1
        if stop:
            rec.stopped_early = True
            break
        if not cfg.eval_every and (
            (epoch + 1) % cfg.eval_epochs == 0 or epoch == cfg.epochs - 1 or cfg.early_stopping
        ):
            vloss = do_eval(float(epoch + 1))
            if cfg.schedule == "plateau":
                if vloss < plateau_best * (1 - 1e-4):
                    plateau_best, plateau_wait = vloss, 0
                else:
                    plateau_wait += 1
                    if plateau_wait > cfg.plateau_patience:
                        scale *= cfg.plateau_factor
                        plateau_wait = 0
            if cfg.early_stopping is not None:
                if vloss < best - cfg.min_delta:
                    best, wait = vloss, 0
                else:
                    wait += 1
                    if wait >= cfg.early_stopping:
                        rec.stopped_early = epoch + 1 < cfg.epochs
                        break
    return rec


def predict(model: nn.Module, x: Array) -> Array:
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(x, dtype=torch.float32))
    return ((out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)).numpy()
