"""Faults: real mechanisms injected into a program, and the bar that decides whether they show.

Each fault changes the data, the model or the training configuration of a program
(``setup``/``after_split``), and after training decides from simple curve measurements
(``measure.py``, on the logged columns) whether its symptom is visible (``verdict``). A case whose
figure misses the bar is dropped by the generator and listed in dropped.yaml.

Labels follow tests/eval/README.md: ``expect`` only what the mechanism certainly produces and the
curve visibly shows, ``expect_any`` alternatives naming the same thing, and the generator adds
``forbid`` from explicit audit rules (``can_forbid``) for every other code the curve clearly
contradicts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import make_cases as mc
import numpy as np
from measure import Measures
from programs import ModelSpec, Program, Raw
from torch import nn
from train import Config

Array = np.ndarray

TRAINING_CODES = list(mc.TRAINING_CODES)
DATA_CODES = list(mc.DATA_CODES)
DEEPCHECKS_CODES = list(mc.DEEPCHECKS_CODES)
ALL_CODES = list(mc.ALL_CODES)
HEALTHY_FORBID = list(mc.HEALTHY_FORBID)


# --------------------------------------------------------------------------------------------
# the run context
# --------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    """Everything one case needs, filled in step by step by the generator and the fault."""

    case: str
    program: Program
    fault: str
    idx: int
    seed: int
    rng: np.random.Generator
    raw: Raw
    task: str
    spec: ModelSpec
    cfg: Config
    val_fraction: float
    class_names: list[str]
    needs: set[str] = field(default_factory=set)
    normalize: bool = True
    std_targets: bool = True
    loss_name: str = "cross_entropy"
    xtr: Array | None = None
    ytr: Array | None = None
    xva: Array | None = None
    yva: Array | None = None
    xtr_raw: Array | None = None  # inputs as stored (before the model's normalisation)
    xva_raw: Array | None = None
    n_out: int = 1
    want_metadata: bool = False
    want_statistics: bool = False
    checks: set[str] = field(default_factory=set)  # deepchecks to compute
    mech: list[str] = field(default_factory=list)  # mechanism sentences for the note
    facts: dict[str, Any] = field(default_factory=dict)
    params_extra: dict[str, Any] = field(default_factory=dict)
    meta_extra: dict[str, Any] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)
    injected: Array | None = None
    model: nn.Module | None = None
    deepchecks_suites: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dataset_name: str = ""

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def choice(self, salt: str, options: list[Any]) -> Any:
        r = np.random.default_rng(abs(hash_str(f"{self.case}|{salt}")))
        return options[int(r.integers(0, len(options)))]


def hash_str(text: str) -> int:
    import zlib

    return zlib.crc32(text.encode())


@dataclass
class Verdict:
    ok: bool
    figure: str
    bar: str
    expect: list[str] = field(default_factory=list)
    expect_any: list[str] = field(default_factory=list)
    symptom: str = ""
    open: list[str] = field(default_factory=list)  # extra codes left open by what the curve shows
    loosened: list[str] = field(default_factory=list)  # notes on codes left open


def fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}g}"


# --------------------------------------------------------------------------------------------
# audit rules: when the curve clearly contradicts a code (so it may be forbidden)
# --------------------------------------------------------------------------------------------


def can_forbid(code: str, m: Measures, ctx: Ctx) -> bool:
    """True when the logged curves clearly contradict ``code`` (explicit, simple rules)."""
    has_grad = len(m.grad) > 0
    base = ctx.facts.get("baseline", math.nan)
    if code == "nan_loss":
        return not m.nonfinite
    if code == "exploding_loss":
        v_rise = _rise(m.val)
        return (not m.nonfinite) and m.train_rise <= 1.5 and v_rise <= 2.0
    if code == "exploding_gradients":
        grads_ok = (not has_grad) or (m.grad_max < 100 and (m.grad_growth < 30 or m.grad_max < 10))
        return (not m.nonfinite) and grads_ok and m.train_rise <= 1.5
    if code == "vanishing_gradients":
        grads_ok = (not has_grad) or m.grad_late >= 1e-3
        return grads_ok and m.fall >= 0.25
    if code == "loss_not_decreasing":
        return m.fall >= 0.25
    if code == "underfitting":
        if ctx.task == "clf":
            train_ok = (not len(m.train_acc_epoch)) or m.final_train_acc >= m.good_bar
            return m.final_val_acc >= m.good_bar and train_ok
        if not (base > 0) or not len(m.train_epoch):
            return False
        last_val = m.val[-1] if len(m.val) else math.nan
        return bool(m.train_epoch[-1] <= 0.6 * base and last_val <= 0.7 * base)
    if code == "overfitting":
        end_ok = m.val_rise <= 0.10 or m.val_rise_abs <= 0.01
        late_ok = m.val_late_mean_rise <= 0.15 or m.val_late_mean_abs <= 0.015
        return len(m.val) >= 3 and end_ok and late_ok
    if code == "unstable_training":
        return (
            (not m.nonfinite) and m.train_spikes == 0 and m.val_spikes <= 1 and m.val_acc_drops <= 1
        )
    if code == "suspicious_validation":
        vt = m.val_vs_train()
        if not (vt <= 0.3):
            return False
        if ctx.task == "clf":
            if not (m.max_val_acc < 0.99):
                return False
            if len(m.train_acc_epoch) and not (m.final_val_acc <= m.final_train_acc + 0.03):
                return False
        return True
    if code == "learning_rate_too_high":
        return all(
            can_forbid(c, m, ctx) for c in ("nan_loss", "exploding_loss", "unstable_training")
        )
    if code == "learning_rate_too_low":
        e = m.train_epoch
        if len(e) < 3 or not np.all(np.isfinite(e)):
            return False
        half = e[: max(2, (len(e) + 1) // 2)]
        return bool(half[-1] <= 0.6 * e[0])
    if code == "slow_convergence":
        return m.late_gain <= 0.05 and (not len(m.val) or m.val_late_gain <= 0.05)
    if code == "plateau":
        if len(m.val) >= 10:
            return m.plateau_gain >= 0.05
        return len(m.val) >= 2 and m.val_rise <= 0.0 and m.val_late_gain >= 0.15
    if code == "overtraining":
        return len(m.val) >= 3 and m.val_best_pos >= 0.8
    if code == "insufficient_training":
        return (
            m.epochs_logged >= 15
            and m.late_gain <= 0.1
            and (len(m.val) < 3 or m.val_best_pos <= 0.8 or m.val_late_gain <= 0.05)
        )
    return False


def _rise(values: Array) -> float:
    from measure import rise_from_best

    return rise_from_best(values) if len(values) else 0.0


AUDIT_TEXT = {
    "nan_loss": "no NaN/inf in any logged metric",
    "exploding_loss": "no NaN; epoch-level train loss never climbs above 1.5x its best so far, "
    "val loss never above 2x its best (climbs smaller than 10% of the first value ignored)",
    "exploding_gradients": "no NaN, grad_norm (if logged) max < 100 and (< 30x its early median "
    "or < 10), train loss never above 1.5x its best",
    "vanishing_gradients": "train loss fell >= 25% and grad_norm (if logged) late median >= 1e-3",
    "loss_not_decreasing": "epoch-level train loss fell >= 25% from first to last epoch",
    "underfitting": "classification: final val (and train, if logged) accuracy >= chance + 50% "
    "of the way to 1; regression/reconstruction: final train MSE <= 0.6x and val <= 0.7x the "
    "MSE of predicting the training mean",
    "overfitting": "final val loss <= 1.10x its minimum (or <= +1% of the first val loss) and "
    "the mean of the last third <= 1.15x its minimum (or <= +1.5% of the first val loss)",
    "unstable_training": "no NaN, no spike in the epoch-level train loss, at most one spike in "
    "val loss, at most one val-accuracy drop > 0.1 (spike: a rise > 30% over the previous value "
    "that is also > 10% of the first value)",
    "suspicious_validation": "val loss < 0.9x train loss in <= 30% of second-half evaluations, "
    "val accuracy < 0.99 and not > train accuracy + 0.03",
    "learning_rate_too_high": "nan_loss, exploding_loss and unstable_training all forbidden",
    "learning_rate_too_low": "train loss at mid-run <= 0.6x its first epoch",
    "slow_convergence": "last quarter of epochs brought <= 5% of the train (and val) improvement",
    "plateau": ">= 10 evaluations: last 60% improved val loss by >= 5%; fewer: val ends at its "
    "minimum after >= 15% of its gain in the last quarter",
    "overtraining": "best val loss in the last 20% of evaluations",
    "insufficient_training": ">= 15 epochs, last quarter brought <= 10% of the train improvement "
    "and val is not still improving",
}


# --------------------------------------------------------------------------------------------
# data helpers used by faults
# --------------------------------------------------------------------------------------------


def keep_per_class(y: Array, keep: dict[int, int], rng: np.random.Generator) -> Array:
    idx = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        k = min(len(pool), keep.get(int(c), len(pool)))
        idx.append(rng.choice(pool, k, replace=False))
    return np.sort(np.concatenate(idx))


def flip_labels(y: Array, share: float, n_classes: int, rng: np.random.Generator) -> Array:
    y = y.copy()
    idx = rng.choice(len(y), round(share * len(y)), replace=False)
    shift = rng.integers(1, n_classes, len(idx))
    y[idx] = (y[idx] + shift) % n_classes
    return y


def sensor_units(x: Array, rng: np.random.Generator) -> tuple[Array, str]:
    """Standard-ish features -> raw sensor units: offsets 300..2000, scales 40..400."""
    d = x.shape[1]
    offset = rng.uniform(300, 2000, d)
    scale = rng.uniform(40, 400, d)
    return x * scale + offset, "features re-expressed in raw sensor units (offsets 300-2000, "


# --------------------------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------------------------


class Fault:
    name = ""
    kind = "training"  # training | data | deepchecks | healthy
    programs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    open: tuple[str, ...] = ()  # codes left open (neither expected nor forbidden)
    mechanism = ""
    bar = ""

    def setup(self, ctx: Ctx) -> None:
        """Before the split: change the raw data, the model spec, the configuration."""

    def after_split(self, ctx: Ctx) -> None:
        """After the split, before normalisation (arrays in stored units)."""

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        raise NotImplementedError


def _lr_scale(ctx: Ctx, factor: float) -> None:
    ctx.cfg.lr = float(f"{ctx.cfg.lr * factor:.3g}")


def _loss_symptoms(m: Measures) -> tuple[list[str], list[str], str]:
    """(expect, expect_any, figure) for a run whose loss misbehaves: NaN, blow-up, spikes."""
    fig = (
        f"NaN/inf={m.nonfinite}, train loss rise above best={fmt(m.train_rise)}x, "
        f"train spikes={m.train_spikes}, val spikes={m.val_spikes}, "
        f"val-accuracy drops={m.val_acc_drops}"
    )
    if m.nonfinite:
        return ["nan_loss"] + (["exploding_loss"] if m.train_rise >= 10 else []), [], fig
    shows = []
    if m.train_rise >= 10:
        shows.append("exploding_loss")
    if m.train_spikes >= 3 or m.val_spikes >= 3 or m.val_acc_drops >= 3:
        shows.append("unstable_training")
    if len(shows) == 2:
        return [], shows, fig
    return shows, [], fig


def stuck_at_baseline(ctx: Ctx, m: Measures) -> bool:
    """The model never does better than predicting the training prior / mean: the lowest
    epoch-level train loss stays >= 95% of that baseline loss (and, for classifiers, final val
    accuracy <= chance + 25% of the way to 1)."""
    base = ctx.facts.get("baseline", math.nan)
    e = m.train_epoch[np.isfinite(m.train_epoch)]
    if m.nonfinite or not len(e) or not (base > 0):
        return False
    ok = bool(e.min() >= 0.95 * base)
    if ctx.task == "clf":
        ok = ok and m.final_val_acc <= m.poor_bar
    return ok


LR_HIGH_FACTOR = {"regnet_diabetes": 300.0}
SLOW_FACTOR = {
    "logreg_cancer": 1 / 50,
    "logreg_wine": 1 / 100,
    "cnn_digits": 1 / 10,
    "lstm_tokens": 1 / 10,
}
NAN_LR_FACTOR = {"cnn_shapes": 30.0}


class LrHigh(Fault):
    name = "lr_high"
    programs = (
        "mlp_digits",
        "logreg_cancer",
        "cnn_digits",
        "lstm_waves",
        "regnet_synth",
        "cnn_shapes",
        "transformer_waves",
        "regnet_diabetes",
    )
    targets = ("learning_rate",)
    open = ("overfitting", "underfitting", "exploding_gradients", "loss_not_decreasing")
    mechanism = (
        "learning rate x100 (Adam 1e-3 -> 0.1; regnet_diabetes x300), no clipping, nothing "
        "else changed"
    )
    bar = (
        "NaN/inf appears, or epoch-level train loss climbs >= 10x above its best so far, or >= 3 "
        "spikes (rise > 30% and > 10% of the first value) in train or val loss, or >= 3 "
        "val-accuracy drops > 0.1; or the network dies at once: the train loss never gets below "
        "95% of the predict-the-prior loss and val accuracy stays <= chance + 25% of the way to 1"
    )

    def setup(self, ctx: Ctx) -> None:
        factor = LR_HIGH_FACTOR.get(ctx.program.name, 100.0)
        _lr_scale(ctx, factor)
        ctx.cfg.clip = None
        ctx.needs.add("lr")
        ctx.mech.append(f"learning rate {ctx.cfg.lr:g}, {factor:g}x the tuned value")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        expect, any_, fig = _loss_symptoms(m)
        stuck = stuck_at_baseline(ctx, m)
        fig += f", stuck at the prior/mean level={stuck}"
        if expect or any_:
            return Verdict(
                True,
                fig,
                self.bar,
                ["learning_rate_too_high", *expect],
                any_,
                "loss "
                + ("turns NaN" if m.nonfinite else "blows up / oscillates")
                + f" at learning rate {ctx.cfg.lr:g}",
            )
        return Verdict(
            stuck,
            fig,
            self.bar,
            ["learning_rate_too_high"],
            ["loss_not_decreasing", "underfitting"],
            f"the network dies in the first steps at learning rate {ctx.cfg.lr:g}: loss stuck "
            "at the trivial level",
        )


class LrLow(Fault):
    name = "lr_low"
    programs = (
        "mlp_tabular",
        "linreg_synth",
        "ae_digits",
        "transformer_tokens",
        "mlp_moons",
        "linreg_diabetes",
        "ae_cancer",
        "lstm_tokens",
    )
    targets = ("learning_rate",)
    open = ("underfitting", "plateau", "insufficient_training", "vanishing_gradients")
    mechanism = "learning rate / 1000 (Adam 1e-3 -> 1e-6), nothing else changed"
    bar = "epoch-level train loss falls by <= 15% over the whole run"

    def setup(self, ctx: Ctx) -> None:
        _lr_scale(ctx, 1e-3)
        ctx.needs.add("lr")
        ctx.mech.append(f"learning rate {ctx.cfg.lr:g}, 1/1000 of the tuned value")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = f"train loss fell {fmt(100 * m.fall)}% (first -> last epoch)"
        ok = (not m.nonfinite) and m.fall <= 0.15
        return Verdict(
            ok,
            fig,
            self.bar,
            ["learning_rate_too_low"],
            ["loss_not_decreasing", "slow_convergence"],
            f"loss almost flat at learning rate {ctx.cfg.lr:g}",
        )


class SlowLr(Fault):
    name = "slow_lr"
    programs = (
        "mlp_digits",
        "logreg_cancer",
        "gru_series",
        "cnn_digits",
        "logreg_wine",
        "resmlp_digits",
        "lstm_tokens",
    )
    targets = ("learning_rate", "epochs")
    open = ("learning_rate_too_low", "insufficient_training", "underfitting")
    mechanism = (
        "learning rate / 30 with the tuned number of epochs (logreg_cancer / 50, logreg_wine "
        "/ 100, cnn_digits and lstm_tokens / 10)"
    )
    bar = (
        "train loss fell >= 25%, the last quarter of epochs still brought >= 15% of the total "
        "improvement, and val loss ends within 2% of its minimum (still improving)"
    )

    def setup(self, ctx: Ctx) -> None:
        factor = SLOW_FACTOR.get(ctx.program.name, 1 / 30)
        _lr_scale(ctx, factor)
        ctx.mech.append(f"learning rate {ctx.cfg.lr:g}, 1/{1 / factor:.0f} of the tuned value")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"fall={fmt(100 * m.fall)}%, last-quarter share of improvement="
            f"{fmt(100 * m.late_gain)}%, val end/min-1={fmt(100 * m.val_rise)}%"
        )
        ok = m.fall >= 0.25 and m.late_gain >= 0.15 and m.val_rise <= 0.02
        return Verdict(
            ok,
            fig,
            self.bar,
            ["slow_convergence"],
            [],
            "loss still falling steadily when training ends",
        )


class BadInit(Fault):
    name = "bad_init"
    programs = (
        "mlp_tabular",
        "deepmlp_digits",
        "cnn_digits",
        "mlp_moons",
        "deepmlp_tabular",
        "cnn_shapes",
    )
    targets = ("weight_init",)
    open = (
        "exploding_loss",
        "unstable_training",
        "loss_not_decreasing",
        "underfitting",
        "slow_convergence",
        "learning_rate_too_high",
        "vanishing_gradients",
    )
    mechanism = (
        "every weight initialised at PyTorch's default init times a factor: x4 for the 12-layer "
        "nets, x10 for CNNs, x50 for the 2-layer MLPs"
    )
    bar = "median grad_norm over the first 10% of logged steps >= 100"

    def setup(self, ctx: Ctx) -> None:
        factor = {"deep_plain": 4.0, "cnn": 10.0}.get(ctx.spec.family, 50.0)
        ctx.spec.init = f"scaled:{factor:g}"
        ctx.needs.add("grad")
        ctx.mech.append(f"weights initialised at {factor:g}x PyTorch's default scale")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = f"early median grad_norm={fmt(m.grad_early)}, NaN/inf={m.nonfinite}"
        ok = m.grad_early >= 100
        expect = ["exploding_gradients"] + (["nan_loss"] if m.nonfinite else [])
        return Verdict(ok, fig, self.bar, expect, [], "huge gradient norms from the first step")


class Vanishing(Fault):
    name = "vanishing"
    programs = (
        "deepmlp_digits",
        "deepmlp_moons",
        "resmlp_tabular",
        "deepmlp_tabular",
        "resmlp_digits",
    )
    targets = ("activation", "normalization", "weight_init", "architecture")
    open = ("plateau", "slow_convergence", "learning_rate_too_low", "insufficient_training")
    mechanism = (
        "12 sigmoid layers with PyTorch's default init and no normalisation or residual "
        "connections (the residual programs lose their LayerNorm and skips), trained by "
        "full-batch gradient descent (SGD, lr 0.1, 150 steps)"
    )
    bar = (
        "grad_norm: median of the last quarter <= 1e-3 or <= 1% of the first 10%; and the "
        "train loss falls by <= 15%"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.spec.act = "sigmoid"
        ctx.spec.init = "default"
        ctx.spec.norm = False
        ctx.spec.residual = False
        ctx.spec.depth = 12
        ctx.cfg.optimizer, ctx.cfg.lr, ctx.cfg.weight_decay = "sgd", 0.1, 0.0
        ctx.cfg.batch_size, ctx.cfg.epochs, ctx.cfg.schedule = 100_000, 150, "constant"
        ctx.needs.add("grad")
        ctx.mech.append(
            "12 sigmoid layers, default init, no normalisation, no skips, full-batch SGD"
        )

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        ratio = m.grad_late / m.grad_early if m.grad_early else math.nan
        fig = (
            f"grad_norm early median={fmt(m.grad_early)}, late median={fmt(m.grad_late)}, "
            f"train loss fell {fmt(100 * m.fall)}%"
        )
        vanish = m.grad_late <= 1e-3 or ratio <= 0.01
        ok = bool(vanish) and m.fall <= 0.15
        return Verdict(
            ok,
            fig,
            self.bar,
            ["vanishing_gradients"],
            ["loss_not_decreasing", "underfitting"],
            "tiny gradient norm, loss stuck near the class-prior level",
        )


class ExplodingDeep(Fault):
    name = "exploding_deep"
    programs = ("deepmlp_digits", "deepmlp_moons", "deepmlp_tabular")
    targets = ("learning_rate", "gradient_clipping", "normalization")
    open = (
        "learning_rate_too_high",
        "underfitting",
        "overfitting",
        "loss_not_decreasing",
        "slow_convergence",
    )
    mechanism = (
        "12-layer plain ReLU nets (no normalisation, no skips) trained with Adam at lr 0.05 "
        "(50-170x the tuned one, batch 32), half the seeds clipping the update at norm 1 "
        "(grad_norm logged before clipping); every step is logged"
    )
    bar = "max grad_norm >= 100x the median of the first 10% of logged steps"

    def setup(self, ctx: Ctx) -> None:
        clip = ctx.idx % 2 == 1 and ctx.spec.family == "deep_plain"
        ctx.cfg.optimizer = "adam"
        ctx.cfg.schedule = "constant"
        if ctx.spec.family in ("lstm", "gru"):
            ctx.cfg.lr = 0.1
        else:
            ctx.cfg.lr = 0.05
            ctx.cfg.batch_size = 32
        ctx.cfg.clip = 1.0 if clip else None
        ctx.cfg.weight_decay = 0.0
        ctx.needs.update({"grad", "lr", "per_step"})
        ctx.mech.append(
            f"Adam at lr {ctx.cfg.lr:g}"
            + (", update clipped at norm 1" if clip else ", no clipping")
        )

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        expect, any_, fig = _loss_symptoms(m)
        fig = f"grad_norm max/early median={fmt(m.grad_growth)}x; " + fig
        ok = m.grad_growth >= 100
        return Verdict(
            ok,
            fig,
            self.bar,
            ["exploding_gradients", *expect],
            any_,
            "gradient norm blows up by orders of magnitude",
        )


DIVERGE_PEAK = {"linreg_synth": 3.0, "transformer_waves": 10.0}


class Diverging(Fault):
    name = "diverging"
    programs = ("linreg_synth", "gru_series", "linreg_diabetes", "transformer_waves")
    targets = ("learning_rate", "lr_schedule")
    open = (
        "learning_rate_too_high",
        "unstable_training",
        "underfitting",
        "exploding_gradients",
        "overfitting",
        "plateau",
    )
    mechanism = (
        "plain SGD with a linear warm-up over the first 30% of the run to a peak learning rate "
        "far above the stable range (3-10, i.e. 300-5000x the tuned one); updates clipped at "
        "norm 1, which keeps the divergence finite"
    )
    bar = "epoch-level train loss climbs >= 10x above its best so far (finite, or then NaN)"

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.optimizer = "sgd"
        ctx.cfg.lr = DIVERGE_PEAK.get(ctx.program.name, 5.0)
        ctx.cfg.schedule = "warmup"
        ctx.cfg.warmup_frac = 0.3
        ctx.cfg.clip = 1.0
        ctx.cfg.weight_decay = 0.0
        ctx.needs.add("lr")
        ctx.mech.append(f"SGD, warm-up to lr {ctx.cfg.lr:g} over 30% of the run, clip 1")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = f"train loss rise above best={fmt(m.train_rise)}x, NaN/inf={m.nonfinite}"
        expect = ["exploding_loss"] + (["nan_loss"] if m.nonfinite else [])
        return Verdict(
            m.train_rise >= 10,
            fig,
            self.bar,
            expect,
            [],
            "loss falls during the warm-up, then climbs far above its best",
        )


class NanBug(Fault):
    name = "nan_bug"
    programs = (
        "mlp_digits",
        "logreg_cancer",
        "regnet_synth",
        "ae_digits",
        "mlp_cancer",
        "mlp_moons",
        "regnet_diabetes",
        "ae_cancer",
        "logreg_wine",
    )
    targets = ("loss_function",)
    open = (
        "exploding_loss",
        "exploding_gradients",
        "learning_rate_too_high",
        "unstable_training",
    )
    mechanism = (
        "hand-written losses: softmax as exp(z)/sum(exp(z)) (overflow), binary cross-entropy "
        "log(sigmoid) without clipping (0*log 0), a Gaussian NLL whose variance head can go "
        "negative (log of a negative); or preprocessing bugs: per-pixel standardisation of "
        "digits whose corner pixels are always 0 (0/0), log-transformed raw features that "
        "contain zeros (log 0)"
    )
    bar = "a NaN or inf appears in a logged loss"

    def setup(self, ctx: Ctx) -> None:
        fam, task = ctx.spec.family, ctx.task
        if ctx.program.name == "ae_cancer":
            ctx.targets = ["data_preprocessing"]
            ctx.facts["log_inputs"] = True
            ctx.mech.append("raw features log-transformed before standardisation; some are 0")
            return
        if ctx.raw.name == "digits":
            ctx.targets = ["data_preprocessing"]
            ctx.facts["per_pixel_std"] = True
            ctx.mech.append(
                "pixels standardised per pixel as (x - mean) / std without guarding std = 0: "
                "the always-blank corner pixels give 0/0 = NaN inputs"
            )
            return
        if task == "recon":
            ctx.cfg.loss = "bce_naive_recon"
            ctx.loss_name = "binary_cross_entropy (hand-written)"
            ctx.facts["unit_scale"] = True
            _lr_scale(ctx, 10)
            ctx.mech.append(
                f"pixels scaled to [0, 1], sigmoid outputs, BCE written out, lr {ctx.cfg.lr:g}"
            )
        elif task == "reg":
            ctx.cfg.loss = "gnll_naive"
            ctx.loss_name = "gaussian_nll (variance head without softplus)"
            ctx.n_out = 2
            ctx.mech.append(
                "heteroscedastic Gaussian NLL, 0.5 log(var) + (y - mu)^2 / (2 var), with the "
                "variance taken as the raw second output + 1 (no softplus): once it goes "
                "negative, log(var) is NaN"
            )
        elif ctx.n_classes == 2 or fam == "logreg":
            ctx.cfg.loss = "bce_naive"
            ctx.loss_name = "binary_cross_entropy (hand-written)"
            ctx.n_out = 1
            _lr_scale(ctx, 10)
            ctx.mech.append(
                f"one logit, -(y log p + (1-y) log(1-p)) written out in float32, lr {ctx.cfg.lr:g}"
            )
        else:
            ctx.cfg.loss = "ce_naive"
            ctx.loss_name = "cross_entropy (softmax written out)"
            _lr_scale(ctx, NAN_LR_FACTOR.get(ctx.program.name, 10.0))
            ctx.mech.append(f"softmax written as exp(z)/sum(exp(z)) in float32, lr {ctx.cfg.lr:g}")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"first NaN/inf at epoch {fmt(m.first_nonfinite_epoch)}"
            if m.nonfinite
            else "no NaN/inf"
        )
        return Verdict(m.nonfinite, fig, self.bar, ["nan_loss"], [], "loss becomes NaN/inf")


class TooFewEpochs(Fault):
    name = "too_few_epochs"
    programs = (
        "mlp_digits",
        "cnn_digits",
        "lstm_waves",
        "ae_digits",
        "cnn_shapes",
        "resmlp_digits",
        "ae_cancer",
    )
    targets = ("epochs",)
    open = ("slow_convergence", "underfitting", "learning_rate_too_low", "loss_not_decreasing")
    mechanism = "the run is stopped after 3-6 epochs (a fraction of the tuned number)"
    bar = (
        "the last epoch still lowered the epoch-level train loss by >= 10% and the val loss by "
        ">= 3%, and val ends at its minimum (within 1%)"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.epochs = int(ctx.choice("epochs", [3, 4, 5, 6]))
        ctx.cfg.schedule = "constant"
        ctx.mech.append(f"only {ctx.cfg.epochs} epochs")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"last epoch lowered train loss {fmt(100 * m.last_gain)}% and val loss "
            f"{fmt(100 * m.val_last_gain)}%, val end/min-1={fmt(100 * m.val_rise)}%, "
            f"epochs={m.epochs_logged}"
        )
        ok = m.last_gain >= 0.10 and m.val_last_gain >= 0.03 and m.val_rise <= 0.01
        return Verdict(
            ok,
            fig,
            self.bar,
            ["insufficient_training"],
            [],
            f"{m.epochs_logged} epochs, loss still falling fast at the end",
        )


class EarlyStopEarly(Fault):
    name = "early_stop_early"
    programs = (
        "mlp_tabular",
        "cnn_digits",
        "gru_series",
        "regnet_synth",
        "mlp_moons",
        "lstm_tokens",
        "transformer_waves",
    )
    targets = ("early_stopping", "epochs")
    open = ("slow_convergence", "underfitting", "overfitting", "plateau")
    mechanism = (
        "early stopping with patience 1 and an absolute min_delta of 0.03 on a noisy val loss: "
        "the first small non-improvement ends the run"
    )
    bar = (
        "stopped early at <= 50% of the planned epochs while the last epoch still lowered the "
        "epoch-level train loss by >= 5%"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.epochs = ctx.cfg.epochs * 3
        ctx.cfg.early_stopping = 1
        ctx.cfg.min_delta = 0.03
        ctx.cfg.schedule = "constant"
        ctx.needs.update({"params", "epoch_val"})
        ctx.mech.append(
            f"EarlyStopping(patience=1, min_delta=0.03) with {ctx.cfg.epochs} epochs planned"
        )

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        planned = ctx.cfg.epochs
        fig = (
            f"stopped after {m.epochs_logged}/{planned} epochs, the last epoch lowered train "
            f"loss {fmt(100 * m.last_gain)}%"
        )
        ok = m.epochs_logged <= 0.5 * planned and m.last_gain >= 0.05
        return Verdict(
            ok,
            fig,
            self.bar,
            ["insufficient_training"],
            [],
            f"early stopping ended the run after {m.epochs_logged} of {planned} epochs while "
            "the loss was still falling",
        )


class TinyCapacity(Fault):
    name = "tiny_capacity"
    programs = (
        "mlp_digits",
        "cnn_digits",
        "lstm_waves",
        "ae_digits",
        "cnn_shapes",
        "transformer_waves",
        "resmlp_digits",
        "lstm_tokens",
    )
    targets = ("architecture",)
    open = (
        "loss_not_decreasing",
        "plateau",
        "slow_convergence",
        "vanishing_gradients",
        "learning_rate_too_low",
        "insufficient_training",
    )
    mechanism = (
        "a 1-unit bottleneck: MLP/regression nets with one hidden unit, a CNN with one 3x3 "
        "filter and global pooling, an LSTM with one cell, a transformer with d_model 2, an "
        "autoencoder with a linear 1-d code"
    )
    bar = (
        "classification: final train accuracy (val if train is not logged) <= chance + 25% of "
        "the way to 1 and final val accuracy <= that + 0.05; reconstruction: final train and "
        "val loss >= 0.75x the loss of predicting the training mean"
    )

    def setup(self, ctx: Ctx) -> None:
        fam = ctx.spec.family
        if fam == "transformer":
            ctx.spec.width, ctx.spec.depth = 2, 1
        elif fam == "autoencoder":
            ctx.spec.width, ctx.spec.bottleneck = 1, 1
        elif fam == "deep_res":
            ctx.spec.width = 1
            ctx.spec.norm = False
        else:
            ctx.spec.width = 1
            ctx.spec.depth = 1 if fam in ("mlp", "regnet") else ctx.spec.depth
        ctx.mech.append("capacity cut to a single unit / filter / cell")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        if ctx.task == "clf":
            tr = m.final_train_acc if len(m.train_acc_epoch) else m.final_val_acc
            fig = (
                f"final train acc={fmt(tr)}, val acc={fmt(m.final_val_acc)}, chance="
                f"{fmt(m.chance)}, bar={fmt(m.poor_bar)}"
            )
            ok = tr <= m.poor_bar and m.final_val_acc <= m.poor_bar + 0.05
        else:
            base = ctx.facts.get("baseline", math.nan)
            tl = m.train_epoch[-1] if len(m.train_epoch) else math.nan
            vl = m.val[-1] if len(m.val) else math.nan
            fig = (
                f"final train loss={fmt(tl)}, val loss={fmt(vl)}, predict-the-mean loss={fmt(base)}"
            )
            ok = tl >= 0.75 * base and vl >= 0.75 * base
        return Verdict(
            bool(ok), fig, self.bar, ["underfitting"], [], "poor on train and validation alike"
        )


class NoisyLabels(Fault):
    name = "noisy_labels"
    programs = ("mlp_digits", "mlp_tabular", "mlp_cancer", "resmlp_digits", "cnn_shapes")
    targets = ("labels", "regularization", "early_stopping")
    open = ("overtraining", "plateau", "suspicious_validation", "underfitting", "unstable_training")
    mechanism = (
        "35% of the training labels flipped to another class (validation clean), a wider net "
        "without weight decay trained twice as long"
    )
    bar = (
        "val loss ends >= 15% (and by >= 1.2% of its first value) above its minimum while the "
        "train loss fell >= 10% after the best-val epoch"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.weight_decay = 0.0
        ctx.cfg.epochs = ctx.cfg.epochs * 2
        if ctx.spec.family == "mlp":
            ctx.spec.width *= 4
        ctx.mech.append("35% of training labels flipped, no weight decay, 2x epochs")

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.ytr is not None
        ctx.ytr = flip_labels(ctx.ytr, 0.35, ctx.n_classes, ctx.rng)

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"val end/min-1={fmt(100 * m.val_rise)}%, train fell "
            f"{fmt(100 * m.train_fall_after_val_best)}% after the best-val epoch, final train "
            f"acc={fmt(m.final_train_acc)}"
        )
        ok = m.val_rise >= 0.15 and m.val_rise_abs >= 0.012 and m.train_fall_after_val_best >= 0.10
        return Verdict(
            ok,
            fig,
            self.bar,
            ["overfitting"],
            [],
            "train accuracy capped by wrong labels, then memorised: val loss climbs",
        )


class Overfit(Fault):
    name = "overfit"
    programs = (
        "mlp_tabular",
        "mlp_digits",
        "mlp_cancer",
        "mlp_iris",
        "mlp_moons",
        "regnet_diabetes",
        "deepmlp_tabular",
    )
    targets = ("regularization", "early_stopping", "data_collection")
    open = ("overtraining", "plateau", "suspicious_validation", "insufficient_training")
    mechanism = (
        "12% of the training data (at least 6 per class), a 4x wider net without weight decay, "
        "trained 3x as long (no metadata, so this is a training fault)"
    )
    bar = (
        "val loss ends >= 15% (and by >= 1.2% of its first value) above its minimum while the "
        "train loss fell >= 20% after the best-val epoch"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.weight_decay = 0.0
        ctx.cfg.epochs = ctx.cfg.epochs * 3
        ctx.cfg.batch_size = min(ctx.cfg.batch_size, 16)
        if ctx.spec.family in ("mlp", "regnet"):
            ctx.spec.width *= 4
            ctx.spec.depth = 2
        ctx.mech.append("12% of the training set, 4x wider, no weight decay, 3x epochs")

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None and ctx.ytr is not None
        n = len(ctx.ytr)
        if ctx.task == "clf":
            per = max(6, int(0.12 * n / ctx.n_classes))
            idx = keep_per_class(ctx.ytr, dict.fromkeys(range(ctx.n_classes), per), ctx.rng)
        else:
            idx = np.sort(ctx.rng.choice(n, max(30, int(0.12 * n)), replace=False))
        ctx.xtr, ctx.ytr = ctx.xtr[idx], ctx.ytr[idx]
        ctx.facts["n_train"] = len(idx)

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"val end/min-1={fmt(100 * m.val_rise)}%, train fell "
            f"{fmt(100 * m.train_fall_after_val_best)}% after the best-val epoch"
        )
        ok = m.val_rise >= 0.15 and m.val_rise_abs >= 0.012 and m.train_fall_after_val_best >= 0.2
        return Verdict(ok, fig, self.bar, ["overfitting"], [], "train loss falls, val loss climbs")


class Overtraining(Fault):
    name = "overtraining"
    programs = (
        "mlp_cancer",
        "mlp_tabular",
        "mlp_digits",
        "regnet_diabetes",
        "lstm_tokens",
        "deepmlp_tabular",
    )
    targets = ("early_stopping", "epochs")
    open = ("overfitting", "plateau")
    mechanism = (
        "the tuned configuration without weight decay trained 4x as long, without early stopping"
    )
    bar = (
        "best val loss in the first 60% of the evaluations, >= 8 evaluations after it, and val "
        "ends >= 5% above its minimum"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.epochs = ctx.cfg.epochs * 4
        ctx.cfg.schedule = "constant"
        ctx.cfg.weight_decay = 0.0
        ctx.needs.add("epoch_val")
        ctx.mech.append(f"{ctx.cfg.epochs} epochs (4x the tuned number), no early stopping")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"best val at {fmt(100 * m.val_best_pos)}% of the run, {m.evals_after_best} "
            f"evaluations after it, val end/min-1={fmt(100 * m.val_rise)}%"
        )
        ok = m.val_best_pos <= 0.6 and m.evals_after_best >= 8 and m.val_rise >= 0.05
        return Verdict(
            ok,
            fig,
            self.bar,
            ["overtraining"],
            [],
            "training goes on long after the best validation epoch",
        )


class Plateau(Fault):
    name = "plateau"
    programs = ("linreg_synth", "mlp_tabular", "linreg_diabetes", "mlp_moons")
    targets = ("lr_schedule", "learning_rate", "early_stopping")
    open = ("overtraining", "insufficient_training")
    mechanism = (
        "constant learning rate 3x the tuned one (plain SGD: 10x), 10x weight decay and 3x the "
        "epochs: the model reaches its noise floor early and the rest of the run changes nothing"
    )
    bar = (
        ">= 10 evaluations, the last 60% improve the best val loss by <= 3% and val ends <= 10% "
        "above its minimum"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.epochs = ctx.cfg.epochs * 3
        ctx.cfg.schedule = "constant"
        _lr_scale(ctx, 10 if ctx.cfg.optimizer == "sgd" and ctx.program.family == "logreg" else 3)
        ctx.cfg.weight_decay = max(1e-3, ctx.cfg.weight_decay * 10)
        ctx.needs.add("epoch_val")
        ctx.mech.append(
            f"constant lr {ctx.cfg.lr:g}, weight decay {ctx.cfg.weight_decay:g}, "
            f"{ctx.cfg.epochs} epochs"
        )

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"{len(m.val)} evaluations, last-60% improvement={fmt(100 * m.plateau_gain)}%, "
            f"val end/min-1={fmt(100 * m.val_rise)}%"
        )
        ok = len(m.val) >= 10 and m.plateau_gain <= 0.03 and m.val_rise <= 0.10
        return Verdict(ok, fig, self.bar, ["plateau"], [], "val loss flat for most of the run")


class Unstable(Fault):
    name = "unstable"
    programs = (
        "mlp_digits",
        "logreg_cancer",
        "mlp_iris",
        "linreg_diabetes",
        "ae_cancer",
    )
    targets = ("batch_size", "learning_rate")
    open = (
        "learning_rate_too_high",
        "exploding_loss",
        "overfitting",
        "underfitting",
        "plateau",
        "suspicious_validation",
    )
    mechanism = "batch size 2-4 with a learning rate 10x the tuned one"
    bar = (
        ">= 3 spikes (rise > 30% and > 10% of the first value) in epoch-level train loss or in "
        "val loss, or >= 3 val-accuracy drops > 0.1"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.batch_size = 2 if ctx.program.dataset in ("iris", "wine", "diabetes") else 4
        _lr_scale(ctx, 10)
        ctx.cfg.schedule = "constant"
        per_epoch = math.ceil((1 - ctx.val_fraction) * len(ctx.raw.y) / ctx.cfg.batch_size)
        ctx.cfg.epochs = max(8, min(ctx.cfg.epochs, 4000 // per_epoch))
        ctx.cfg.clip = None
        ctx.mech.append(f"batch size {ctx.cfg.batch_size}, lr {ctx.cfg.lr:g}")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        fig = (
            f"train spikes={m.train_spikes}, val spikes={m.val_spikes}, "
            f"val-accuracy drops={m.val_acc_drops}"
        )
        ok = m.train_spikes >= 3 or m.val_spikes >= 3 or m.val_acc_drops >= 3
        expect = ["unstable_training"] + (["nan_loss"] if m.nonfinite else [])
        return Verdict(ok, fig, self.bar, expect, [], "loss and accuracy jump around")


class LossFlat(Fault):
    name = "loss_flat"
    programs = (
        "mlp_digits",
        "logreg_cancer",
        "cnn_digits",
        "lstm_waves",
        "regnet_synth",
        "cnn_shapes",
        "transformer_waves",
        "regnet_diabetes",
        "logreg_wine",
    )
    open = (
        "underfitting",
        "plateau",
        "learning_rate_too_low",
        "vanishing_gradients",
        "slow_convergence",
    )
    mechanism = (
        "a pipeline bug: labels shuffled against the inputs, pixels 'normalised' with "
        "(x / 255).astype(int) (all zeros), or an optimizer built on a model that was "
        "re-instantiated afterwards (the trained model never changes)"
    )
    bar = (
        "no NaN; and the lowest epoch-level train loss stays >= 92% of the loss of predicting "
        "the training prior (classification: label entropy) or mean (regression: target "
        "variance), or the epoch-level train loss falls by <= 5% and moves by <= 10% overall"
    )

    def setup(self, ctx: Ctx) -> None:
        kind = ctx.raw.kind
        variant = {"image": "zero_inputs", "sequence": "shuffled"}.get(kind, "stale_optimizer")
        ctx.facts["variant"] = variant
        if variant == "stale_optimizer":
            ctx.cfg.stale_optimizer = True
            ctx.targets = ["optimizer"]
            ctx.mech.append("optimizer built on a model instance that was replaced afterwards")
        elif variant == "zero_inputs":
            ctx.targets = ["data_preprocessing"]
            ctx.mech.append("pixels (0..16) divided by 255 and cast to int: every input is 0")
        else:
            ctx.targets = ["labels"]
            ctx.mech.append("training labels permuted against the inputs")

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None and ctx.ytr is not None
        variant = ctx.facts["variant"]
        if variant == "shuffled":
            ctx.ytr = ctx.rng.permutation(ctx.ytr)
        elif variant == "zero_inputs":
            assert ctx.xva is not None
            ctx.xtr = (ctx.xtr / 255).astype(int).astype(float)
            ctx.xva = (ctx.xva / 255).astype(int).astype(float)
            ctx.normalize = False

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        base = ctx.facts.get("baseline", math.nan)
        e = m.train_epoch[np.isfinite(m.train_epoch)]
        low = float(e.min()) if len(e) else math.nan
        fig = (
            f"lowest epoch train loss {fmt(low)} vs predict-the-prior/mean loss {fmt(base)} "
            f"({fmt(100 * low / base)}%), fell {fmt(100 * m.fall)}% first to last epoch"
        )
        flat = abs(m.fall) <= 0.05 and m.flat_range <= 0.10
        ok = (not m.nonfinite) and (low >= 0.92 * base or bool(flat))
        return Verdict(
            ok, fig, self.bar, ["loss_not_decreasing"], [], "loss flat from the first epoch"
        )


class Leakage(Fault):
    name = "leakage"
    programs = ("mlp_tabular", "mlp_digits", "cnn_shapes")
    targets = ("data_split",)
    open = ("overfitting", "overtraining", "plateau")
    mechanism = (
        "the validation set is a random subset of the training rows (a split bug); 10% of all "
        "labels are noisy (regression: extra target noise), so an honest validation set could "
        "not look this good once the (wider, unregularised) model memorises the training set"
    )
    bar = (
        "val loss < 0.9x train loss in >= 60% of the second-half evaluations, or val accuracy "
        "reaches >= 0.99"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.cfg.weight_decay = 0.0
        ctx.cfg.epochs = ctx.cfg.epochs * 3
        if ctx.spec.family in ("mlp", "regnet"):
            ctx.spec.width *= 4
        ctx.mech.append(
            "validation rows drawn from the training rows; wider net, no weight decay, 3x epochs"
        )

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None and ctx.ytr is not None
        if ctx.task == "clf":
            ctx.ytr = flip_labels(ctx.ytr, 0.10, ctx.n_classes, ctx.rng)
        else:
            ctx.ytr = ctx.ytr + 0.5 * ctx.ytr.std() * ctx.rng.normal(size=len(ctx.ytr))
        n_val = len(ctx.yva) if ctx.yva is not None else len(ctx.ytr) // 4
        idx = ctx.rng.choice(len(ctx.ytr), n_val, replace=False)
        ctx.xva, ctx.yva = ctx.xtr[idx].copy(), ctx.ytr[idx].copy()

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        vt = m.val_vs_train()
        fig = (
            f"val < 0.9x train in {fmt(100 * vt)}% of second-half evaluations, max val acc "
            f"{fmt(m.max_val_acc)}, final train acc {fmt(m.final_train_acc)}"
        )
        by_acc = ctx.task == "clf" and m.max_val_acc >= 0.99
        ok = vt >= 0.6 or by_acc
        return Verdict(
            bool(ok),
            fig,
            self.bar,
            ["suspicious_validation"],
            [],
            "validation better than training throughout",
        )


class HeavyDropout(Fault):
    name = "heavy_dropout"
    programs = ("mlp_digits", "mlp_tabular", "cnn_digits", "mlp_moons", "regnet_diabetes")
    targets = ("regularization",)
    open = ("underfitting", "slow_convergence", "plateau", "unstable_training")
    mechanism = (
        "dropout 0.6 after every hidden layer: active when the train metrics are computed, off "
        "at validation"
    )
    bar = Leakage.bar

    def setup(self, ctx: Ctx) -> None:
        ctx.spec.dropout = 0.6
        if ctx.spec.family == "mlp":
            ctx.spec.width = max(ctx.spec.width, 64)
        ctx.params_extra["dropout_rate"] = 0.6
        ctx.mech.append("dropout 0.6")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        return Leakage.verdict(self, ctx, m)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# data faults (dataset/metadata.yaml and statistics.json)
# --------------------------------------------------------------------------------------------


class ClassImbalance(Fault):
    name = "class_imbalance"
    kind = "data"
    programs = (
        "mlp_tabular",
        "logreg_cancer",
        "lstm_waves",
        "cnn_digits",
        "mlp_moons",
        "cnn_shapes",
        "lstm_tokens",
    )
    targets = ("class_balance",)
    open = ("weak_class", "underfitting", "suspicious_validation")
    mechanism = (
        "minority classes subsampled to 1/15 of the majority in training and validation "
        "(binary: one class; multi-class: half the classes); class_counts in metadata.yaml"
    )
    bar = "max/min training class count >= 10"

    def setup(self, ctx: Ctx) -> None:
        ctx.want_metadata = True
        ctx.mech.append("minority classes at 1/15 of the majority")

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.ytr is not None and ctx.yva is not None
        assert ctx.xtr is not None and ctx.xva is not None
        k = ctx.n_classes
        counts = np.bincount(ctx.ytr, minlength=k)
        if k == 2:
            minority = [int(np.argmin(counts))]
        else:
            minority = [int(c) for c in ctx.rng.choice(k, k // 2, replace=False)]
        for which in ("tr", "va"):
            y = ctx.ytr if which == "tr" else ctx.yva
            cnt = np.bincount(y, minlength=k)
            big = max(cnt[c] for c in range(k) if c not in minority)
            keep = {c: max(3, int(big / 15)) for c in minority}
            idx = keep_per_class(y, keep, ctx.rng)
            if which == "tr":
                ctx.xtr, ctx.ytr = ctx.xtr[idx], ctx.ytr[idx]
            else:
                ctx.xva, ctx.yva = ctx.xva[idx], ctx.yva[idx]
        ctx.facts["minority"] = [ctx.class_names[c] for c in minority]

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        assert ctx.ytr is not None
        counts = np.bincount(ctx.ytr, minlength=ctx.n_classes)
        ratio = counts.max() / max(1, counts.min())
        fig = f"imbalance ratio {ratio:.1f} (class counts {counts.tolist()})"
        return Verdict(
            ratio >= 10,
            fig,
            self.bar,
            ["class_imbalance"],
            [],
            f"training classes {counts.max()} vs {counts.min()}",
        )


class SmallDataset(Fault):
    name = "small_dataset"
    kind = "data"
    programs = (
        "mlp_digits",
        "mlp_tabular",
        "regnet_synth",
        "resmlp_digits",
        "cnn_shapes",
        "regnet_diabetes",
    )
    targets = ("data_collection", "data_augmentation")
    open = (
        "overfitting",
        "underfitting",
        "unstable_training",
        "insufficient_training",
        "plateau",
        "overtraining",
        "suspicious_validation",
        "slow_convergence",
    )
    mechanism = "training set cut to 4-6 samples per class (regression: 40 rows); val unchanged"
    bar = "training samples <= 10 per class (regression: <= 60 rows)"

    def setup(self, ctx: Ctx) -> None:
        ctx.want_metadata = True
        ctx.cfg.epochs = ctx.cfg.epochs * 3
        ctx.cfg.batch_size = min(ctx.cfg.batch_size, 8)

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None and ctx.ytr is not None
        if ctx.task == "clf":
            per = int(ctx.choice("per", [4, 5, 6]))
            idx = keep_per_class(ctx.ytr, dict.fromkeys(range(ctx.n_classes), per), ctx.rng)
            ctx.mech.append(f"{per} training samples per class")
        else:
            idx = np.sort(ctx.rng.choice(len(ctx.ytr), 40, replace=False))
            ctx.mech.append("40 training rows")
        ctx.xtr, ctx.ytr = ctx.xtr[idx], ctx.ytr[idx]

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        assert ctx.ytr is not None
        n = len(ctx.ytr)
        ok = n <= 10 * ctx.n_classes if ctx.task == "clf" else n <= 60
        fig = f"{n} training samples" + (
            f" for {ctx.n_classes} classes" if ctx.task == "clf" else ""
        )
        return Verdict(ok, fig, self.bar, ["small_dataset"], [], fig)


class SmallValSplit(Fault):
    name = "small_val_split"
    kind = "data"
    programs = ("mlp_digits", "mlp_tabular", "transformer_tokens", "mlp_moons", "cnn_shapes")
    targets = ("data_split",)
    open = ("unstable_training", "suspicious_validation", "plateau", "overfitting")
    mechanism = "a 2% validation split (metadata: num_val_samples)"
    bar = "validation samples <= 3% of the training samples"

    def setup(self, ctx: Ctx) -> None:
        ctx.val_fraction = 0.02
        ctx.want_metadata = True
        ctx.params_extra["val_split"] = 0.02

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        assert ctx.ytr is not None and ctx.yva is not None
        share = len(ctx.yva) / len(ctx.ytr)
        fig = f"{len(ctx.yva)} validation vs {len(ctx.ytr)} training samples ({100 * share:.1f}%)"
        return Verdict(share <= 0.03, fig, self.bar, ["small_validation_split"], [], fig)


class Unnormalized(Fault):
    name = "unnormalized"
    kind = "data"
    programs = (
        "mlp_tabular",
        "logreg_cancer",
        "regnet_synth",
        "mlp_iris",
        "logreg_wine",
        "linreg_diabetes",
        "deepmlp_tabular",
    )
    targets = ("normalization", "data_preprocessing")
    open = (
        "unstable_training",
        "slow_convergence",
        "learning_rate_too_high",
        "exploding_loss",
        "exploding_gradients",
        "underfitting",
        "loss_not_decreasing",
        "plateau",
        "suspicious_validation",
        "overfitting",
        "learning_rate_too_low",
        "insufficient_training",
        "nan_loss",
    )
    mechanism = (
        "inputs fed in stored units without standardisation: the raw measurements of "
        "breast_cancer/wine/diabetes (up to ~4000), or synthetic features re-expressed in sensor "
        "units (offsets 300-2000, scales 40-400); statistics.json from those arrays"
    )
    bar = (
        "statistics: some feature |mean| or std >= 50; curve: a slow or unstable start, i.e. "
        "first-epoch train loss >= 3x the last, or >= 2 spikes, or the last quarter still "
        "bringing >= 15% of the improvement, or the loss falling < 25%"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.want_metadata = True
        ctx.want_statistics = True
        ctx.normalize = False
        if ctx.program.dataset in ("tabular4", "moons", "iris", "regression12_nonlinear"):
            x, text = sensor_units(ctx.raw.x, np.random.default_rng(ctx.seed + 7))
            ctx.raw.x = x
            ctx.mech.append(text + "scales 40-400), fed as they are")
        else:
            ctx.mech.append("raw measurements fed without standardisation")
        ctx.params_extra["preprocessing"] = "none"

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        assert ctx.xtr_raw is not None
        flat = ctx.xtr_raw.reshape(len(ctx.xtr_raw), -1)
        big = max(float(np.abs(flat.mean(0)).max()), float(flat.std(0).max()))
        e = m.train_epoch
        start = bool(len(e) >= 2 and np.isfinite(e[0]) and np.isfinite(e[-1]) and e[0] >= 3 * e[-1])
        unstable = m.train_spikes >= 2 or m.val_spikes >= 2
        slow = m.late_gain >= 0.15 or m.fall < 0.25
        fig = (
            f"largest feature |mean|/std={fmt(big)}, first/last epoch train loss="
            f"{fmt(e[0] / e[-1] if len(e) > 1 and e[-1] else math.nan)}, spikes train/val="
            f"{m.train_spikes}/{m.val_spikes}, last-quarter share={fmt(100 * m.late_gain)}%, "
            f"fall={fmt(100 * m.fall)}%"
        )
        ok = big >= 50 and (start or unstable or slow or m.nonfinite)
        return Verdict(
            ok,
            fig,
            self.bar,
            ["unnormalized_inputs"],
            [],
            "inputs in raw units (means/stds in the hundreds or more)",
        )


class TrainTestShift(Fault):
    name = "train_test_shift"
    kind = "data"
    programs = (
        "mlp_tabular",
        "resmlp_tabular",
        "regnet_synth",
        "mlp_digits",
        "mlp_moons",
        "deepmlp_tabular",
        "regnet_diabetes",
    )
    targets = ("data_preprocessing", "data_collection")
    open = ("overfitting", "underfitting", "data_drift", "plateau", "overtraining")
    mechanism = (
        "validation/test rows from a second site: 4 features (moons: both) read 1.5 train-std "
        "higher (images: brighter by 1.5 std, contrast x0.7); statistics.json shows train vs test"
    )
    bar = (
        "statistics: >= 1 feature/channel whose test mean is >= 1 train std from the train mean; "
        "curve: final val loss >= 1.25x the final train loss"
    )

    def setup(self, ctx: Ctx) -> None:
        ctx.want_metadata = True
        ctx.want_statistics = True
        ctx.meta_extra["num_test_samples"] = None
        ctx.mech.append("test site shifted")

    def after_split(self, ctx: Ctx) -> None:
        _shift_val(ctx, 1.5)

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        assert ctx.xtr_raw is not None and ctx.xva_raw is not None
        shift = _max_shift(ctx)
        tl = m.train_epoch[-1] if len(m.train_epoch) else math.nan
        vl = m.val[-1] if len(m.val) else math.nan
        fig = f"largest test-mean shift={fmt(shift)} train std, final val/train loss={fmt(vl / tl)}"
        ok = shift >= 1.0 and vl >= 1.25 * tl
        return Verdict(
            bool(ok),
            fig,
            self.bar,
            ["train_test_shift"],
            [],
            "test inputs shifted against train; val loss well above train",
        )


def _shift_val(ctx: Ctx, amount: float) -> None:
    assert ctx.xtr is not None and ctx.xva is not None
    x, xv = ctx.xtr, ctx.xva.copy()
    if ctx.raw.kind == "image":
        std = x.std()
        xv = ctx.xva.mean() + 0.7 * (xv - ctx.xva.mean()) + amount * std
        ctx.facts["shifted"] = f"brightness +{amount:g} std, contrast x0.7"
    else:
        d = x.shape[1]
        cols = list(range(d)) if d <= 4 else sorted(ctx.rng.choice(d, 4, replace=False).tolist())
        xv[:, cols] = xv[:, cols] + amount * x[:, cols].std(0)
        ctx.facts["shifted"] = [ctx.raw.feature_names[c] for c in cols]
    ctx.xva = xv


def _max_shift(ctx: Ctx) -> float:
    assert ctx.xtr_raw is not None and ctx.xva_raw is not None
    if ctx.raw.kind == "image":
        return float(abs(ctx.xva_raw.mean() - ctx.xtr_raw.mean()) / ctx.xtr_raw.std())
    a, b = ctx.xtr_raw, ctx.xva_raw
    std = np.where(a.std(0) > 1e-12, a.std(0), 1.0)
    return float((np.abs(b.mean(0) - a.mean(0)) / std).max())


# --------------------------------------------------------------------------------------------
# deepchecks faults (deepchecks/results.yaml)
# --------------------------------------------------------------------------------------------


class LabelDrift(Fault):
    name = "label_drift"
    kind = "deepchecks"
    programs = (
        "mlp_digits",
        "mlp_tabular",
        "lstm_waves",
        "cnn_shapes",
        "logreg_wine",
        "lstm_tokens",
    )
    targets = ("data_split", "data_collection")
    open = ("class_imbalance", "overfitting", "suspicious_validation", "underfitting")
    mechanism = (
        "the test split was collected with some classes over-sampled (weights x6 for a third of "
        "the classes; binary: the minority class made the majority)"
    )
    bar = "Label Drift condition fails (Cramer's V >= 0.15)"

    def setup(self, ctx: Ctx) -> None:
        ctx.val_fraction = 0.4
        ctx.checks.update({"label_drift", "drift", "new_labels"})
        ctx.want_metadata = True

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.yva is not None and ctx.xva is not None and ctx.ytr is not None
        k = ctx.n_classes
        boosted = ctx.rng.choice(k, max(1, k // 3), replace=False)
        w = np.ones(k)
        w[boosted] = 6.0
        p = w[ctx.yva]
        n = int(0.5 * len(ctx.yva))
        idx = ctx.rng.choice(len(ctx.yva), n, replace=False, p=p / p.sum())
        ctx.xva, ctx.yva = ctx.xva[idx], ctx.yva[idx]
        ctx.facts["boosted"] = [ctx.class_names[c] for c in boosted]
        ctx.mech.append(f"test classes {ctx.facts['boosted']} over-sampled x6")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        return _check_verdict(ctx, self, "Label Drift", "label_drift")


class DataDrift(Fault):
    name = "data_drift"
    kind = "deepchecks"
    programs = (
        "mlp_tabular",
        "cnn_digits",
        "regnet_synth",
        "mlp_moons",
        "deepmlp_tabular",
        "regnet_diabetes",
    )
    targets = ("data_collection", "data_preprocessing")
    open = ("train_test_shift", "overfitting", "underfitting", "plateau", "overtraining")
    mechanism = (
        "deployment data recalibrated: 4 features (moons: both) read 1.5 train-std higher "
        "(images: brighter, less contrast) in the test split; deepchecks Feature/Image Property "
        "Drift computed on the stored arrays"
    )
    bar = "Feature Drift / Image Property Drift condition fails (drift score >= 0.2)"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.update({"drift", "label_drift"})

    def after_split(self, ctx: Ctx) -> None:
        _shift_val(ctx, 1.5)
        ctx.mech.append(f"test split shifted: {ctx.facts['shifted']}")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        header = "Image Property Drift" if ctx.raw.kind == "image" else "Feature Drift"
        return _check_verdict(ctx, self, header, "data_drift")


class NewLabels(Fault):
    name = "new_labels"
    kind = "deepchecks"
    programs = (
        "mlp_digits",
        "cnn_digits",
        "transformer_tokens",
        "resmlp_digits",
        "cnn_shapes",
        "logreg_wine",
    )
    targets = ("data_split", "labels", "data_collection")
    open = ("label_drift", "underfitting", "weak_class", "class_imbalance")
    mechanism = "the training export lost every sample of the last class; the test split kept it"
    bar = "New Labels condition fails (> 0.5% of test samples with unseen labels)"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.update({"new_labels", "label_drift"})
        ctx.want_metadata = True

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.ytr is not None and ctx.xtr is not None
        last = ctx.n_classes - 1
        keep = ctx.ytr != last
        ctx.xtr, ctx.ytr = ctx.xtr[keep], ctx.ytr[keep]
        ctx.facts["missing"] = ctx.class_names[last]
        ctx.meta_extra["seen_classes"] = ctx.class_names[:last]
        ctx.mech.append(f"class '{ctx.class_names[last]}' missing from training")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        return _check_verdict(ctx, self, "New Labels", "new_labels")


class Outliers(Fault):
    name = "outliers"
    kind = "deepchecks"
    programs = (
        "mlp_digits",
        "mlp_tabular",
        "ae_digits",
        "cnn_shapes",
        "deepmlp_tabular",
        "logreg_wine",
        "ae_cancer",
    )
    targets = ("data_preprocessing", "labels")
    open = ("unstable_training", "overfitting", "underfitting", "data_drift")
    mechanism = (
        "4% of the training samples corrupted: tabular rows with sensor glitches (3 features at "
        "+-8..15 std), images inverted and noised; deepchecks Outlier Sample Detection (LoOP) or "
        "Image Property Outliers (IQR fences) on the stored arrays"
    )
    bar = ">= 70% of the injected samples flagged and >= 2% of the training set flagged"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.update({"outliers", "drift"})
        ctx.want_metadata = True

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None
        x = ctx.xtr.copy()
        n = len(x)
        bad = ctx.rng.choice(n, max(3, int(0.04 * n)), replace=False)
        if ctx.raw.kind == "image":
            hi = x.max()
            x[bad] = np.clip(hi - x[bad] + ctx.rng.normal(0, 0.1 * hi, x[bad].shape), 0, hi)
            ctx.mech.append(f"{len(bad)} training images inverted and noised")
        else:
            d = x.shape[1]
            std = x.std(0)
            for i in bad:
                cols = ctx.rng.choice(d, min(3, d), replace=False)
                sign = ctx.rng.choice([-1, 1], len(cols))
                x[i, cols] = (
                    x[:, cols].mean(0) + sign * ctx.rng.uniform(8, 15, len(cols)) * std[cols]
                )
            ctx.mech.append(f"{len(bad)} training rows with sensor glitches")
        ctx.xtr = x
        ctx.injected = np.sort(bad)

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        header = (
            "Image Property Outliers" if ctx.raw.kind == "image" else "Outlier Sample Detection"
        )
        check = _find_check(ctx, header)
        assert check is not None and ctx.injected is not None and ctx.ytr is not None
        flagged = _outlier_ids(check)
        hit = len(flagged & set(ctx.injected.tolist())) / len(ctx.injected)
        share = len(flagged) / len(ctx.ytr)
        fig = f"{100 * hit:.0f}% of injected flagged, {100 * share:.1f}% of training set flagged"
        ok = hit >= 0.7 and share >= 0.02
        return Verdict(ok, fig, self.bar, ["outliers"], [], f"{header}: {len(flagged)} outliers")


def _outlier_ids(check: dict[str, Any]) -> set[int]:
    from checks import value_of

    value = value_of(check)
    if "outliers_identifiers" in value:
        return set(value["outliers_identifiers"])
    ids: set[int] = set()
    for entry in value.values():
        ids.update(entry.get("indices", []))
    return ids


class WeakClass(Fault):
    name = "weak_class"
    kind = "deepchecks"
    programs = (
        "mlp_tabular",
        "cnn_digits",
        "mlp_digits",
        "cnn_shapes",
        "logreg_wine",
        "resmlp_digits",
    )
    targets = ("data_collection", "class_balance", "architecture")
    open = ("underfitting", "class_imbalance", "overfitting")
    mechanism = (
        "one class made hard to tell apart: its inputs (train and test) are blended 10/90 with "
        "random samples of another class, so they look like that class; Class Performance "
        "from the trained model's predictions"
    )
    bar = "Class Performance condition fails (a class's test recall < 0.2 or > 30% below the best)"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.update({"class_perf", "label_drift"})
        ctx.want_metadata = True

    def after_split(self, ctx: Ctx) -> None:
        assert ctx.xtr is not None and ctx.xva is not None
        assert ctx.ytr is not None and ctx.yva is not None
        k = int(ctx.rng.integers(0, ctx.n_classes))
        j = int((k + 1 + ctx.rng.integers(0, ctx.n_classes - 1)) % ctx.n_classes)
        for which in ("tr", "va"):
            x = ctx.xtr if which == "tr" else ctx.xva
            y = ctx.ytr if which == "tr" else ctx.yva
            x = x.copy()
            sel = np.flatnonzero(y == k)
            donors = np.flatnonzero(y == j)
            pick = ctx.rng.choice(donors, len(sel), replace=True)
            x[sel] = 0.1 * x[sel] + 0.9 * x[pick]
            if which == "tr":
                ctx.xtr = x
            else:
                ctx.xva = x
        ctx.facts["weak"] = ctx.class_names[k]
        ctx.mech.append(
            f"class '{ctx.class_names[k]}' blended 10/90 with samples of '{ctx.class_names[j]}'"
        )

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        return _check_verdict(ctx, self, "Class Performance", "weak_class")


class Shortcut(Fault):
    name = "shortcut"
    kind = "deepchecks"
    programs = (
        "mlp_digits",
        "mlp_tabular",
        "logreg_cancer",
        "cnn_shapes",
        "mlp_moons",
        "logreg_wine",
    )
    targets = ("data_collection", "data_preprocessing")
    open = ("suspicious_validation", "overfitting")
    mechanism = (
        "a leaky column: tabular data get a 'batch_id' feature equal to the label plus small "
        "noise; images get a class-dependent background level (each class scanned in its own "
        "session); Feature/Property Label Correlation (predictive power score)"
    )
    bar = "Feature / Property Label Correlation condition fails (PPS >= 0.8)"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.update({"shortcut", "label_drift", "drift"})
        raw = ctx.raw
        r = np.random.default_rng(ctx.seed + 11)
        if raw.kind == "image":
            lvl = raw.x.max() / 8
            raw.x = raw.x + lvl * raw.y[:, None, None]
            ctx.mech.append("background level raised by class")
        else:
            col = raw.y + r.normal(0, 0.05, len(raw.y))
            raw.x = np.column_stack([raw.x, col])
            raw.feature_names = [*raw.feature_names, "batch_id"]
            ctx.mech.append("'batch_id' column = label + N(0, 0.05)")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        header = (
            "Property Label Correlation" if ctx.raw.kind == "image" else "Feature Label Correlation"
        )
        return _check_verdict(ctx, self, header, "shortcut_feature")


class LabelQuality(Fault):
    name = "label_quality"
    kind = "deepchecks"
    programs = ("mlp_tabular", "logreg_cancer", "mlp_cancer", "mlp_moons", "logreg_wine")
    targets = ("labels",)
    open = ("underfitting", "plateau", "overfitting")
    mechanism = (
        "12% of the rows annotated twice and merged without deduplication; the second label "
        "disagrees (Data Duplicates, Conflicting Labels)"
    )
    bar = "Conflicting Labels: >= 5% of training samples in groups with conflicting labels"

    def setup(self, ctx: Ctx) -> None:
        ctx.checks.add("duplicates")
        raw = ctx.raw
        r = np.random.default_rng(ctx.seed + 13)
        n = len(raw.y)
        dup = r.choice(n, int(0.12 * n), replace=False)
        k = len(ctx.class_names)
        x = np.vstack([raw.x, raw.x[dup]])
        y = np.concatenate([raw.y, (raw.y[dup] + r.integers(1, k, len(dup))) % k])
        order = r.permutation(len(y))
        raw.x, raw.y = x[order], y[order]
        ctx.mech.append(f"{len(dup)} rows duplicated with a different label")

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        check = _find_check(ctx, "Conflicting Labels")
        assert check is not None
        from checks import value_of

        share = value_of(check)["percent_of_conflicting_samples"]
        fig = f"{100 * share:.1f}% of training samples with conflicting labels"
        return Verdict(share >= 0.05, fig, self.bar, ["label_quality"], [], fig)


def _find_check(ctx: Ctx, header: str) -> dict[str, Any] | None:
    for checks in ctx.deepchecks_suites.values():
        for c in checks:
            if c["header"] == header:
                return c
    return None


def _check_verdict(ctx: Ctx, fault: Fault, header: str, code: str) -> Verdict:
    from checks import failed

    check = _find_check(ctx, header)
    assert check is not None, header
    fig = f"{header}: {check.get('display_txt', '')}"
    return Verdict(failed(check), fig, fault.bar, [code], [], fig)


# --------------------------------------------------------------------------------------------
# healthy
# --------------------------------------------------------------------------------------------


class Healthy(Fault):
    name = "healthy"
    kind = "healthy"
    programs = ()  # every program
    mechanism = (
        "the tuned configuration, with a schedule drawn per run: constant, linear warm-up + "
        "cosine, cosine, step decay, ReduceLROnPlateau, or early stopping (patience 4) that ends "
        "the run"
    )
    bar = (
        "every training code it forbids passes its audit rule (no NaN, loss fell >= 30%, val "
        "ends <= 10% above its min, no spikes, sensible accuracy, ...) and the train loss fell "
        ">= 25%, classification val accuracy >= chance + 50% of the way to 1, regression and "
        "reconstruction val MSE <= 0.7x the loss of predicting the training mean"
    )

    def setup(self, ctx: Ctx) -> None:
        sched = ctx.choice(
            "schedule",
            ["constant", "warmup_cosine", "cosine", "step", "plateau", "early_stop", "constant"],
        )
        cfg = ctx.cfg
        if sched == "early_stop":
            cfg.epochs = cfg.epochs * 2
            cfg.early_stopping = 4
            ctx.needs.update({"epoch_val", "params"})
            ctx.mech.append("early stopping (patience 4) on val loss")
        elif sched == "plateau":
            cfg.schedule = "plateau"
            ctx.needs.add("epoch_val")
            ctx.mech.append("ReduceLROnPlateau(factor 0.3, patience 2)")
        elif sched == "step":
            cfg.schedule = "step"
            cfg.step_epochs = max(2, cfg.epochs // 3)
            ctx.mech.append(f"StepLR every {cfg.step_epochs} epochs, gamma 0.3")
        elif sched in ("warmup_cosine", "cosine"):
            cfg.schedule = sched
            ctx.mech.append(
                "linear warm-up (5%) then cosine decay" if sched == "warmup_cosine" else "cosine"
            )
        else:
            ctx.mech.append("constant learning rate")
        ctx.facts["schedule"] = sched
        r = np.random.default_rng(hash_str(ctx.case + "|artifacts"))
        ctx.want_metadata = bool(r.random() < 0.45)
        ctx.want_statistics = ctx.want_metadata and bool(r.random() < 0.6)
        if ctx.task in ("clf", "reg") and r.random() < 0.35:
            ctx.checks.update({"label_drift", "drift", "new_labels", "shortcut", "duplicates"})
            if ctx.task == "clf":
                ctx.checks.add("class_perf")
            ctx.want_metadata = True

    def verdict(self, ctx: Ctx, m: Measures) -> Verdict:
        if ctx.task == "clf":
            perf = f"val acc {fmt(m.final_val_acc)} (bar {fmt(m.good_bar)})"
            perf_ok = m.final_val_acc >= m.good_bar
        else:
            base = ctx.facts.get("baseline", math.nan)
            vl = m.val[-1] if len(m.val) else math.nan
            perf = f"val loss {fmt(vl)} (bar 0.7x the predict-the-mean loss {fmt(base)})"
            perf_ok = vl <= 0.7 * base
        fig = (
            f"train loss fell {fmt(100 * m.fall)}%, val end/min-1={fmt(100 * m.val_rise)}%, "
            f"{perf}, spikes train/val={m.train_spikes}/{m.val_spikes}"
        )
        ok = (not m.nonfinite) and m.fall >= 0.25 and perf_ok
        return Verdict(bool(ok), fig, self.bar, [], [], "none: a properly tuned run")


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in [
        Healthy(),
        LrHigh(),
        LrLow(),
        SlowLr(),
        BadInit(),
        Vanishing(),
        ExplodingDeep(),
        NanBug(),
        Diverging(),
        TooFewEpochs(),
        EarlyStopEarly(),
        TinyCapacity(),
        NoisyLabels(),
        Overfit(),
        Overtraining(),
        Plateau(),
        Unstable(),
        LossFlat(),
        Leakage(),
        HeavyDropout(),
        ClassImbalance(),
        SmallDataset(),
        SmallValSplit(),
        Unnormalized(),
        TrainTestShift(),
        LabelDrift(),
        DataDrift(),
        NewLabels(),
        Outliers(),
        WeakClass(),
        Shortcut(),
        LabelQuality(),
    ]
}

# Which deepchecks code each check header speaks for.
CHECK_CODES = {
    "Label Drift": "label_drift",
    "Feature Drift": "data_drift",
    "Image Property Drift": "data_drift",
    "New Labels": "new_labels",
    "Outlier Sample Detection": "outliers",
    "Image Property Outliers": "outliers",
    "Class Performance": "weak_class",
    "Feature Label Correlation": "shortcut_feature",
    "Property Label Correlation": "shortcut_feature",
    "Data Duplicates": "label_quality",
    "Conflicting Labels": "label_quality",
}
