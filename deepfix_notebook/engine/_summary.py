"""The summary: a few sentences, the most important finding first."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from deepfix_notebook.contract import AgentName, AgentResult, Analysis, Severity
from deepfix_notebook.engine._curves import Curve, fmt, pct, sentence


def summarize(results: Sequence[AgentResult], curves: Mapping[str, Curve]) -> str:
    """The summary. It says "no problem" only when every agent finished and nothing of medium
    or high severity was found: a failed agent means the run was not fully looked at."""
    symptoms = _all(r for r in results if r.agent_name not in _PHASE_TWO)
    plan = next((r for r in results if r.agent_name == AgentName.OPTIMIZATION.value), None)
    causes = next((r for r in results if r.agent_name == AgentName.CROSS_ARTIFACT.value), None)
    serious = [a for a in symptoms if a.findings.severity is not Severity.LOW]
    if not serious and causes is not None:
        serious = [a for a in _all([causes]) if a.findings.severity is not Severity.LOW]
    failed = [r for r in results if r.error_message]
    sentences: list[str] = []
    if serious:
        top = serious[0]
        sentences.append(
            f"{top.findings.description.rstrip('.')} ({top.findings.severity.value}): "
            f"{sentence(top.findings.evidence)}"
        )
        others = sorted(
            {a.findings.code.value for a in serious[1:] if a.findings.code}
            - {top.findings.code.value if top.findings.code else ""}
        )
        if others:
            sentences.append(f"Also found: {', '.join(others)}.")
        if causes is not None and causes.analysis:
            sentences.append(f"Likely cause: {sentence(causes.analysis[0].findings.description)}")
        first = plan.analysis[0] if plan is not None and plan.analysis else top
        sentences.append(f"Start with: {_first_sentence(first.recommendations.action)}")
        if failed:
            names = ", ".join(r.agent_name for r in failed)
            sentences.append(f"Partial result: {names} did not finish.")
    elif failed:
        sentences.append(_incomplete(failed))
    else:
        sentences.append(_healthy(curves))
    if not serious:
        hints = sorted({a.findings.code.value for a in symptoms if a.findings.code})
        if hints:
            sentences.append(f"Minor hints: {', '.join(hints)}.")
    return " ".join(sentences)


def _incomplete(failed: Sequence[AgentResult]) -> str:
    reasons = "; ".join((r.error_message or r.agent_name).rstrip(".") for r in failed)
    return (
        f"The analysis is incomplete, so the run cannot be called healthy: {reasons}. "
        "The agents that finished found nothing of medium or high severity."
    )


_PHASE_TWO = {AgentName.CROSS_ARTIFACT.value, AgentName.OPTIMIZATION.value}


def _all(results: Iterable[AgentResult]) -> list[Analysis]:
    items = [a for r in results for a in r.analysis if a.findings.code is not None]
    return sorted(items, key=lambda a: (-a.findings.severity.rank, -a.findings.confidence))


def _healthy(curves: Mapping[str, Curve]) -> str:
    loss = curves.get("train_loss")
    if loss is None or loss.points.size < 2:
        return "No problem of medium or high severity was found in the artifacts analysed."
    start, best = loss.head(), float(np.min(loss.smooth))
    fell = (start - best) / abs(start) if start else 0.0
    text = f"The run looks healthy: {loss.display} fell {pct(max(fell, 0.0))} to {fmt(loss.tail())}"
    val = curves.get("val_loss")
    if val is not None and val.points.size:
        low = int(np.argmin(val.smooth))
        text += f" and {val.display} reached {fmt(float(val.smooth[low]))} at {val.place(low)}"
    return text + "; no problem of medium or high severity was found."


def _first_sentence(text: str) -> str:
    cut = text.find("; ")
    sentence = text if cut < 0 else text[:cut]
    return sentence.rstrip(".") + "."
