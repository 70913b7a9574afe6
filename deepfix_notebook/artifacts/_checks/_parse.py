"""One parser per check kind: a check's decoded value to its typed result, or `Unreadable`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from deepfix_notebook.artifacts._checks._decode import (
    Unreadable,
    as_mapping,
    decode,
    field,
    number,
    records,
    short,
)
from deepfix_notebook.artifacts._checks._kinds import CheckKind
from deepfix_notebook.artifacts._checks._values import (
    CheckValue,
    ClassPerformance,
    ClassScore,
    DomainDrift,
    DriftScore,
    DriftScores,
    MetricScores,
    NewLabels,
    OutlierProbabilities,
    PpsChange,
    PpsDelta,
    PredictivePower,
    PropertyOutliers,
    SampleShare,
)

# A list of outlier probabilities may hold a few unreadable entries, not more.
MIN_NUMERIC_SHARE = 0.9


def drift_scores(value: Any) -> DriftScores:
    """A single ``Drift score`` (tabular label drift) or a name -> score mapping."""
    value = as_mapping(value)
    top = number(field(value, "Drift score", "drift_score"))
    if top is not None:
        return DriftScores((DriftScore("", top, short(field(value, "Method") or "", 60)),))
    scores = []
    for name, entry in value.items():
        entry = decode(entry)
        score = number(field(entry, "Drift score", "drift_score"))
        if isinstance(entry, Mapping) and score is not None:
            method = short(field(entry, "Method") or "", 60)
            importance = number(field(entry, "Importance"))
            scores.append(DriftScore(short(name, 60), score, method, importance))
    if not scores:
        raise Unreadable("no 'Drift score' in the value")
    return DriftScores(tuple(scores))


def domain_drift(value: Any) -> DomainDrift:
    """The domain classifier's drift score (else 2*AUC-1), AUC and top feature importances."""
    value = as_mapping(value)
    score = number(field(value, "domain_classifier_drift_score", "drift_score", "Drift score"))
    auc = number(field(value, "domain_classifier_auc", "auc"))
    if score is None and auc is not None:
        score = max(0.0, 2 * auc - 1)
    if score is None:
        raise Unreadable("no domain_classifier_drift_score or domain_classifier_auc in the value")
    importance = field(value, "domain_classifier_feature_importance", "feature_importance")
    ranked = sorted(
        (
            (short(k, 60), n)
            for k, v in (importance.items() if isinstance(importance, Mapping) else [])
            if (n := number(v)) is not None and n > 0
        ),
        key=lambda row: -row[1],
    )[:3]
    return DomainDrift(score, auc, tuple(ranked))


def new_labels(value: Any) -> NewLabels:
    """Vision (label -> count) and tabular (a list plus counts per label) shapes."""
    value = as_mapping(value)
    raw = field(value, "new_labels")
    counts: dict[str, float | None] = {}
    if isinstance(raw, Mapping):
        counts = {short(k, 60): number(v) for k, v in raw.items()}
    elif isinstance(raw, list):
        per_label = field(value, "n_samples_per_new_label")
        per = per_label if isinstance(per_label, Mapping) else {}
        counts = {short(k, 60): number(per.get(short(k, 60))) for k in raw}
    elif raw is not None:
        raise Unreadable(f"new_labels is {type(raw).__name__}")
    known = [c for c in counts.values() if c is not None]
    samples = number(field(value, "n_new_labels_samples"))
    if samples is None and known:
        samples = sum(known)
    total = number(field(value, "all_labels_count", "n_samples"))
    return NewLabels(counts, samples, total)


def _identity(item: Any) -> str | int | float:
    return item if isinstance(item, str | int | float) else repr(item)


def property_outliers(value: Any) -> PropertyOutliers:
    """Outlier indices (or counts) per property."""
    value = as_mapping(value)
    per_property: dict[str, int] = {}
    ids: set[str | int | float] = set()
    for prop, entry in value.items():
        entry = decode(entry)
        found = field(entry, "outliers_identifiers", "indices", "outlier_indices", "outliers")
        if isinstance(found, list):
            per_property[short(prop, 60)] = len(found)
            ids.update(_identity(item) for item in found)
        elif (count := number(found)) is not None:
            per_property[short(prop, 60)] = int(count)
    if not per_property:
        raise Unreadable("no outlier indices per property in the value")
    return PropertyOutliers(per_property, len(ids))


def outlier_probabilities(value: Any) -> OutlierProbabilities | SampleShare:
    """A list of probabilities, bare or under ``quantiles``; or the flagged samples' ids and
    the number of samples (the share flagged at the check's own score threshold)."""
    value = decode(value)
    if isinstance(value, Mapping):
        flagged = field(value, "outliers_identifiers", "outlier_indices", "outliers")
        total = number(field(value, "num_samples", "n_samples", "samples"))
        if isinstance(flagged, list) and total is not None and total >= len(flagged) > 0:
            return SampleShare(len(flagged) / total)
        value = field(value, "quantiles", "outlier_probability_quantiles", "values")
    if not isinstance(value, list) or not value:
        raise Unreadable("no list of outlier probabilities in the value")
    scores = [n for n in (number(v) for v in value) if n is not None]
    if len(scores) < len(value) * MIN_NUMERIC_SHARE:
        raise Unreadable("the value is not a list of outlier probabilities")
    return OutlierProbabilities(tuple(scores))


def class_performance(value: Any) -> ClassPerformance:
    """Per-class metric rows (records or columns); the test rows when there are any."""
    rows = records(value)
    if not rows:
        raise Unreadable("the class performance table is empty")
    tests = [r for r in rows if str(field(r, "Dataset") or "").lower().startswith("test")]
    table: dict[tuple[str, str], dict[str, ClassScore]] = {}
    for row in tests or rows:
        score = number(field(row, "Value"))
        label = field(row, "Class Name", "Class")
        if score is None or label is None:
            continue
        key = (str(field(row, "Dataset") or ""), short(field(row, "Metric") or "score", 40))
        samples = number(field(row, "Number of samples"))
        table.setdefault(key, {})[short(label, 60)] = ClassScore(score, samples)
    if not table:
        raise Unreadable("no Class/Value columns in the class performance table")
    metrics = tuple(MetricScores(d, m, by_class) for (d, m), by_class in table.items())
    return ClassPerformance(bool(tests), metrics)


def _pps(value: Any) -> dict[str, float]:
    """Feature -> PPS, flattening per-class mappings to 'feature / class'."""
    out: dict[str, float] = {}
    for name, entry in as_mapping(value).items():
        entry = decode(entry)
        if isinstance(entry, Mapping):
            for label, pps in entry.items():
                if (n := number(pps)) is not None:
                    out[f"{short(name, 60)} / class {short(label, 40)}"] = n
        elif (n := number(entry)) is not None:
            out[short(name, 60)] = n
    return out


def predictive_power(value: Any) -> PredictivePower:
    """PPS per feature, of the ``train`` part when there is one."""
    value = as_mapping(value)
    train = field(value, "train")
    scores = _pps(train if isinstance(train, Mapping) else value)
    if not scores:
        raise Unreadable("no predictive power scores in the value")
    return PredictivePower(scores)


def pps_change(value: Any) -> PpsChange:
    """Train, test and difference PPS, whole or per class (class -> {train, test, ...})."""
    value = as_mapping(value)
    rows: list[PpsDelta] = []
    if field(value, "train") is not None:
        parts = [("", value)]
    else:
        decoded = ((short(k, 60), decode(v)) for k, v in value.items())
        parts = [(k, v) for k, v in decoded if isinstance(v, Mapping)]
    for prefix, part in parts:
        train = _pps(field(part, "train") or {})
        test = _pps(field(part, "test") or {})
        gaps = _pps(field(part, "train-test difference", "difference") or {})
        for name in set(train) | set(gaps):
            d = gaps.get(name)
            if d is None and name in train and name in test:
                d = train[name] - test[name]
            label = f"{prefix} / class {name}" if prefix else name
            rows.append(
                PpsDelta(label, d if d is not None else 0.0, train.get(name), test.get(name))
            )
    if not rows:
        raise Unreadable("no train/test predictive power scores in the value")
    return PpsChange(tuple(rows))


def _share(value: Any, *keys: str) -> float:
    """A ratio, bare or under one of ``keys``; a percentage written as 0-100 is scaled."""
    share = number(value) if not isinstance(value, Mapping) else number(field(value, *keys))
    if share is None or share < 0:
        raise Unreadable(f"no ratio ({', '.join(keys)}) in the value")
    return share / 100 if share > 1 else share


def duplicates(value: Any) -> SampleShare:
    return SampleShare(_share(decode(value), "percent", "ratio", "percent_of_duplicates"))


def conflicting_labels(value: Any) -> SampleShare:
    value = decode(value)
    share = _share(value, "percent_of_conflicting_samples", "percent", "ratio")
    groups = field(value, "samples_indices", "samples")
    return SampleShare(share, len(groups) if isinstance(groups, list) else None)


def samples_mix(value: Any) -> SampleShare:
    return SampleShare(_share(decode(value), "ratio", "percent"))


K = CheckKind
PARSERS: dict[CheckKind, Callable[[Any], CheckValue]] = {
    K.LABEL_DRIFT: drift_scores,
    K.DATASET_DRIFT: domain_drift,
    K.FEATURE_DRIFT: drift_scores,
    K.PPS_CHANGE: pps_change,
    K.PPS: predictive_power,
    K.NEW_LABELS: new_labels,
    K.PROPERTY_OUTLIERS: property_outliers,
    K.SAMPLE_OUTLIERS: outlier_probabilities,
    K.CLASS_PERFORMANCE: class_performance,
    K.DUPLICATES: duplicates,
    K.CONFLICTING_LABELS: conflicting_labels,
    K.SAMPLES_MIX: samples_mix,
}
