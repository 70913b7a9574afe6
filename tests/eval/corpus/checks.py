"""Deepchecks-shaped results computed from the real arrays of a run.

The image and label checks, Feature Drift, Data Duplicates, Conflicting Labels and Class
Performance are make_cases.py's (imported); this module adds what the tabular and regression
programs need, in the same ``CheckResult.to_json()`` shape:

- Feature Label Correlation: make_cases.py's single-feature predictive power score per feature.
- Outlier Sample Detection: Local Outlier Probability (LoOP, k=10 neighbours, extent 3) per
  sample, as deepchecks computes it with PyNomaly; condition: at most 0.5% of samples with an
  outlier probability >= 0.8 (deepchecks' default condition threshold).
- Label Drift for regression targets: Earth Mover's Distance of the scaled label (condition
  < 0.1 as deepchecks' numerical label drift).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import make_cases as mc
import numpy as np
from sklearn.neighbors import NearestNeighbors

Array = np.ndarray


def status_of(check: dict[str, Any]) -> list[str]:
    return [c["Status"] for c in json.loads(check["json_result"])["conditions_results"]]


def value_of(check: dict[str, Any]) -> Any:
    return json.loads(check["json_result"])["value"]


def failed(check: dict[str, Any]) -> bool:
    return "FAIL" in status_of(check)


def check_feature_label_correlation(x: Array, y: Array, names: Sequence[str]) -> dict[str, Any]:
    value = {n: round(mc.pps(x[:, i], y, 0), 4) for i, n in enumerate(names)}
    over = [k for k, v in value.items() if v >= 0.8]
    cond = (
        mc._status(not over),
        "Features' Predictive Power Score is less than 0.8",
        f"Found {len(over)} out of {len(value)} features with PPS above threshold: "
        + ", ".join(f"{k}: {value[k]:.2f}" for k in over)
        if over
        else "Passed for all features",
    )
    top = sorted(value.items(), key=lambda kv: -kv[1])[:3]
    return mc.dc_check(
        "Feature Label Correlation",
        "FeatureLabelCorrelation",
        value,
        [cond],
        "Feature Label Correlation (PPS): " + ", ".join(f"{k} {v:.2f}" for k, v in top),
    )


def loop_scores(x: Array, k: int = 10, extent: float = 3.0) -> Array:
    """Local Outlier Probability (Kriegel et al. 2009) on standardised features."""
    z = (x - x.mean(0)) / np.where(x.std(0) > 1e-12, x.std(0), 1.0)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(z)
    dist, idx = nn.kneighbors(z)
    dist, idx = dist[:, 1:], idx[:, 1:]
    pdist = extent * np.sqrt((dist**2).mean(1))
    plof = pdist / np.maximum(pdist[idx].mean(1), 1e-12) - 1
    nplof = extent * math.sqrt(float((plof**2).mean()))
    erf = np.vectorize(math.erf)
    return np.maximum(0.0, erf(plof / (max(nplof, 1e-12) * math.sqrt(2))))


def check_outlier_samples(x: Array, threshold: float = 0.8) -> dict[str, Any]:
    scores = loop_scores(x)
    order = np.argsort(-scores)
    flagged = np.flatnonzero(scores >= threshold)
    share = len(flagged) / len(x)
    top = [
        {"index": int(i), "Outlier Probability Score": round(float(scores[i]), 4)}
        for i in order[:50]
    ]
    cond = (
        mc._status(share <= 0.005),
        f"Ratio of samples with outlier score >= {threshold} is less or equal to 0.5%",
        f"Ratio of outlier samples: {share:.2%} ({len(flagged)} of {len(x)})",
    )
    value = {
        "outliers_identifiers": [int(i) for i in flagged],
        "top_samples": top,
        "num_samples": len(x),
    }
    return mc.dc_check(
        "Outlier Sample Detection",
        "OutlierSampleDetection",
        value,
        [cond],
        f"Outlier Sample Detection: {len(flagged)} samples with outlier probability >= {threshold}",
    )


def check_regression_label_drift(ytr: Array, yte: Array) -> dict[str, Any]:
    score = mc.earth_movers(ytr, yte)
    cond = (
        mc._status(score < 0.1),
        "Label drift score < 0.1",
        f"Label's drift score Earth Mover's Distance is {score:.2f}",
    )
    return mc.dc_check(
        "Label Drift",
        "LabelDrift",
        {"Drift score": round(score, 4), "Method": "Earth Mover's Distance"},
        [cond],
        f"Label Drift: Earth Mover's Distance {score:.3f}",
    )


def image_props(images: Array) -> dict[str, Array]:
    return mc.image_properties(images)
