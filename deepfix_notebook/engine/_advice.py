"""Concrete numbers for advice, derived from a run's own parameters and curves."""

from __future__ import annotations

from deepfix_notebook.engine._curves import approx, fmt
from deepfix_notebook.engine._thresholds import declare

# Optimizer families and the learning rates their authors and frameworks use as defaults.
ADAPTIVE = ("adam", "adamw", "nadam", "adamax", "rmsprop", "adagrad", "adadelta", "lamb", "lion")
DEFAULT_LR = {
    "adaptive": declare(
        "default_lr_adaptive",
        1e-3,
        unit="learning rate",
        family="optimisation",
        source="Kingma & Ba, ICLR 2015; Keras/PyTorch Adam default",
        doc="the usual learning rate of adaptive optimizers (Adam, AdamW, RMSprop, ...)",
    ),
    "sgd": declare(
        "default_lr_sgd",
        1e-2,
        unit="learning rate",
        family="optimisation",
        source="Keras SGD default (0.1 with momentum for ResNets: He et al., CVPR 2016)",
        doc="the usual learning rate of SGD",
    ),
}
# A learning rate this many times above/below its family's default is suspicious by itself.
_BENGIO = "Bengio 2012: useful rates rarely lie beyond an order of magnitude of a good default"
LR_TOO_HIGH_FACTOR = {
    "adaptive": declare(
        "lr_too_high_factor_adaptive",
        10.0,
        unit="x family default",
        family="optimisation",
        source=_BENGIO,
        doc="an adaptive optimizer's rate this far above its default is too high by itself",
    ),
    "sgd": declare(
        "lr_too_high_factor_sgd",
        100.0,
        unit="x family default",
        family="optimisation",
        source=_BENGIO,
        doc="an SGD rate this far above its default is too high by itself",
    ),
}
LR_TOO_LOW_FACTOR = {
    "adaptive": declare(
        "lr_too_low_factor_adaptive",
        100.0,
        unit="x family default",
        family="optimisation",
        source=_BENGIO,
        doc="an adaptive optimizer's rate this far below its default is too low",
    ),
    "sgd": declare(
        "lr_too_low_factor_sgd",
        100.0,
        unit="x family default",
        family="optimisation",
        source=_BENGIO,
        doc="an SGD rate this far below its default is too low",
    ),
}
LOWER_LR_FROM = declare(
    "lower_lr_from",
    3.0,
    unit="x",
    family="advice",
    source="own choice",
    doc='the low end of a suggested learning-rate cut ("3-10x")',
)
GRADIENT_CLIP_NORM = declare(
    "gradient_clip_norm",
    1.0,
    unit="global L2 norm",
    family="advice",
    source="the usual max_norm for clip_grad_norm_ (Pascanu et al., ICML 2013)",
    doc="the gradient-norm clipping the advice suggests",
)


def family(optimizer: str | None) -> str | None:
    if not optimizer:
        return None
    name = optimizer.lower().replace("_", "").replace("-", "")
    if any(name.startswith(a) for a in ADAPTIVE):
        return "adaptive"
    if name.startswith("sgd") or "momentum" in name or name == "nesterov":
        return "sgd"
    return None


def times(low: float, high: float) -> str:
    """A factor range as advice says it: '3-10x', and 'about 3x' when its ends meet."""
    if approx(low) == approx(high):
        return f"about {approx(high)}x"
    return f"{approx(low)}-{approx(high)}x"


def lower_lr(lr: float | None, optimizer: str | None, factor: float = 10.0) -> str:
    """'lower the learning rate 3-10x, from 0.1 to about 0.01' (or a family default)."""
    by = times(min(LOWER_LR_FROM, factor), factor)
    if lr is not None:
        return f"lower the learning rate {by}, from {fmt(lr)} to about {approx(lr / factor)}"
    default = DEFAULT_LR.get(family(optimizer) or "")
    start = f" ({optimizer}'s usual default is {fmt(default)})" if default else ""
    return f"lower the learning rate {by}{start}"


def raise_lr(lr: float | None, optimizer: str | None, factor: float = 10.0) -> str:
    if lr is not None:
        return (
            f"raise the learning rate {times(factor, factor)}, from {fmt(lr)} to about "
            f"{approx(lr * factor)}"
        )
    default = DEFAULT_LR.get(family(optimizer) or "", 1e-3)
    return f"raise the learning rate, starting from a default such as {fmt(default)}"


def patience(epochs: int | None) -> int:
    """Early-stopping patience: about a tenth of the run, 3 to 20 epochs (Prechelt 1998)."""
    return min(max(3, round((epochs or 30) * 0.1)), 20)


def weight_decay_advice(current: float | None, optimizer: str | None) -> str:
    if current:
        return f"raise weight decay from {fmt(current)} to about {approx(current * 10)}"
    if family(optimizer) == "adaptive":
        return "add decoupled weight decay (AdamW, weight_decay about 0.01)"
    return "add weight decay (about 1e-4 for SGD, 0.01 with AdamW)"
