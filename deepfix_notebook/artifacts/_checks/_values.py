"""Typed check results: what a check measured, read from its ``json_result`` value.

Names are shortened for evidence; order is the file's order unless a type says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_NUMERICAL_METHODS = ("kolmogorov", "ks", "earth", "emd", "wasserstein")


@dataclass(frozen=True, slots=True)
class DriftScore:
    """One drift score: of a feature or property (``name``), or of the whole label (``""``)."""

    name: str
    score: float
    method: str
    importance: float | None = None

    @property
    def numerical(self) -> bool:
        """Whether the method is one for numerical columns (Kolmogorov-Smirnov, Earth Mover's)."""
        said = self.method.lower()
        return any(m in said for m in _NUMERICAL_METHODS)


@dataclass(frozen=True, slots=True)
class DriftScores:
    """Label, feature or image-property drift: one score or one per feature (never empty)."""

    scores: tuple[DriftScore, ...]


@dataclass(frozen=True, slots=True)
class DomainDrift:
    """Multivariate drift: a train-vs-test domain classifier's 2*AUC-1, its AUC, and the
    features it relies on most (at most three, positive shares, largest first)."""

    score: float
    auc: float | None
    importance: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class NewLabels:
    """Test labels absent from training: samples per new label (None when not given)."""

    counts: Mapping[str, float | None]
    samples: float | None  # test samples with a new label
    total: float | None  # test labels in all


@dataclass(frozen=True, slots=True)
class PropertyOutliers:
    """Outliers per image/label property, and how many distinct samples they are."""

    per_property: Mapping[str, int]
    distinct: int


@dataclass(frozen=True, slots=True)
class OutlierProbabilities:
    """LoOP outlier probabilities (or their quantiles) of the samples."""

    scores: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """One class's value of one metric, with its number of samples when given."""

    score: float
    samples: float | None


@dataclass(frozen=True, slots=True)
class MetricScores:
    """One metric of one dataset, per class."""

    dataset: str
    metric: str
    by_class: Mapping[str, ClassScore]


@dataclass(frozen=True, slots=True)
class ClassPerformance:
    """Per-class metrics: of the test rows when the table has any, else of all its rows."""

    test_only: bool
    metrics: tuple[MetricScores, ...]


@dataclass(frozen=True, slots=True)
class PredictivePower:
    """Feature -> predictive power score for the label ('feature / class c' when per class)."""

    scores: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class PpsDelta:
    """A feature's train PPS, test PPS and their difference (0 when neither tells it)."""

    name: str
    difference: float
    train: float | None
    test: float | None


@dataclass(frozen=True, slots=True)
class PpsChange:
    """Label correlation change: one row per feature (per class) seen in train or difference."""

    rows: tuple[PpsDelta, ...]


@dataclass(frozen=True, slots=True)
class SampleShare:
    """A share of samples (duplicates, conflicting labels, mixed into both splits), 0..1."""

    share: float
    groups: int | None = None  # groups of identical inputs, when listed


CheckValue = (
    DriftScores
    | DomainDrift
    | NewLabels
    | PropertyOutliers
    | OutlierProbabilities
    | ClassPerformance
    | PredictivePower
    | PpsChange
    | SampleShare
)
