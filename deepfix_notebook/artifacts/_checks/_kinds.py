"""Which kind of check a header names: Deepchecks' tabular and vision names, old and new."""

from __future__ import annotations

import re
from enum import StrEnum


class CheckKind(StrEnum):
    """What a check measures, whatever Deepchecks release or modality named it."""

    HEATMAP = "heatmap"  # display only: nothing to judge
    LABEL_DRIFT = "label_drift"
    PREDICTION_DRIFT = "prediction_drift"
    DATASET_DRIFT = "dataset_drift"  # a train-vs-test domain classifier (multivariate drift)
    FEATURE_DRIFT = "feature_drift"  # per feature or image property
    PPS_CHANGE = "pps_change"  # label correlation change between train and test
    PPS = "pps"  # feature / property label correlation
    NEW_LABELS = "new_labels"
    PROPERTY_OUTLIERS = "property_outliers"
    SAMPLE_OUTLIERS = "sample_outliers"  # LoOP outlier probabilities
    CLASS_PERFORMANCE = "class_performance"
    LEAKAGE = "leakage"
    DUPLICATES = "duplicates"
    CONFLICTING_LABELS = "conflicting_labels"
    SAMPLES_MIX = "samples_mix"
    CLASS_IMBALANCE = "class_imbalance"
    OTHER_DRIFT = "other_drift"  # category mismatch, dominant frequency change, ...
    OTHER = "other"  # known checks read by their conditions only


K = CheckKind

# A check is of the first kind one of whose phrases its normalised header contains:
# specific phrases before general ones.
ALIASES: tuple[tuple[CheckKind, tuple[str, ...]], ...] = (
    (K.HEATMAP, ("heatmap comparison",)),
    (K.LABEL_DRIFT, ("label drift",)),
    (K.PREDICTION_DRIFT, ("prediction drift",)),
    (
        K.DATASET_DRIFT,
        ("image dataset drift", "multivariate drift", "whole dataset drift", "embeddings drift"),
    ),
    (K.FEATURE_DRIFT, ("feature drift", "property drift", "properties drift")),
    (K.PPS_CHANGE, ("correlation change", "contribution train test", "contribution change")),
    (K.PPS, ("label correlation", "feature contribution")),
    (K.NEW_LABELS, ("new label",)),
    (K.PROPERTY_OUTLIERS, ("property outliers",)),
    (K.SAMPLE_OUTLIERS, ("outlier sample detection", "outlier detection")),
    (K.CLASS_PERFORMANCE, ("class performance",)),
    (K.LEAKAGE, ("leakage",)),
    (K.DUPLICATES, ("data duplicates", "text duplicates")),
    (K.CONFLICTING_LABELS, ("conflicting labels", "label ambiguity")),
    (K.SAMPLES_MIX, ("samples mix",)),
    (K.CLASS_IMBALANCE, ("class imbalance",)),
    (K.OTHER_DRIFT, ("drift", "new category", "category mismatch", "dominant frequency change")),
    (
        K.OTHER,
        (
            "string mismatch",
            "mixed nulls",
            "mixed data types",
            "special characters",
            "string length",
            "percent of nulls",
            "single value",
            "feature feature correlation",
            "columns info",
            "model info",
            "confusion matrix",
            "performance",
            "roc report",
            "calibration",
            "error analysis",
            "inference time",
            "unused features",
            "boosting overfit",
            "model comparison",
            "datasets size comparison",
            "mean average",
            "robustness",
        ),
    ),
)


def split_header(header: str) -> tuple[str, str | None]:
    """'Train Test Label Drift - Test Dataset' -> ('label drift', 'test')."""
    text, split = header.strip().lower(), None
    base, dash, tail = text.partition(" - ")
    if dash:
        split = "train" if "train" in tail else "test" if "test" in tail else None
        text = base
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return re.sub(r"^train test ", "", text), split


def kind_for(name: str) -> CheckKind | None:
    """The kind of a check by its normalised name (`split_header`); None if unknown."""
    return next((kind for kind, phrases in ALIASES if any(p in name for p in phrases)), None)
