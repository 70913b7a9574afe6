"""Deepchecks check results read for the rules: kinds, conditions and typed values.

``read_checks(results)`` gives one `CheckView` per check (or a `BrokenCheck`): which kind of
check it is (`CheckKind`, from the header's many spellings), its conditions, and its value
parsed into a typed result (`DriftScores`, `NewLabels`, ...). ``json_result`` is whatever
``CheckResult.to_json()`` gave, so every read is defensive: a value that cannot be read leaves
``result`` unset and says why in ``unreadable``; nothing here raises.
"""

from deepfix_notebook.artifacts._checks._kinds import CheckKind, kind_for, split_header
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
from deepfix_notebook.artifacts._checks._view import (
    BrokenCheck,
    CheckView,
    Condition,
    read_check,
    read_checks,
)

__all__ = [
    "BrokenCheck",
    "CheckKind",
    "CheckValue",
    "CheckView",
    "ClassPerformance",
    "ClassScore",
    "Condition",
    "DomainDrift",
    "DriftScore",
    "DriftScores",
    "MetricScores",
    "NewLabels",
    "OutlierProbabilities",
    "PpsChange",
    "PpsDelta",
    "PredictivePower",
    "PropertyOutliers",
    "SampleShare",
    "kind_for",
    "read_check",
    "read_checks",
    "split_header",
]
