"""Programs of the corpus: a model family trained on a dataset, with its tuned configuration.

A *program* is one model family x one dataset (``mlp_digits``, ``lstm_waves``, ...). Its
``base`` configuration is the properly tuned training that the healthy runs use; faults
(``faults.py``) change the data, the model or the configuration of that program.

Datasets are scikit-learn's bundled sets or generated here from a fixed seed; nothing is
downloaded. Every dataset returns raw arrays: splitting, standardisation and the data faults
happen in ``generate.py``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_moons,
    make_regression,
)
from torch import nn

Array = np.ndarray


# --------------------------------------------------------------------------------------------
# datasets (raw arrays; fixed generation seeds so every run of a program sees the same data)
# --------------------------------------------------------------------------------------------


@dataclass
class Raw:
    """A dataset before splitting: x is (n, d) tabular, (n, h, w) images or (n, t, f) sequences."""

    name: str
    x: Array
    y: Array
    task: str  # clf | reg
    kind: str  # tabular | image | sequence
    feature_names: list[str]
    class_names: list[str] = field(default_factory=list)
    description: str = ""


def _names(prefix: str, n: int) -> list[str]:
    return [f"{prefix}_{i:02d}" for i in range(n)]


def ds_breast_cancer() -> Raw:
    data = load_breast_cancer()
    return Raw(
        "breast_cancer",
        data.data.astype(float),
        data.target.astype(int),
        "clf",
        "tabular",
        [str(n).replace(" ", "_") for n in data.feature_names],
        [str(n) for n in data.target_names],
        "sklearn load_breast_cancer: 569 x 30 raw measurements, 2 classes (212/357)",
    )


def ds_wine() -> Raw:
    data = load_wine()
    return Raw(
        "wine",
        data.data.astype(float),
        data.target.astype(int),
        "clf",
        "tabular",
        [str(n) for n in data.feature_names],
        [str(n) for n in data.target_names],
        "sklearn load_wine: 178 x 13 raw chemistry measurements, 3 cultivars",
    )


def ds_iris() -> Raw:
    data = load_iris()
    return Raw(
        "iris",
        data.data.astype(float),
        data.target.astype(int),
        "clf",
        "tabular",
        [str(n).replace(" (cm)", "").replace(" ", "_") for n in data.feature_names],
        [str(n) for n in data.target_names],
        "sklearn load_iris: 150 x 4, 3 species",
    )


def ds_diabetes() -> Raw:
    data = load_diabetes(scaled=False)
    return Raw(
        "diabetes",
        data.data.astype(float),
        data.target.astype(float),
        "reg",
        "tabular",
        [str(n) for n in data.feature_names],
        [],
        "sklearn load_diabetes(scaled=False): 442 x 10 raw, disease progression target",
    )


def ds_digits() -> Raw:
    data = load_digits()
    return Raw(
        "digits",
        data.images.astype(float),
        data.target.astype(int),
        "clf",
        "image",
        ["pixels"],
        [str(c) for c in range(10)],
        "sklearn load_digits: 1797 8x8 grayscale images (0..16), 10 classes",
    )


def ds_tabular() -> Raw:
    x, y = make_classification(
        n_samples=2400,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        n_classes=4,
        n_clusters_per_class=2,
        class_sep=1.2,
        flip_y=0.02,
        random_state=1001,
    )
    return Raw(
        "tabular4",
        x,
        y.astype(int),
        "clf",
        "tabular",
        _names("f", 20),
        ["a", "b", "c", "d"],
        "make_classification: 2400 x 20 (8 informative, 4 redundant), 4 classes, 2% flipped",
    )


def ds_moons() -> Raw:
    x, y = make_moons(n_samples=1600, noise=0.25, random_state=1002)
    return Raw(
        "moons",
        x,
        y.astype(int),
        "clf",
        "tabular",
        ["x1", "x2"],
        ["upper", "lower"],
        "make_moons: 1600 points, noise 0.25, 2 classes",
    )


def ds_regression() -> Raw:
    x, y = make_regression(
        n_samples=2000, n_features=16, n_informative=10, noise=15.0, random_state=1003
    )
    return Raw(
        "regression16",
        x,
        y,
        "reg",
        "tabular",
        _names("x", 16),
        [],
        "make_regression: 2000 x 16 (10 informative), noise std 15, linear target",
    )


def ds_regression_nonlinear() -> Raw:
    x, y = make_regression(
        n_samples=2000, n_features=12, n_informative=8, noise=5.0, random_state=1004
    )
    y = y / y.std()
    y = y + 0.8 * np.sin(2.0 * x[:, 0]) + 0.6 * x[:, 1] * x[:, 2] + 0.5 * np.abs(x[:, 3])
    return Raw(
        "regression12_nonlinear",
        x,
        100.0 * y + 50.0,
        "reg",
        "tabular",
        _names("x", 12),
        [],
        "make_regression (2000 x 12) plus sin/product/abs terms: a nonlinear target",
    )


def ds_waves() -> Raw:
    """Noisy sine waves, 4 classes by frequency band (1..5 cycles per 24 steps, overlapping)."""
    rng = np.random.default_rng(1005)
    n, t = 2000, 24
    y = rng.integers(0, 4, n)
    freq = 1.0 + y + rng.uniform(-0.35, 0.85, n)
    phase = rng.uniform(0, 2 * math.pi, n)
    amp = rng.uniform(0.6, 1.4, n)
    grid = np.arange(t) / t
    x = amp[:, None] * np.sin(2 * math.pi * freq[:, None] * grid[None] + phase[:, None])
    x = x + 0.45 * rng.normal(size=(n, t))
    trend = rng.normal(0, 0.3, n)[:, None] * grid[None]
    return Raw(
        "waves",
        (x + trend)[:, :, None],
        y.astype(int),
        "clf",
        "sequence",
        ["signal"],
        ["band1", "band2", "band3", "band4"],
        "generated: 2000 noisy sine waves of 24 steps, class = frequency band (4 bands)",
    )


def ds_tokens() -> Raw:
    """Token sequences (vocab 8, length 16); class = which of tokens 0..3 occurs most often."""
    rng = np.random.default_rng(1006)
    n, t, v = 2400, 16, 8
    seqs, labels = [], []
    while len(seqs) < n:
        dom = rng.integers(0, 4)
        p = np.full(v, 0.8 / (v - 1))
        p[dom] = 0.2
        p = p / p.sum()
        s = rng.choice(v, t, p=p)
        counts = np.bincount(s, minlength=v)[:4]
        if (counts == counts.max()).sum() > 1:
            continue
        seqs.append(s)
        labels.append(int(counts.argmax()))
    tok = np.array(seqs)
    x = np.eye(v)[tok]
    x[rng.random((n, t)) < 0.3] = 0.0  # 30% of positions unreadable: counts are uncertain
    return Raw(
        "tokens",
        x,
        np.array(labels),
        "clf",
        "sequence",
        [f"token_{i}" for i in range(v)],
        ["t0", "t1", "t2", "t3"],
        "generated: 2400 one-hot token sequences (vocab 8, length 16, 30% of positions "
        "blanked); class = most frequent of tokens 0-3 in the full sequence",
    )


def ds_series() -> Raw:
    """Forecasting: 20 past values of a noisy two-tone series -> the next value."""
    rng = np.random.default_rng(1007)
    n, t = 2000, 20
    w1 = rng.uniform(0.2, 0.5, n)
    w2 = rng.uniform(0.8, 1.4, n)
    ph = rng.uniform(0, 2 * math.pi, (n, 2))
    a2 = rng.uniform(0.2, 0.6, n)
    steps = np.arange(t + 1)
    clean = np.sin(w1[:, None] * steps + ph[:, :1]) + a2[:, None] * np.sin(
        w2[:, None] * steps + ph[:, 1:]
    )
    series = clean + 0.1 * rng.normal(size=clean.shape)
    return Raw(
        "series",
        series[:, :t, None],
        series[:, t],
        "reg",
        "sequence",
        ["value"],
        [],
        "generated: 2000 two-tone noisy series, 20 past values -> next value",
    )


def ds_shapes() -> Raw:
    """12x12 images of 4 shapes (horizontal bar, vertical bar, diagonal, box) with noise."""
    rng = np.random.default_rng(1008)
    n, s = 2000, 12
    y = rng.integers(0, 4, n)
    imgs = np.zeros((n, s, s))
    for i in range(n):
        inten = rng.uniform(0.5, 1.0)
        length = rng.integers(5, 10)
        r, c = rng.integers(1, s - length), rng.integers(1, s - length)
        k = y[i]
        if k == 0:
            imgs[i, r + length // 2, c : c + length] = inten
        elif k == 1:
            imgs[i, r : r + length, c + length // 2] = inten
        elif k == 2:
            for j in range(length):
                imgs[i, r + j, c + j] = inten
        else:
            imgs[i, r, c : c + length] = inten
            imgs[i, r + length - 1, c : c + length] = inten
            imgs[i, r : r + length, c] = inten
            imgs[i, r : r + length, c + length - 1] = inten
    imgs = imgs + 0.35 * rng.normal(size=imgs.shape)
    return Raw(
        "shapes",
        np.clip(imgs, -1.0, 2.0),
        y.astype(int),
        "clf",
        "image",
        ["pixels"],
        ["hbar", "vbar", "diagonal", "box"],
        "generated: 2000 noisy 12x12 images of 4 shapes at random positions",
    )


DATASETS = {
    "breast_cancer": ds_breast_cancer,
    "wine": ds_wine,
    "iris": ds_iris,
    "diabetes": ds_diabetes,
    "digits": ds_digits,
    "tabular4": ds_tabular,
    "moons": ds_moons,
    "regression16": ds_regression,
    "regression12_nonlinear": ds_regression_nonlinear,
    "waves": ds_waves,
    "tokens": ds_tokens,
    "series": ds_series,
    "shapes": ds_shapes,
}
_CACHE: dict[str, Raw] = {}


def dataset(name: str) -> Raw:
    if name not in _CACHE:
        _CACHE[name] = DATASETS[name]()
    raw = _CACHE[name]
    return Raw(
        raw.name,
        raw.x.copy(),
        raw.y.copy(),
        raw.task,
        raw.kind,
        list(raw.feature_names),
        list(raw.class_names),
        raw.description,
    )


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------

ACTS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
}


class Flatten(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), -1)


class ResBlock(nn.Module):
    """Pre-norm residual block: h + W act(norm(h)); ``norm``/``residual`` can be switched off."""

    def __init__(self, width: int, act: str, norm: bool, residual: bool) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width) if norm else nn.Identity()
        self.act = ACTS[act]()
        self.lin = nn.Linear(width, width)
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.lin(self.act(self.norm(h)))
        return h + out if self.residual else out


class SeqHead(nn.Module):
    """LSTM/GRU over the sequence, last hidden state -> linear head."""

    def __init__(self, cell: str, n_in: int, hidden: int, n_out: int) -> None:
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class TinyTransformer(nn.Module):
    """Linear embedding + learned positions + nn.TransformerEncoder, mean-pooled."""

    def __init__(
        self,
        n_in: int,
        t: int,
        n_out: int,
        d: int = 32,
        layers: int = 2,
        heads: int = 4,
        patch: int = 1,
    ) -> None:
        super().__init__()
        self.patch = patch
        self.embed = nn.Linear(n_in * patch, d)
        self.pos = nn.Parameter(torch.zeros(1, t // patch, d))
        nn.init.normal_(self.pos, 0.0, 0.1)
        layer = nn.TransformerEncoderLayer(
            d, heads, dim_feedforward=2 * d, dropout=0.0, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.patch > 1:  # non-overlapping patches of `patch` steps become the tokens
            x = x.reshape(len(x), x.shape[1] // self.patch, -1)
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(h.mean(1))


@dataclass
class ModelSpec:
    """What to build; faults override fields (act, width, init_std, norm, residual, ...)."""

    family: str
    width: int = 64
    depth: int = 2
    act: str = "relu"
    norm: bool = True
    residual: bool = True
    dropout: float = 0.0
    init: str = "default"  # default | he | normal:<std>
    bottleneck: int = 16
    patch: int = 1


def _mlp(sizes: list[int], act: str, dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = [Flatten()]
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTS[act]())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def build_model(spec: ModelSpec, in_shape: tuple[int, ...], n_out: int) -> nn.Module:
    d_in = int(np.prod(in_shape))
    fam = spec.family
    model: nn.Module
    if fam in ("logreg", "linreg"):
        model = nn.Sequential(Flatten(), nn.Linear(d_in, n_out))
    elif fam in ("mlp", "regnet"):
        model = _mlp([d_in] + [spec.width] * spec.depth + [n_out], spec.act, spec.dropout)
    elif fam == "deep_plain":
        model = _mlp([d_in] + [spec.width] * (spec.depth - 1) + [n_out], spec.act, spec.dropout)
    elif fam == "deep_res":
        blocks: list[nn.Module] = [Flatten(), nn.Linear(d_in, spec.width)]
        blocks += [
            ResBlock(spec.width, spec.act, spec.norm, spec.residual) for _ in range(spec.depth - 2)
        ]
        blocks += [nn.LayerNorm(spec.width) if spec.norm else nn.Identity()]
        blocks += [nn.Linear(spec.width, n_out)]
        model = nn.Sequential(*blocks)
    elif fam == "cnn":
        h, w = in_shape
        if spec.width <= 1:  # the tiny-capacity variant: one 3x3 filter, global average pool
            model = nn.Sequential(
                nn.Unflatten(1, (1, h)),
                nn.Conv2d(1, 1, 3, padding=1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
                Flatten(),
                nn.Linear(1, n_out),
            )
        else:
            c = spec.width
            layers: list[nn.Module] = [
                nn.Unflatten(1, (1, h)),
                nn.Conv2d(1, c // 2, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(c // 2, c, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(2),
                Flatten(),
                nn.Linear(c * (h // 2) * (w // 2), 64),
                nn.ReLU(),
            ]
            if spec.dropout:
                layers.append(nn.Dropout(spec.dropout))
            layers.append(nn.Linear(64, n_out))
            model = nn.Sequential(*layers)
    elif fam in ("lstm", "gru"):
        model = SeqHead(fam, in_shape[-1], spec.width, n_out)
    elif fam == "transformer":
        model = TinyTransformer(
            in_shape[-1],
            in_shape[0],
            n_out,
            d=spec.width,
            layers=spec.depth,
            heads=min(4, spec.width),
            patch=spec.patch,
        )
    elif fam == "autoencoder":
        if spec.width <= 1:
            model = nn.Sequential(
                Flatten(), nn.Linear(d_in, spec.bottleneck), nn.Linear(spec.bottleneck, d_in)
            )
        else:
            model = _mlp(
                [d_in, spec.width, spec.bottleneck, spec.width, d_in], spec.act, spec.dropout
            )
    else:
        raise ValueError(fam)
    _init(model, spec)
    return model


def _init(model: nn.Module, spec: ModelSpec) -> None:
    if spec.init == "default":
        return
    for m in model.modules():
        if isinstance(m, nn.Linear | nn.Conv2d):
            if spec.init == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif spec.init.startswith("normal:"):
                nn.init.normal_(m.weight, 0.0, float(spec.init.split(":")[1]))
            elif spec.init.startswith("scaled:"):  # default init times a factor
                with torch.no_grad():
                    m.weight.mul_(float(spec.init.split(":")[1]))
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def describe_model(spec: ModelSpec, in_shape: tuple[int, ...], n_out: int) -> str:
    d_in = int(np.prod(in_shape))
    fam = spec.family
    if fam == "logreg":
        return f"softmax_regression_{d_in}x{n_out}" if n_out > 2 else f"logistic_regression_{d_in}"
    if fam == "linreg":
        return f"linear_regression_{d_in}"
    if fam in ("mlp", "regnet"):
        return f"mlp_{d_in}_" + "_".join([str(spec.width)] * spec.depth) + f"_{n_out}_{spec.act}"
    if fam == "deep_plain":
        return f"plain_mlp_{spec.depth}x{spec.width}_{spec.act}"
    if fam == "deep_res":
        parts = ["preln" if spec.norm else "nonorm", "residual" if spec.residual else "plain"]
        return f"resmlp_{spec.depth}x{spec.width}_{spec.act}_" + "_".join(parts)
    if fam == "cnn":
        return (
            "cnn_1filter_gap" if spec.width <= 1 else f"cnn_conv{spec.width // 2}_conv{spec.width}"
        )
    if fam in ("lstm", "gru"):
        return f"{fam}_{spec.width}"
    if fam == "transformer":
        return f"transformer_encoder_{spec.depth}x{spec.width}"
    if fam == "autoencoder":
        return f"autoencoder_{d_in}_{spec.width}_{spec.bottleneck}"
    return fam


# --------------------------------------------------------------------------------------------
# programs
# --------------------------------------------------------------------------------------------


@dataclass
class Program:
    name: str
    family: str  # logreg linreg mlp deep_plain deep_res cnn lstm gru transformer autoencoder regnet
    dataset: str
    model: ModelSpec
    base: dict[str, Any]  # the tuned training configuration (see train.Config)
    val_fraction: float = 0.2
    kind_note: str = ""

    @property
    def family_kind(self) -> str:
        return {"lstm": "rnn", "gru": "rnn"}.get(self.family, self.family)


def _p(name: str, family: str, ds: str, model: ModelSpec, **base: Any) -> Program:
    val = base.pop("val_fraction", 0.2)
    return Program(name, family, ds, model, base, val)


PROGRAMS: dict[str, Program] = {
    p.name: p
    for p in [
        _p(
            "logreg_cancer",
            "logreg",
            "breast_cancer",
            ModelSpec("logreg"),
            optimizer="adam",
            lr=3e-3,
            epochs=40,
            batch_size=32,
            weight_decay=1e-3,
            val_fraction=0.25,
        ),
        _p(
            "logreg_wine",
            "logreg",
            "wine",
            ModelSpec("logreg"),
            optimizer="sgd",
            lr=0.05,
            epochs=60,
            batch_size=16,
            val_fraction=0.25,
        ),
        _p(
            "linreg_synth",
            "linreg",
            "regression16",
            ModelSpec("linreg"),
            optimizer="sgd",
            lr=0.01,
            epochs=30,
            batch_size=32,
        ),
        _p(
            "linreg_diabetes",
            "linreg",
            "diabetes",
            ModelSpec("linreg"),
            optimizer="sgd",
            lr=0.01,
            epochs=60,
            batch_size=16,
            val_fraction=0.25,
        ),
        _p(
            "mlp_digits",
            "mlp",
            "digits",
            ModelSpec("mlp", width=64, depth=2),
            optimizer="adam",
            lr=1e-3,
            epochs=20,
            batch_size=32,
            weight_decay=1e-3,
        ),
        _p(
            "mlp_tabular",
            "mlp",
            "tabular4",
            ModelSpec("mlp", width=64, depth=2),
            optimizer="adam",
            lr=1e-3,
            epochs=20,
            batch_size=32,
            weight_decay=1e-3,
        ),
        _p(
            "mlp_iris",
            "mlp",
            "iris",
            ModelSpec("mlp", width=16, depth=1),
            optimizer="adam",
            lr=5e-3,
            epochs=60,
            batch_size=16,
            weight_decay=1e-3,
            val_fraction=0.25,
        ),
        _p(
            "mlp_cancer",
            "mlp",
            "breast_cancer",
            ModelSpec("mlp", width=32, depth=1),
            optimizer="adam",
            lr=1e-3,
            epochs=40,
            batch_size=16,
            weight_decay=1e-3,
            val_fraction=0.25,
        ),
        _p(
            "mlp_moons",
            "mlp",
            "moons",
            ModelSpec("mlp", width=32, depth=2),
            optimizer="adam",
            lr=3e-3,
            epochs=40,
            batch_size=32,
        ),
        _p(
            "deepmlp_digits",
            "deep_plain",
            "digits",
            ModelSpec("deep_plain", width=48, depth=12, init="he"),
            optimizer="adam",
            lr=5e-4,
            epochs=12,
            batch_size=32,
            weight_decay=3e-3,
        ),
        _p(
            "deepmlp_moons",
            "deep_plain",
            "moons",
            ModelSpec("deep_plain", width=32, depth=12, init="he"),
            optimizer="adam",
            lr=3e-4,
            epochs=25,
            batch_size=32,
        ),
        _p(
            "deepmlp_tabular",
            "deep_plain",
            "tabular4",
            ModelSpec("deep_plain", width=32, depth=12, init="he"),
            optimizer="adam",
            lr=1e-3,
            epochs=10,
            batch_size=64,
            weight_decay=1e-2,
        ),
        _p(
            "resmlp_tabular",
            "deep_res",
            "tabular4",
            ModelSpec("deep_res", width=32, depth=12, dropout=0.0),
            optimizer="adamw",
            lr=5e-4,
            epochs=12,
            batch_size=64,
            weight_decay=0.05,
        ),
        _p(
            "resmlp_digits",
            "deep_res",
            "digits",
            ModelSpec("deep_res", width=32, depth=12),
            optimizer="adamw",
            lr=1e-3,
            epochs=15,
            batch_size=64,
            weight_decay=0.05,
        ),
        _p(
            "cnn_digits",
            "cnn",
            "digits",
            ModelSpec("cnn", width=16),
            optimizer="adam",
            lr=1e-3,
            epochs=12,
            batch_size=32,
        ),
        _p(
            "cnn_shapes",
            "cnn",
            "shapes",
            ModelSpec("cnn", width=16),
            optimizer="adam",
            lr=1e-3,
            epochs=10,
            batch_size=32,
            weight_decay=1e-3,
        ),
        _p(
            "lstm_waves",
            "lstm",
            "waves",
            ModelSpec("lstm", width=32),
            optimizer="adam",
            lr=3e-3,
            epochs=20,
            batch_size=32,
            clip=1.0,
        ),
        _p(
            "lstm_tokens",
            "lstm",
            "tokens",
            ModelSpec("lstm", width=32),
            optimizer="adam",
            lr=3e-3,
            epochs=10,
            batch_size=32,
            clip=1.0,
        ),
        _p(
            "gru_series",
            "gru",
            "series",
            ModelSpec("gru", width=32),
            optimizer="adam",
            lr=3e-3,
            epochs=15,
            batch_size=64,
        ),
        _p(
            "transformer_tokens",
            "transformer",
            "tokens",
            ModelSpec("transformer", width=32, depth=1),
            optimizer="adamw",
            lr=2e-3,
            epochs=15,
            batch_size=64,
            weight_decay=1e-2,
        ),
        _p(
            "transformer_waves",
            "transformer",
            "waves",
            ModelSpec("transformer", width=32, depth=2, patch=8),
            optimizer="adamw",
            lr=2e-3,
            epochs=10,
            batch_size=64,
            weight_decay=0.05,
        ),
        _p(
            "ae_digits",
            "autoencoder",
            "digits",
            ModelSpec("autoencoder", width=64, bottleneck=16),
            optimizer="adam",
            lr=1e-3,
            epochs=30,
            batch_size=32,
        ),
        _p(
            "ae_cancer",
            "autoencoder",
            "breast_cancer",
            ModelSpec("autoencoder", width=32, bottleneck=8),
            optimizer="adam",
            lr=1e-3,
            epochs=60,
            batch_size=16,
            val_fraction=0.25,
        ),
        _p(
            "regnet_synth",
            "regnet",
            "regression12_nonlinear",
            ModelSpec("regnet", width=64, depth=2),
            optimizer="adam",
            lr=1e-3,
            epochs=30,
            batch_size=32,
        ),
        _p(
            "regnet_diabetes",
            "regnet",
            "diabetes",
            ModelSpec("regnet", width=16, depth=2),
            optimizer="adamw",
            lr=1e-3,
            epochs=30,
            batch_size=16,
            weight_decay=0.1,
            val_fraction=0.25,
        ),
    ]
}
