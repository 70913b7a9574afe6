"""DeepchecksArtifactsAnalyzer: findings from a run's Deepchecks suite results.

Artifacts read the checks (`artifacts.read_checks`: kind, conditions, typed value); the rules
here judge them, one module per kind of problem: `drift`, `outliers`, `performance`,
`leakage`, `integrity`. Every threshold is declared with its source (`engine._thresholds`) —
Deepchecks' own default conditions where they exist. A check that cannot be read is listed
under ``additional_outputs["unreadable"]`` and never fails the agent.
"""

# The rule modules first, in this order: it is the order of their rows in docs/diagnosis.md.
# isort: off
from deepfix_notebook.engine.deepchecks import drift, outliers, performance, leakage, integrity

# isort: on
from deepfix_notebook.engine.deepchecks._analyzer import (
    KINDS,
    DeepchecksArtifactsAnalyzer,
    Kind,
    failed_conditions,
    review,
)
from deepfix_notebook.engine.deepchecks._report import Report

__all__ = [
    "KINDS",
    "DeepchecksArtifactsAnalyzer",
    "Kind",
    "Report",
    "drift",
    "failed_conditions",
    "integrity",
    "leakage",
    "outliers",
    "performance",
    "review",
]
