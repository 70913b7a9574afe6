"""Rules over class and sample counts: class imbalance and too little training data."""

from __future__ import annotations

import math

from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import approx, fmt
from deepfix_notebook.engine._thresholds import declare, document
from deepfix_notebook.engine.dataset._facts import FAMILY, DatasetFacts

T = FaultTarget
P = ProblemCode

IMBALANCE_RATIO = declare(
    "imbalance_ratio",
    3.0,
    unit="max/min class count",
    family=FAMILY,
    source="own: a 'worth a look' level",
    doc="classes at least this imbalanced are a low finding",
)
IMBALANCE_RATIO_HIGH = declare(
    "imbalance_ratio_high",
    10.0,
    unit="max/min class count",
    family=FAMILY,
    source=(
        "Buda, Maki & Mazurowski (Neural Networks 2018): CNN accuracy and ROC AUC degrade "
        "clearly from about 10; Johnson & Khoshgoftaar (J. Big Data 2019)"
    ),
    doc="an imbalance ratio at or above this is high",
)
OVERSAMPLE_SHARE = declare(
    "oversample_share",
    1 / 3,
    unit="share of the largest class",
    family=FAMILY,
    source="own: seen every few batches without being duplicated into memorisation",
    doc="the size the advice oversamples the smallest class to",
)
FOCAL_GAMMA = declare(
    "focal_gamma",
    2.0,
    unit="focal loss gamma",
    family=FAMILY,
    source="Lin et al., 'Focal Loss for Dense Object Detection' (ICCV 2017)",
    doc="the focal-loss gamma the advice gives for imbalanced classes",
)
# Small dataset: findings use our own floors; Goodfellow's figure is a soft reference only.
GOODFELLOW_PER_CLASS = declare(
    "goodfellow_per_class",
    5000,
    unit="samples per class",
    family=FAMILY,
    source="Goodfellow, Bengio & Courville, Deep Learning (2016) §1.2.2",
    doc="labelled examples per class for acceptable performance; a note, never a finding",
)
MIN_PER_CLASS = declare(
    "min_per_class",
    50,
    unit="training samples per class",
    family=FAMILY,
    source="own choice",
    doc="fewer samples per class is too little to train from scratch (medium)",
)
MIN_PER_CLASS_HIGH = declare(
    "min_per_class_high",
    10,
    unit="training samples per class",
    family=FAMILY,
    source="own choice",
    doc="fewer per class on average is high; a single class with fewer is medium",
)
MIN_TRAIN_IMAGES = declare(
    "min_train_images",
    1000,
    unit="training images",
    family=FAMILY,
    source="own choice",
    doc="an image task with fewer training images is a medium finding",
)
MIN_TRAIN_HIGH = declare(
    "min_train_high",
    100,
    unit="training samples",
    family=FAMILY,
    source="own choice",
    doc="fewer training samples in all is high",
)


document(
    "class_imbalance",
    family=FAMILY,
    condition="max/min class count ≥ 3",
    severity="low",
    source="Buda, Maki & Mazurowski 2018; Johnson & Khoshgoftaar 2019; 3 own",
)
document(
    "class_imbalance", family=FAMILY, condition="≥ 10", severity="high", source="Buda et al. 2018"
)


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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


document(
    "small_dataset",
    family=FAMILY,
    condition="< 50 training samples per class",
    severity="medium",
    source="own",
)
document(
    "small_dataset",
    family=FAMILY,
    condition="< 10 per class, or < 100 in all",
    severity="high",
    source="own",
)
document(
    "small_dataset",
    family=FAMILY,
    condition="image task with < 1000 training images; smallest class < 10 samples",
    severity="medium",
    source="own",
)


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
