"""Outlying samples: outside the IQR range of simple image/label properties, or by LoOP."""

from __future__ import annotations

from deepfix_notebook.artifacts import (
    CheckView,
    OutlierProbabilities,
    PropertyOutliers,
    SampleShare,
)
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._curves import fmt
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.dataset import percent
from deepfix_notebook.engine.deepchecks._report import FAMILY, Report, rule, split_size

T = FaultTarget
P = ProblemCode

PROPERTY_OUTLIERS_SHARE = declare(
    "property_outliers_share",
    0.02,
    unit="share of the split's samples",
    family=FAMILY,
    source="own: 3x the ~0.7% of a Gaussian property that Tukey's fences (1.5 IQR) leave out",
    doc="samples outside the IQR range of a property above this share are a medium finding",
)
PROPERTY_OUTLIERS_DEEPCHECKS = declare(
    "property_outliers_deepchecks",
    0.05,
    unit="share of the split's samples",
    family=FAMILY,
    source="Deepchecks PropertyOutliers add_condition_outlier_ratio_less_or_equal default",
    doc="Deepchecks' own limit, quoted in the evidence as the reference",
)
PROPERTY_OUTLIERS_SHARE_HIGH = declare(
    "property_outliers_share_high",
    0.10,
    unit="share of the split's samples",
    family=FAMILY,
    source="own choice",
    doc="property outliers above this share are high",
)
LOOP_SCORE = declare(
    "loop_score",
    0.7,
    unit="LoOP outlier probability",
    family=FAMILY,
    source="Deepchecks OutlierSampleDetection.add_condition_outlier_ratio_less_or_equal default",
    doc="a sample with an outlier probability above this is an outlier",
)
LOOP_SHARE = declare(
    "loop_share",
    0.005,
    unit="share of samples",
    family=FAMILY,
    source="Deepchecks OutlierSampleDetection.add_condition_outlier_ratio_less_or_equal default",
    doc="LoOP outliers above this share are a low finding",
)
LOOP_SHARE_MEDIUM = declare(
    "loop_share_medium",
    0.02,
    unit="share of samples",
    family=FAMILY,
    source="own: 4x Deepchecks' 0.5% allowance, the same 2% bar as property outliers",
    doc="LoOP outliers above this share are medium",
)


rule(
    "Image / Label Property Outliers",
    "outliers",
    condition=(
        "outlier samples > 2% of the split (3x the 0.7% Tukey's fences leave for Gaussian data) "
        "/ > 10%"
    ),
    severity="medium / high",
    source="own; Deepchecks PropertyOutliers' default of 5% quoted as reference",
)


def property_outliers(found: PropertyOutliers, view: CheckView, report: Report) -> list[Analysis]:
    per_property = found.per_property
    count = max(found.distinct, max(per_property.values()))
    if count == 0:
        return []
    total, noun = split_size(view.split, report.dataset)
    ranked = sorted(per_property.items(), key=lambda row: -row[1])[:3]
    most = ", ".join(f"'{k}' ({n})" for k, n in ranked if n)
    if not total:
        report.notes.append(
            f"{view.header}: {count} outlying samples (most in {most}); the number of samples "
            "is unknown (no dataset metadata), so their share was not judged."
        )
        return []
    share = count / total
    if share <= PROPERTY_OUTLIERS_SHARE:
        return []
    return [
        issue(
            P.OUTLIERS,
            description="Many samples are outliers in simple image or label properties.",
            evidence=(
                f"{view.where}: {count} of the {total} {noun} ({percent(share)}) fall outside the "
                f"IQR range of at least one property (about 0.7% would for clean Gaussian data; "
                f"Deepchecks' default limit is {percent(PROPERTY_OUTLIERS_DEEPCHECKS)}); most in "
                f"{most}."
            ),
            severity=Severity.HIGH if share > PROPERTY_OUTLIERS_SHARE_HIGH else Severity.MEDIUM,
            confidence=0.6,
            metric=view.header,
            action=(
                f"Review the {count} flagged samples, starting with '{ranked[0][0]}': remove "
                "corrupt, blank or mislabelled ones; if they are valid but rare, add more such "
                "examples or augment toward them so the model does not treat them as noise."
            ),
            rationale=(
                "Corrupt or mislabelled outliers add label noise; valid but rare ones are where "
                "the model will fail first."
            ),
            targets=[T.DATA_PREPROCESSING, T.LABELS, T.DATA_COLLECTION],
        )
    ]


rule(
    "Outlier Sample Detection",
    "outliers",
    condition=(
        "share with LoOP probability > 0.7 (or flagged by the check's own threshold) "
        "above 0.5% / 2%"
    ),
    severity="low / medium",
    source="Deepchecks defaults; own",
)


def sample_outliers(
    found: OutlierProbabilities | SampleShare, view: CheckView, report: Report
) -> list[Analysis]:
    if isinstance(found, SampleShare):  # only the flagged samples were logged
        share, above = found.share, "at or above the check's outlier threshold"
    else:
        share = sum(s > LOOP_SCORE for s in found.scores) / len(found.scores)
        above = f"above {fmt(LOOP_SCORE)}"
    if share <= LOOP_SHARE:
        return []
    return [
        issue(
            P.OUTLIERS,
            description="A share of the samples are outliers (LoOP).",
            evidence=(
                f"{view.where}: {percent(share)} of samples have an outlier probability {above}; "
                f"Deepchecks' default condition allows {percent(LOOP_SHARE)}."
            ),
            severity=Severity.MEDIUM if share > LOOP_SHARE_MEDIUM else Severity.LOW,
            confidence=0.6,
            metric=view.header,
            action=(
                f"Review the samples with outlier probability {above} (about "
                f"{percent(share)} of the data): drop corrupt or mislabelled rows, and tame "
                "extreme feature values (clip at the 1st/99th percentile, or a log/quantile "
                "transform) before scaling."
            ),
            rationale=(
                "Outliers pull the fit toward themselves, inflate feature scales and often carry "
                "wrong labels."
            ),
            targets=[T.DATA_PREPROCESSING, T.LABELS],
        )
    ]
