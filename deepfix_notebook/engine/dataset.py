"""DatasetArtifactsAnalyzer: rules over ``dataset/metadata.yaml`` and ``statistics.json``.

Every threshold is a named constant with its source; `docs/diagnosis.md` keeps the table.
Statistics are free-form, so they are read defensively: per-split means and standard deviations
as scalars, per-channel lists or per-feature mappings; anything else is ignored, never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from deepfix_notebook.artifacts import DatasetInfo
from deepfix_notebook.contract import (
    AgentName,
    AgentResult,
    Analysis,
    FaultTarget,
    ModelType,
    ProblemCode,
    Severity,
)
from deepfix_notebook.engine._agent import AgentInput, issue
from deepfix_notebook.engine._curves import approx, fmt

T = FaultTarget
P = ProblemCode

# --- thresholds -----------------------------------------------------------------------------
# Class imbalance, max/min class count. Buda, Maki & Mazurowski (Neural Networks 2018) show CNN
# accuracy and ROC AUC degrading as this ratio grows, clearly from about 10 on; Johnson &
# Khoshgoftaar (J. Big Data 2019) survey the same effect. 3 is our own "worth a look" level.
IMBALANCE_RATIO = 3.0
IMBALANCE_RATIO_HIGH = 10.0
# Oversampling target for the minority: about a third of the majority (own choice; enough to
# be seen every few batches without duplicating it into memorisation).
OVERSAMPLE_SHARE = 1 / 3
FOCAL_GAMMA = 2.0  # Lin et al., "Focal Loss for Dense Object Detection" (ICCV 2017): gamma = 2
# Small dataset. Goodfellow, Bengio & Courville, Deep Learning (2016) §1.2.2: ~5000 labelled
# examples per category for acceptable performance (10M to match humans) — a soft reference,
# reported in additional_outputs. Findings use our own floors: fewer than 50 (10) samples per
# class, or fewer than 1000 (100) training images, is too little to train from scratch.
GOODFELLOW_PER_CLASS = 5000
MIN_PER_CLASS = 50
MIN_PER_CLASS_HIGH = 10
MIN_TRAIN_IMAGES = 1000
MIN_TRAIN_HIGH = 100
# Validation split. The standard error of an accuracy estimate is sqrt(p(1-p)/n); at p = 0.8 it
# exceeds 4 points below 100 samples and 7 points below 30. A split under 10% of the training set
# (a common 80/10/10 or 70/15/15 convention) matters while its standard error is above 1 point.
MIN_VAL = 100
MIN_VAL_HIGH = 30
VAL_SHARE = 0.10
VAL_SE_TOLERANCE = 0.01
REFERENCE_ACCURACY = 0.8
# Unnormalised inputs: a mean beyond 10 or a std beyond 10 is not a standardised or [0, 1]
# scale (raw 0-255 pixels have means ~100-130); a mean beyond 3 stds (and beyond 1, so that [0, 1]
# pixels with mean ~0.45 and std ~0.25 pass) is far off-centre; a std below 0.01 is
# near-constant. Own thresholds, following the standardisation advice of LeCun et al.,
# "Efficient BackProp" (1998): inputs should have mean ~0 and similar, ~unit variances.
RAW_SCALE = 10.0
OFFSET_STDS = 3.0
OFFSET_MIN = 1.0
TINY_STD = 0.01
# Train/test shift: the standardised mean difference |m_test - m_train| / s_train. Cohen (1988)
# calls d = 0.2 small, 0.5 medium and 0.8 large; 0.25 (small-to-medium) is a finding, 0.8 high.
# A std ratio outside [0.5, 2] means the spread differs two-fold (own threshold).
SHIFT_D = 0.25
SHIFT_D_HIGH = 0.8
# Sampling noise: d between two samples of sizes n1, n2 has a standard error of about
# sqrt(1/n1 + 1/n2) (Hedges & Olkin 1985); a difference must exceed 3 of them (many features are
# compared at once) before it counts as a shift.
SHIFT_NOISE_Z = 3.0
STD_RATIO_LOW = 0.5
STD_RATIO_HIGH = 2.0

_SPLITS = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}
_STATS = {
    "mean": "mean",
    "means": "mean",
    "avg": "mean",
    "average": "mean",
    "std": "std",
    "stds": "std",
    "stddev": "std",
    "std_dev": "std",
    "sd": "std",
}
_RGB = ("R", "G", "B")

Stats = dict[str, dict[str, dict[str, float]]]  # split -> mean|std -> feature -> value


class DatasetArtifactsAnalyzer:
    """Finds class imbalance, too little data, a small validation split, raw inputs, shift."""

    name = AgentName.DATASET.value

    def skip_reason(self, given: AgentInput) -> str | None:
        if not given.options.enable_dataset_analysis:
            return "Dataset analysis was disabled in the request options."
        if given.bundle.dataset is None:
            return "Dataset metadata not found - skipping dataset analysis"
        return None

    def run(self, given: AgentInput) -> AgentResult:
        artifacts = [f for f in given.bundle.files if f.startswith("dataset/")]
        info = given.bundle.dataset
        if info is None:
            return AgentResult(agent_name=self.name, analyzed_artifacts=artifacts)
        facts = DatasetFacts.of(info, given.context.model_type)
        analyses: list[Analysis] = []
        for rule in RULES:
            try:
                analyses.extend(rule(facts))
            except Exception as exc:  # odd metadata must never fail the whole agent
                facts.unreadable.append(f"{rule.__name__}: {type(exc).__name__}: {exc}")
        outputs = soft_checks(facts)
        if facts.unreadable:
            outputs["unreadable"] = facts.unreadable
        return AgentResult(
            agent_name=self.name,
            analysis=analyses,
            analyzed_artifacts=artifacts or ["dataset"],
            additional_outputs=outputs,
        )


@dataclass
class DatasetFacts:
    """The dataset as the rules see it: metadata, parsed statistics, what could not be read."""

    info: DatasetInfo
    is_image: bool
    stats: Stats
    unreadable: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, info: DatasetInfo, model_type: ModelType | None = None) -> DatasetFacts:
        unreadable: list[str] = []
        try:
            stats = read_statistics(info.statistics, channel_names(info))
        except Exception as exc:  # free-form statistics: read what can be read
            stats, unreadable = {}, [f"statistics: {type(exc).__name__}: {exc}"]
        is_image = (
            info.image_size is not None
            or info.color_mode is not None
            or model_type is ModelType.CNN
            or "image" in (info.task_type or "").lower()
        )
        return cls(info, is_image, stats, unreadable)

    @property
    def counts(self) -> dict[str, int]:
        """Class counts with at least one sample."""
        return {k: v for k, v in (self.info.class_counts or {}).items() if v > 0}

    @property
    def is_classification(self) -> bool:
        return not self.info.is_regression and (bool(self.info.num_classes) or bool(self.counts))


# --- statistics -----------------------------------------------------------------------------


def channel_names(info: DatasetInfo) -> Callable[[int], list[str]]:
    """Names for a per-channel list of ``n`` values: R, G, B for 3-channel RGB, else indices."""
    mode = (info.color_mode or "").lower()
    rgb = mode == "rgb" or (not mode and info.image_size is not None)

    def names(n: int) -> list[str]:
        if n == 3 and rgb:
            return list(_RGB)
        if n == 1:
            return [mode or "channel 0"]
        return [f"channel {i}" for i in range(n)]

    return names


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _values(raw: Any, names: Callable[[int], list[str]]) -> dict[str, float]:
    """A scalar, a per-channel list or a per-feature mapping, as feature -> finite number."""
    if isinstance(raw, Mapping):
        out = {str(k): _number(v) for k, v in raw.items()}
    elif isinstance(raw, list | tuple):
        flat = raw[0] if len(raw) == 1 and isinstance(raw[0], list | tuple) else raw
        out = dict(zip(names(len(flat)), (_number(v) for v in flat), strict=True))
    else:
        out = {"all": _number(raw)}
    return {k: v for k, v in out.items() if v is not None}


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def read_statistics(statistics: Mapping[str, Any], names: Callable[[int], list[str]]) -> Stats:
    """Per-split means and stds from the shapes seen in the wild.

    ``train_mean``/``mean_train``/``mean`` (train) keys, ``{"train": {"mean": ...}}`` and
    ``{"mean": {"train": ...}}``; each value a scalar, a per-channel list or a mapping.
    """
    stats: Stats = {}

    def put(split: str, stat: str, raw: Any) -> None:
        values = _values(raw, names)
        if values:
            stats.setdefault(split, {}).setdefault(stat, {}).update(values)

    for raw_key, raw in statistics.items():
        key = _key(str(raw_key))
        if key in _SPLITS and isinstance(raw, Mapping):
            for sub_key, sub in raw.items():
                stat = _STATS.get(_key(str(sub_key)))
                if stat:
                    put(_SPLITS[key], stat, sub)
            continue
        if key in _STATS:
            if isinstance(raw, Mapping) and raw and all(_key(str(k)) in _SPLITS for k in raw):
                for split, sub in raw.items():
                    put(_SPLITS[_key(str(split))], _STATS[key], sub)
            else:
                put("train", _STATS[key], raw)
            continue
        head, _, tail = key.partition("_")
        if head in _SPLITS and tail in _STATS:
            put(_SPLITS[head], _STATS[tail], raw)
        elif tail in _SPLITS and head in _STATS:
            put(_SPLITS[tail], _STATS[head], raw)
    return stats


# --- helpers --------------------------------------------------------------------------------


def percent(fraction: float) -> str:
    """A share as evidence shows it: one decimal below 10%, none above."""
    value = fraction * 100
    return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"


def standard_error(n: int, p: float = REFERENCE_ACCURACY) -> float:
    """Standard error of an accuracy ``p`` measured on ``n`` samples."""
    return math.sqrt(p * (1 - p) / n) if n > 0 else float("inf")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _listing(values: Mapping[str, float], limit: int = 6) -> str:
    shown = [fmt(v) for v in list(values.values())[:limit]]
    return "[" + ", ".join(shown) + (", ..." if len(values) > limit else "") + "]"


# --- rules ----------------------------------------------------------------------------------


def class_imbalance(facts: DatasetFacts) -> list[Analysis]:
    info = facts.info
    if info.is_regression:
        return []
    counts = facts.counts
    ratio = info.imbalance_ratio
    if ratio is None and len(counts) >= 2:
        ratio = max(counts.values()) / min(counts.values())
    if ratio is None or not math.isfinite(ratio) or ratio < IMBALANCE_RATIO:
        return []
    k = len(counts) or info.num_classes or 2
    if len(counts) >= 2:
        big = max(counts, key=lambda c: counts[c])
        small = min(counts, key=lambda c: counts[c])
        n_big, n_small = counts[big], counts[small]
        total = sum(counts.values())
        evidence = (
            f"The largest class '{big}' has {n_big} training samples and the smallest "
            f"'{small}' {n_small}: an imbalance ratio of {fmt(ratio)} (max/min) over {k} classes."
        )
        weight_small, weight_big = total / (k * n_small), total / (k * n_big)
        oversample = max(math.ceil(n_big * OVERSAMPLE_SHARE), n_small)
        action = (
            f"Weight the loss by inverse class frequency (w_c = N / (K * n_c): '{small}' gets "
            f"{approx(weight_small)}, '{big}' {approx(weight_big)}), or oversample '{small}' to "
            f"about {oversample} samples (a third of '{big}'), or use focal loss with gamma "
            f"{fmt(FOCAL_GAMMA)}; report per-class recall/F1 or balanced accuracy instead of "
            "plain accuracy."
        )
    else:
        evidence = f"The metadata gives an imbalance ratio of {fmt(ratio)} (max/min class count)."
        action = (
            "Weight the loss by inverse class frequency (the rarest class about "
            f"{approx(ratio, 3)}x the largest), or oversample the minority classes to about a "
            f"third of the largest, or use focal loss with gamma {fmt(FOCAL_GAMMA)}; report "
            "per-class recall/F1 or balanced accuracy instead of plain accuracy."
        )
    high = ratio >= IMBALANCE_RATIO_HIGH
    return [
        issue(
            P.CLASS_IMBALANCE,
            description=(
                "The classes are strongly imbalanced." if high else "The classes are imbalanced."
            ),
            evidence=evidence,
            severity=Severity.HIGH if high else Severity.LOW,
            confidence=0.9,
            action=action,
            rationale=(
                "With skewed classes the loss is dominated by the majority, so the model learns "
                "to under-predict rare classes while accuracy still looks good."
            ),
            targets=[T.CLASS_BALANCE, T.LOSS_FUNCTION, T.DATA_COLLECTION],
        )
    ]


def small_dataset(facts: DatasetFacts) -> list[Analysis]:
    info = facts.info
    n = info.num_train_samples
    if n is None:
        return []
    flags: list[tuple[Severity, str]] = []
    k = info.num_classes or len(facts.counts) or None
    per_class = n / k if facts.is_classification and k else None
    if per_class is not None and k is not None:
        spread = f"{fmt(per_class)} training samples per class ({n} for {k} classes)"
        if per_class < MIN_PER_CLASS_HIGH:
            flags.append((Severity.HIGH, spread))
        elif per_class < MIN_PER_CLASS:
            flags.append((Severity.MEDIUM, spread))
        counts = facts.counts
        if counts and per_class >= MIN_PER_CLASS_HIGH:
            smallest = min(counts, key=lambda c: counts[c])
            if counts[smallest] < MIN_PER_CLASS_HIGH:
                flags.append(
                    (Severity.MEDIUM, f"class '{smallest}' has only {counts[smallest]} samples")
                )
    if n < MIN_TRAIN_HIGH:
        flags.append((Severity.HIGH, f"{n} training samples in all"))
    elif facts.is_image and n < MIN_TRAIN_IMAGES:
        flags.append((Severity.MEDIUM, f"{n} training images in all"))
    if not flags:
        return []
    severity = max((level for level, _ in flags), key=lambda level: level.rank)
    need = ""
    if per_class is not None and k is not None and per_class < MIN_PER_CLASS:
        need = f" (at least {MIN_PER_CLASS} per class: {MIN_PER_CLASS * k - n} more samples)"
    pretrained = (
        "Fine-tune a pretrained model (e.g. ImageNet weights; train only the head first, then "
        "unfreeze with a 10x smaller learning rate)"
        if facts.is_image
        else "Use a pretrained model or a simple one (linear, gradient-boosted trees)"
    )
    augment = (
        "augment the training images (random crops, flips, small rotations, colour jitter)"
        if facts.is_image
        else "augment where the data allows it"
    )
    return [
        issue(
            P.SMALL_DATASET,
            description="The training set is small for the task.",
            evidence=_sentence("; ".join(reason for _, reason in flags)),
            severity=severity,
            confidence=0.8,
            action=(
                f"{pretrained}; {augment}; collect more labelled data{need}; keep the model small "
                "and regularise it (dropout 0.3-0.5, weight decay 1e-4) and judge it by 5-fold "
                "cross-validation."
            ),
            rationale=(
                "Deep networks need many examples per class; with few, they memorise the "
                "training set. Pretrained features, augmentation and regularisation stretch "
                "what little data there is."
            ),
            targets=[T.DATA_COLLECTION, T.DATA_AUGMENTATION, T.ARCHITECTURE, T.REGULARIZATION],
        )
    ]


def small_validation_split(facts: DatasetFacts) -> list[Analysis]:
    info = facts.info
    n_train, n_val = info.num_train_samples, info.num_val_samples
    if n_train is None or n_val is None:
        return []
    total = n_train + n_val
    hold_out = f"about {round(0.15 * total)} of the {total} samples"
    stratify = " stratified by class" if facts.is_classification else ""
    action = (
        f"Hold out 10-20% of the data for validation ({hold_out}){stratify}, or use "
        f"{'stratified ' if stratify else ''}5-fold cross-validation when data is scarce."
    )
    if n_val == 0:
        return [
            issue(
                P.SMALL_VALIDATION_SPLIT,
                description="There is no validation split.",
                evidence=f"num_val_samples is 0 next to {n_train} training samples.",
                severity=Severity.MEDIUM,
                confidence=0.9,
                action=action,
                rationale=(
                    "Without held-out data, overfitting, early stopping and model choice cannot "
                    "be judged."
                ),
                targets=[T.DATA_SPLIT],
            )
        ]
    share = n_val / n_train
    se = standard_error(n_val)
    if n_val < MIN_VAL_HIGH:
        severity = Severity.HIGH
    elif n_val < MIN_VAL:
        severity = Severity.MEDIUM
    elif share < VAL_SHARE and se > VAL_SE_TOLERANCE:
        severity = Severity.LOW
    else:
        return []
    return [
        issue(
            P.SMALL_VALIDATION_SPLIT,
            description="The validation split is too small to measure the model reliably.",
            evidence=(
                f"{n_val} validation samples, {percent(share)} of the {n_train} training samples: "
                f"at {fmt(REFERENCE_ACCURACY * 100)}% accuracy the estimate has a standard error "
                f"of {se * 100:.1f} points (95% interval +-{1.96 * se * 100:.1f})."
            ),
            severity=severity,
            confidence=0.85,
            action=action,
            rationale=(
                "A validation metric from few samples swings by several points between epochs "
                "and seeds, so early stopping and model selection follow noise."
            ),
            targets=[T.DATA_SPLIT],
        )
    ]


def unnormalized_inputs(facts: DatasetFacts) -> list[Analysis]:
    train = facts.stats.get("train", {})
    means, stds = train.get("mean", {}), train.get("std", {})
    if not means:
        return []
    raw_scale, off_centre, constant = [], [], []
    for name, m in means.items():
        s = stds.get(name)
        if abs(m) > RAW_SCALE or (s is not None and s > RAW_SCALE):
            raw_scale.append(name)
        elif s is not None and s > 0 and abs(m) > OFFSET_STDS * s and abs(m) > OFFSET_MIN:
            off_centre.append(name)
        elif s is not None and 0 <= s < TINY_STD:
            constant.append(name)
    if not (raw_scale or off_centre or constant):
        return []
    shown = (raw_scale + off_centre + constant)[:3]
    parts = [
        f"{name}: mean {fmt(means[name])}" + (f", std {fmt(stds[name])}" if name in stds else "")
        for name in shown
    ]
    flagged = len(raw_scale) + len(off_centre) + len(constant)
    kinds = []
    if raw_scale:
        kinds.append(f"{len(raw_scale)} on a raw scale (|mean| or std above {fmt(RAW_SCALE)})")
    if off_centre:
        kinds.append(f"{len(off_centre)} off-centre (|mean| above {fmt(OFFSET_STDS)} stds)")
    if constant:
        kinds.append(f"{len(constant)} near-constant (std below {fmt(TINY_STD)})")
    evidence = (
        f"Training statistics of {flagged} of {len(means)} features/channels are far from "
        f"normalised — {'; '.join(kinds)}: {'; '.join(parts)}."
    )
    subtract = {k: means[k] for k in means if k in stds}
    action = "Standardise each feature/channel with the training statistics"
    if subtract:
        action += (
            f": subtract mean {_listing(subtract)} and divide by std "
            f"{_listing({k: stds[k] for k in subtract})}"
        )
    action += (
        " (torchvision transforms.Normalize or sklearn StandardScaler fitted on the training "
        "split only, applied unchanged to validation and test)"
    )
    if facts.is_image and any(abs(means[n]) > RAW_SCALE for n in raw_scale):
        action += "; for 0-255 pixels divide by 255 first"
    if constant:
        action += f"; drop or inspect the near-constant {', '.join(constant[:3])}"
    return [
        issue(
            P.UNNORMALIZED_INPUTS,
            description="Input statistics are far from normalised.",
            evidence=evidence,
            severity=Severity.MEDIUM if raw_scale else Severity.LOW,
            confidence=0.6 if raw_scale else 0.5,
            action=action + ".",
            rationale=(
                "Inputs with large or very different scales make the loss surface ill-conditioned: "
                "gradients are dominated by the largest features, activations saturate, and the "
                "usable learning rate shrinks. These statistics may predate a normalisation in "
                "the input pipeline; if so, this is already handled."
            ),
            targets=[T.NORMALIZATION, T.DATA_PREPROCESSING],
        )
    ]


def _standard_error(info: DatasetInfo, split: str) -> float:
    """Standard error of d between the training split and ``split``, when sizes are known."""
    other = info.num_val_samples if split == "val" else info.num_test_samples
    if not info.num_train_samples or not other:
        return 0.0
    return math.sqrt(1 / info.num_train_samples + 1 / other)


def _shift(facts: DatasetFacts, split: str) -> Analysis | None:
    train, other = facts.stats.get("train", {}), facts.stats.get(split, {})
    t_mean, t_std = train.get("mean", {}), train.get("std", {})
    o_mean, o_std = other.get("mean", {}), other.get("std", {})
    rows: list[tuple[float, str]] = []
    worst_d, spread_off = 0.0, False
    threshold = max(SHIFT_D, SHIFT_NOISE_Z * _standard_error(facts.info, split))
    for name, m_train in t_mean.items():
        s_train = t_std.get(name)
        if name not in o_mean or s_train is None or s_train <= 0:
            continue
        d = abs(o_mean[name] - m_train) / s_train
        ratio = o_std[name] / s_train if name in o_std else None
        off_ratio = ratio is not None and not STD_RATIO_LOW <= ratio <= STD_RATIO_HIGH
        if d <= threshold and not off_ratio:
            continue
        worst_d = max(worst_d, d)
        spread_off = spread_off or off_ratio
        text = f"{name}: mean {fmt(m_train)} -> {fmt(o_mean[name])} (d = {d:.2f})"
        if ratio is not None:
            text += f", std {fmt(s_train)} -> {fmt(o_std[name])} (x{ratio:.2f})"
        rows.append((max(d, abs(math.log(ratio)) if ratio and ratio > 0 else 0.0), text))
    if not rows:
        return None
    rows.sort(key=lambda row: -row[0])
    label = "validation" if split == "val" else "test"
    severity = Severity.HIGH if worst_d > SHIFT_D_HIGH else Severity.MEDIUM
    stratified = " stratified by class" if facts.is_classification else ""
    return issue(
        P.TRAIN_TEST_SHIFT,
        description=f"Training and {label} inputs have different statistics.",
        evidence=(
            f"{len(rows)} of {len(t_mean)} features/channels differ between train and {label} "
            f"(standardised mean difference d above {fmt(threshold)} or std ratio outside "
            f"[{fmt(STD_RATIO_LOW)}, {fmt(STD_RATIO_HIGH)}]): "
            + "; ".join(text for _, text in rows[:3])
            + "."
        ),
        severity=severity,
        confidence=0.75,
        action=(
            f"Check that the {label} data goes through exactly the preprocessing of training "
            "(same resizing, colour conversion, scaling and normalisation constants); if it "
            f"does and the data really differs, re-split randomly{stratified} "
            f"or add {label}-like data to training so both splits come from one distribution."
        ),
        rationale=(
            "A model is only evaluated fairly on data from the distribution it was trained on; "
            "a shifted split turns good training into poor test results (or hides problems)."
        ),
        targets=[T.DATA_SPLIT, T.DATA_COLLECTION, T.DATA_PREPROCESSING],
    )


def train_test_shift(facts: DatasetFacts) -> list[Analysis]:
    found = (_shift(facts, split) for split in ("test", "val"))
    return [item for item in found if item is not None]


# --- soft checks ----------------------------------------------------------------------------


def soft_checks(facts: DatasetFacts) -> dict[str, Any]:
    """Derived numbers and notes that are not findings."""
    info = facts.info
    out: dict[str, Any] = {}
    notes: list[str] = []
    counts = facts.counts
    if info.imbalance_ratio is not None:
        out["imbalance_ratio"] = round(info.imbalance_ratio, 4)
    n, k = info.num_train_samples, info.num_classes or len(counts) or None
    if n is not None and k and facts.is_classification:
        per_class = n / k
        out["samples_per_class"] = round(per_class, 2)
        out["share_of_goodfellow_5000_per_class"] = round(per_class / GOODFELLOW_PER_CLASS, 4)
        if per_class < GOODFELLOW_PER_CLASS:
            notes.append(
                f"{fmt(per_class)} samples per class is below the ~{GOODFELLOW_PER_CLASS} per "
                "class that Goodfellow et al. (2016) give as a rule of thumb for training from "
                "scratch; pretrained models need far fewer."
            )
    if counts:
        out["smallest_class"] = min(counts.values())
        out["largest_class"] = max(counts.values())
    if n is not None and info.num_val_samples:
        out["val_share_of_train"] = round(info.num_val_samples / n, 4)
        out["val_accuracy_standard_error_at_0.8"] = round(standard_error(info.num_val_samples), 4)
    elif info.num_val_samples is None:
        notes.append("num_val_samples is not given: the validation split was not checked.")
    if not facts.stats.get("train", {}).get("mean"):
        notes.append("No training mean/std in the statistics: normalisation was not checked.")
    elif not any(facts.stats.get(split) for split in ("test", "val")):
        notes.append("No test/validation statistics: train/test shift was not checked.")
    out["statistics_read"] = {
        split: {stat: len(values) for stat, values in by_stat.items()}
        for split, by_stat in facts.stats.items()
    }
    out["notes"] = notes
    return out


RULES: tuple[Callable[[DatasetFacts], list[Analysis]], ...] = (
    class_imbalance,
    small_dataset,
    small_validation_split,
    unnormalized_inputs,
    train_test_shift,
)
