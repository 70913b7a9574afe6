"""A run's health from its analysis: the problems found at medium or high severity."""

from __future__ import annotations

from typing import Literal

from deepfix_notebook.contract import AnalysisResult, ProblemCode, Severity

Health = Literal["high", "medium", "clean"]


def health(result: AnalysisResult) -> tuple[list[ProblemCode], Health]:
    """The problem codes found at medium or high severity, the worst first, and the run's
    health: its worst severity, ``clean`` when nothing is above low."""
    worst: dict[ProblemCode, Severity] = {}
    for _, analysis in result.findings():
        finding = analysis.findings
        if finding.code is None or finding.severity is Severity.LOW:
            continue
        if finding.code not in worst or finding.severity.rank > worst[finding.code].rank:
            worst[finding.code] = finding.severity
    codes = sorted(worst, key=lambda code: -worst[code].rank)  # stable: first found first
    if not codes:
        return [], "clean"
    return codes, "high" if worst[codes[0]] is Severity.HIGH else "medium"
