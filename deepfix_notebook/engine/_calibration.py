"""Stated confidence, calibrated: a monotone map from what a rule states to how often it is right.

The knots are declared data (`_calibration_table`, written by scripts/calibrate_confidence.py from
the corpus' dev split). The map is applied last, after the plan and the summary are built, so it
changes the numbers shown and never which findings are reported or in what order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deepfix_notebook.contract import AgentResult, Analysis
from deepfix_notebook.engine._calibration_table import CALIBRATED, STATED


def calibrated(confidence: float) -> float:
    """The calibrated value of a stated ``confidence`` (linear between knots, 2 decimals)."""
    value = float(np.interp(min(max(confidence, 0.0), 1.0), STATED, CALIBRATED))
    return round(value, 2)


def calibrate(results: Sequence[AgentResult]) -> list[AgentResult]:
    """``results`` with the confidence of every finding and its recommendation calibrated."""
    return [
        result.model_copy(update={"analysis": [calibrate_item(a) for a in result.analysis]})
        for result in results
    ]


def calibrate_item(item: Analysis) -> Analysis:
    """``item`` with its finding's and recommendation's confidence calibrated."""
    # The recommendation states the finding's confidence (`issue`): the same claim, the same map.
    finding = item.findings.model_copy(update={"confidence": calibrated(item.findings.confidence)})
    rec = item.recommendations.model_copy(
        update={"confidence": calibrated(item.recommendations.confidence)}
    )
    return item.model_copy(update={"findings": finding, "recommendations": rec})
