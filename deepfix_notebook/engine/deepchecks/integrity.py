"""Label quality from shares of samples: duplicates, conflicting labels, train-test mix.

The three checks differ only in their limits and words, so they are one table of `ShareRule`s.
"""

from __future__ import annotations

from dataclasses import dataclass

from deepfix_notebook.artifacts import CheckView, SampleShare
from deepfix_notebook.contract import Analysis, FaultTarget, ProblemCode, Severity
from deepfix_notebook.engine._agent import issue
from deepfix_notebook.engine._thresholds import declare
from deepfix_notebook.engine.dataset import percent
from deepfix_notebook.engine.deepchecks._report import FAMILY, Report, rule, split_size

T = FaultTarget
S = Severity

DUPLICATES_SHARE = declare(
    "duplicates_share",
    0.05,
    unit="share of samples",
    family=FAMILY,
    source="own choice (Deepchecks DataDuplicates.add_condition_ratio_less_or_equal allows 0)",
    doc="duplicates above this share are medium; any is low",
)
DUPLICATES_SHARE_HIGH = declare(
    "duplicates_share_high",
    0.2,
    unit="share of samples",
    family=FAMILY,
    source="own choice",
    doc="duplicates above this share are high",
)
CONFLICTS_SHARE_HIGH = declare(
    "conflicts_share_high",
    0.05,
    unit="share of samples",
    family=FAMILY,
    source=(
        "own choice (Deepchecks ConflictingLabels."
        "add_condition_ratio_of_conflicting_labels_less_or_equal allows 0)"
    ),
    doc="conflicting labels above this share are high; any is medium",
)
SAMPLES_MIX_SHARE = declare(
    "samples_mix_share",
    0.1,
    unit="share of test samples",
    family=FAMILY,
    source="Deepchecks TrainTestSamplesMix.add_condition_duplicates_ratio_less_or_equal default",
    doc="test samples also in training above this share are medium; any is low",
)


@dataclass(frozen=True)
class ShareRule:
    """A check whose value is a share of samples, judged by ``steps`` and told by templates.

    Templates may use {where}, {share}, {about} (' (about N of M samples)'), {groups} and
    {limit}; the action {count} (samples, else the share).
    """

    steps: tuple[tuple[float, Severity], ...]  # (share above, severity), highest first
    description: str
    evidence: str
    action: str
    rationale: str
    confidence: float
    targets: tuple[FaultTarget, ...]
    of_test: bool = False  # a share of the test set, whichever split the header names
    limit: float = 0.0

    def __call__(self, found: SampleShare, view: CheckView, report: Report) -> list[Analysis]:
        share = found.share
        if share <= 0:
            return []
        total, noun = split_size("test" if self.of_test else view.split, report.dataset)
        count = round(share * total) if total else None
        of = f"{total}" if self.of_test else f"{total} {noun}"
        groups = found.groups
        said = {
            "where": view.where,
            "share": percent(share),
            "about": f" (about {count} of {of})" if count is not None else "",
            "groups": f" in {groups} groups of identical inputs" if groups is not None else "",
            "limit": percent(self.limit),
            "count": count if count is not None else percent(share),
        }
        return [
            issue(
                ProblemCode.LABEL_QUALITY,
                description=self.description,
                evidence=self.evidence.format(**said),
                severity=next(level for above, level in self.steps if share > above),
                confidence=self.confidence,
                metric=view.header,
                action=self.action.format(**said),
                rationale=self.rationale,
                targets=list(self.targets),
            )
        ]


rule(
    "Data Duplicates",
    "label_quality",
    condition="share > 0 / > 5% / > 20%",
    severity="low / medium / high",
    source="Deepchecks allows 0; own",
)
duplicates = ShareRule(
    steps=((DUPLICATES_SHARE_HIGH, S.HIGH), (DUPLICATES_SHARE, S.MEDIUM), (0, S.LOW)),
    description="The data contains duplicate samples.",
    evidence=(
        "{where}: {share} of samples are duplicates{about}; Deepchecks' default condition "
        "allows none."
    ),
    action=(
        "Remove the {count} duplicate samples (pandas drop_duplicates, or perceptual hashes for "
        "images) before splitting, so copies cannot land in both train and test."
    ),
    rationale=(
        "Duplicates over-weight what they show and, split across train and test, leak answers "
        "into evaluation."
    ),
    confidence=0.85,
    targets=(T.DATA_PREPROCESSING, T.DATA_SPLIT),
)

rule(
    "Conflicting Labels",
    "label_quality",
    condition="share > 0 / > 5%",
    severity="medium / high",
    source="Deepchecks allows 0; own",
)
conflicting_labels = ShareRule(
    steps=((CONFLICTS_SHARE_HIGH, S.HIGH), (0, S.MEDIUM)),
    description="Identical inputs carry different labels.",
    evidence=(
        "{where}: {share} of samples{about} share their features with a differently labelled "
        "sample{groups}; Deepchecks' default condition allows none."
    ),
    action=(
        "Relabel or drop the {count} conflicting samples (review each group of identical inputs "
        "and keep one agreed label); if identical inputs can truly differ, add the feature that "
        "tells them apart."
    ),
    rationale="Contradictory labels cap the achievable accuracy and teach the model noise.",
    confidence=0.9,
    targets=(T.LABELS, T.DATA_PREPROCESSING),
)

rule(
    "Train Test Samples Mix",
    "label_quality",
    condition="share > 0 / > 10%",
    severity="low / medium",
    source="Deepchecks default 0.1",
)
samples_mix = ShareRule(
    steps=((SAMPLES_MIX_SHARE, S.MEDIUM), (0, S.LOW)),
    description="Test samples also appear in the training data (leakage).",
    evidence=(
        "{where}: {share} of test samples{about} also appear in training; Deepchecks' default "
        "limit is {limit}."
    ),
    action=(
        "Remove the {count} test samples that also occur in training (deduplicate the whole "
        "dataset before splitting) and re-measure test results."
    ),
    rationale="Samples seen in training make test metrics optimistic.",
    confidence=0.85,
    targets=(T.DATA_SPLIT, T.DATA_PREPROCESSING),
    of_test=True,
    limit=SAMPLES_MIX_SHARE,
)
