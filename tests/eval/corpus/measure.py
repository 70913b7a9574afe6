"""Simple, explicit curve measurements on what a run LOGGED (never on the DeepFix engine).

``View`` holds the logged series under canonical names (accuracy in [0, 1]); ``Measures``
computes the figures the fault bars and the label audit use. Train-loss figures use the
epoch-level series (the mean of the logged train values of each epoch), so per-step mini-batch
noise is not mistaken for a spike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Array = np.ndarray


@dataclass
class Series:
    step: Array
    epoch: Array
    value: Array

    def __len__(self) -> int:
        return len(self.value)


@dataclass
class View:
    """Canonical logged series: train_loss, val_loss, train_acc, val_acc, grad_norm, lr, ...

    ``train_epoch_loss`` / ``train_epoch_acc`` are set when the style logs epoch aggregates
    itself (Keras, Lightning ``*_epoch``); otherwise they are derived from the logged values.
    """

    series: dict[str, Series] = field(default_factory=dict)
    epoch_level: dict[str, Series] = field(default_factory=dict)

    def get(self, name: str) -> Series | None:
        return self.series.get(name)


def _epoch_groups(s: Series) -> Array:
    """Mean of the logged values per epoch (fractional epochs grouped by their ceiling)."""
    if not len(s):
        return np.array([])
    ep = np.ceil(np.round(s.epoch, 4) - 1e-9).astype(int)
    out = []
    for e in np.unique(ep):
        vals = s.value[ep == e]
        out.append(float(np.mean(vals)) if np.all(np.isfinite(vals)) else math.nan)
    return np.array(out)


def spikes(values: Array, rise: float = 0.3, floor: float = 0.1) -> int:
    """Rises of more than ``rise`` over the previous value that are also larger than ``floor``
    times the first value (so jitter around a tiny loss does not count)."""
    v = np.asarray(values, float)
    if len(v) < 3:
        return 0
    ref = abs(v[0]) if np.isfinite(v[0]) else 1.0
    count = 0
    for a, b in itertools_pairs(v):
        if np.isfinite(a) and np.isfinite(b) and b > (1 + rise) * a and b - a > floor * ref:
            count += 1
    return count


def itertools_pairs(v: Array) -> list[tuple[float, float]]:
    return list(zip(v[:-1].tolist(), v[1:].tolist(), strict=True))


def rise_from_best(values: Array, floor: float = 0.1) -> float:
    """max over t of value[t] / min(value[:t]) (finite values only): how far the curve climbed
    above its best so far. Rises smaller than ``floor`` x the first value do not count (so a
    loss of 0.02 going to 0.03 is not a 1.5x blow-up)."""
    v = np.asarray(values, float)
    fin = v[np.isfinite(v)]
    if not len(fin):
        return math.nan
    ref = abs(fin[0])
    best, worst = math.inf, 1.0
    for x in fin:
        if best < math.inf and best > 0 and x - best >= floor * ref:
            worst = max(worst, x / best)
        best = min(best, x)
    return worst


@dataclass
class Measures:
    """The figures; every bar in faults.py reads one of these."""

    task: str
    chance: float
    view: View
    nonfinite: bool = False
    first_nonfinite_epoch: float | None = None
    train_epoch: Array = field(default_factory=lambda: np.array([]))
    val: Array = field(default_factory=lambda: np.array([]))
    val_epoch: Array = field(default_factory=lambda: np.array([]))
    train_acc_epoch: Array = field(default_factory=lambda: np.array([]))
    val_acc: Array = field(default_factory=lambda: np.array([]))
    grad: Array = field(default_factory=lambda: np.array([]))
    lr: Array = field(default_factory=lambda: np.array([]))
    epochs_logged: int = 0

    # ---- train loss ------------------------------------------------------------------------
    @property
    def fall(self) -> float:
        """Fraction by which the epoch-level train loss fell from the first to the last epoch."""
        e = self.train_epoch
        if len(e) < 2 or not (np.isfinite(e[0]) and np.isfinite(e[-1])) or e[0] == 0:
            return math.nan
        return float(1 - e[-1] / e[0])

    @property
    def flat_range(self) -> float:
        """(max - min) / first of the epoch-level train loss: how much it moved at all."""
        e = self.train_epoch[np.isfinite(self.train_epoch)]
        if len(e) < 2 or e[0] == 0:
            return math.nan
        return float((e.max() - e.min()) / abs(e[0]))

    @property
    def late_gain(self) -> float:
        """Share of the total train-loss improvement made in the last quarter of the epochs."""
        return late_gain(self.train_epoch)

    @property
    def val_late_gain(self) -> float:
        return late_gain(self.val)

    @property
    def train_rise(self) -> float:
        return rise_from_best(self.train_epoch)

    @property
    def raw_rise(self) -> float:
        """rise_from_best on every logged train value (mini-batch level)."""
        s = self.view.get("train_loss")
        return rise_from_best(s.value) if s is not None else math.nan

    @property
    def train_spikes(self) -> int:
        return spikes(self.train_epoch)

    @property
    def val_spikes(self) -> int:
        return spikes(self.val)

    @property
    def val_acc_drops(self) -> int:
        """Evaluations where validation accuracy fell by more than 0.1 from the previous one."""
        a = self.val_acc
        return int(np.sum(np.diff(a) < -0.1)) if len(a) > 2 else 0

    # ---- validation ------------------------------------------------------------------------
    @property
    def val_rise(self) -> float:
        """last val loss / min val loss - 1."""
        v = self.val[np.isfinite(self.val)]
        if len(v) < 2 or v.min() <= 0:
            return math.nan
        return float(self.val[-1] / v.min() - 1) if np.isfinite(self.val[-1]) else math.nan

    @property
    def val_rise_abs(self) -> float:
        """(last val loss - min val loss) / first val loss."""
        v = self.val[np.isfinite(self.val)]
        if len(v) < 2 or not np.isfinite(self.val[-1]) or v[0] <= 0:
            return math.nan
        return float((self.val[-1] - v.min()) / v[0])

    @property
    def val_late_mean_rise(self) -> float:
        """mean of the last third of val loss / min val loss - 1."""
        v = self.val[np.isfinite(self.val)]
        if len(v) < 3 or v.min() <= 0:
            return math.nan
        return float(v[2 * len(v) // 3 :].mean() / v.min() - 1)

    @property
    def val_late_mean_abs(self) -> float:
        v = self.val[np.isfinite(self.val)]
        if len(v) < 3 or v[0] <= 0:
            return math.nan
        return float((v[2 * len(v) // 3 :].mean() - v.min()) / v[0])

    @property
    def last_gain(self) -> float:
        """Relative improvement of the epoch-level train loss over the last epoch."""
        e = self.train_epoch
        if len(e) < 2 or not (np.isfinite(e[-1]) and np.isfinite(e[-2])) or e[-2] <= 0:
            return math.nan
        return float((e[-2] - e[-1]) / e[-2])

    @property
    def val_last_gain(self) -> float:
        """Relative improvement of the val loss over the last evaluation."""
        v = self.val
        if len(v) < 2 or not (np.isfinite(v[-1]) and np.isfinite(v[-2])) or v[-2] <= 0:
            return math.nan
        return float((v[-2] - v[-1]) / v[-2])

    @property
    def val_best_pos(self) -> float:
        """Position of the minimum val loss in [0, 1] of the evaluations."""
        v = np.where(np.isfinite(self.val), self.val, np.inf)
        if len(v) < 2:
            return math.nan
        return float(np.argmin(v) / (len(v) - 1))

    @property
    def evals_after_best(self) -> int:
        v = np.where(np.isfinite(self.val), self.val, np.inf)
        return int(len(v) - 1 - np.argmin(v)) if len(v) else 0

    def train_at_val_best(self) -> float:
        """Epoch-level train loss at the epoch of the best val loss."""
        v = np.where(np.isfinite(self.val), self.val, np.inf)
        if not len(v) or not len(self.train_epoch):
            return math.nan
        ep = self.val_epoch[int(np.argmin(v))]
        i = min(len(self.train_epoch) - 1, max(0, math.ceil(ep - 1e-9) - 1))
        return float(self.train_epoch[i])

    @property
    def train_fall_after_val_best(self) -> float:
        """Fraction the train loss fell between the best-val epoch and the end."""
        t = self.train_at_val_best()
        if not np.isfinite(t) or t <= 0 or not np.isfinite(self.train_epoch[-1]):
            return math.nan
        return float(1 - self.train_epoch[-1] / t)

    def val_vs_train(self, second_half: bool = True) -> float:
        """Share of evaluations (second half) where val loss < 0.9 x the epoch-level train loss
        of the same epoch."""
        if not len(self.val) or not len(self.train_epoch):
            return math.nan
        idx = range(len(self.val) // 2 if second_half else 0, len(self.val))
        hits, n = 0, 0
        for i in idx:
            ep = self.val_epoch[i]
            j = min(len(self.train_epoch) - 1, max(0, math.ceil(ep - 1e-9) - 1))
            t, v = self.train_epoch[j], self.val[i]
            if np.isfinite(t) and np.isfinite(v):
                n += 1
                hits += v < 0.9 * t
        return hits / n if n else math.nan

    @property
    def plateau_gain(self) -> float:
        """Relative val-loss improvement of the last 60% of evaluations over the first 40%."""
        v = self.val
        if len(v) < 10 or not np.all(np.isfinite(v)):
            return math.nan
        k = round(0.4 * len(v))
        head, tail = v[:k].min(), v[k:].min()
        return float((head - tail) / head) if head > 0 else math.nan

    # ---- accuracy --------------------------------------------------------------------------
    @property
    def final_val_acc(self) -> float:
        a = self.val_acc[np.isfinite(self.val_acc)]
        return float(np.mean(a[-2:])) if len(a) else math.nan

    @property
    def max_val_acc(self) -> float:
        a = self.val_acc[np.isfinite(self.val_acc)]
        return float(a.max()) if len(a) else math.nan

    @property
    def final_train_acc(self) -> float:
        a = self.train_acc_epoch[np.isfinite(self.train_acc_epoch)]
        return float(a[-1]) if len(a) else math.nan

    @property
    def poor_bar(self) -> float:
        """Underfitting bar: chance + 25% of the way from chance to 1."""
        return self.chance + 0.25 * (1 - self.chance)

    @property
    def good_bar(self) -> float:
        """A sensible classifier: chance + 50% of the way from chance to 1."""
        return self.chance + 0.5 * (1 - self.chance)

    # ---- gradients -------------------------------------------------------------------------
    @property
    def grad_early(self) -> float:
        g = self.grad[np.isfinite(self.grad)]
        return float(np.median(g[: max(1, len(g) // 10)])) if len(g) else math.nan

    @property
    def grad_late(self) -> float:
        g = self.grad
        tail = g[-max(1, len(g) // 4) :]
        tail = tail[np.isfinite(tail)]
        return float(np.median(tail)) if len(tail) else math.nan

    @property
    def grad_max(self) -> float:
        g = self.grad[np.isfinite(self.grad)]
        return float(g.max()) if len(g) else math.nan

    @property
    def grad_growth(self) -> float:
        """max gradient norm / median of the first 10% of logged gradient norms."""
        e = self.grad_early
        return self.grad_max / e if e and np.isfinite(e) and e > 0 else math.nan

    @property
    def grad_nonfinite(self) -> bool:
        return bool(len(self.grad) and not np.all(np.isfinite(self.grad)))


def late_gain(values: Array) -> float:
    e = np.asarray(values, float)
    if len(e) < 3 or not np.all(np.isfinite(e)):
        return math.nan
    q = math.floor(0.75 * (len(e) - 1))
    total = e[0] - e[-1]
    return float((e[q] - e[-1]) / total) if total > 0 else math.nan


def measure(view: View, task: str, chance: float) -> Measures:
    m = Measures(task=task, chance=chance, view=view)
    for name, s in view.series.items():
        if name in ("learning_rate", "grad_norm"):
            continue
        bad = ~np.isfinite(s.value)
        if bad.any():
            m.nonfinite = True
            ep = float(s.epoch[np.argmax(bad)])
            m.first_nonfinite_epoch = (
                ep if m.first_nonfinite_epoch is None else min(ep, m.first_nonfinite_epoch)
            )
    if (s := view.epoch_level.get("train_loss")) is not None:
        m.train_epoch = s.value
    elif (s := view.get("train_loss")) is not None:
        m.train_epoch = _epoch_groups(s)
    m.epochs_logged = len(m.train_epoch)
    if (s := view.get("val_loss")) is not None:
        m.val, m.val_epoch = s.value, s.epoch
    if (s := view.epoch_level.get("train_acc")) is not None:
        m.train_acc_epoch = s.value
    elif (s := view.get("train_acc")) is not None:
        m.train_acc_epoch = _epoch_groups(s)
    if (s := view.get("val_acc")) is not None:
        m.val_acc = s.value
    if (s := view.get("grad_norm")) is not None:
        m.grad = s.value
    if (s := view.get("learning_rate")) is not None:
        m.lr = s.value
    return m
