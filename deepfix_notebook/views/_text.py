"""Plain-text rendering of results, for terminals and ``text/plain`` outputs."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from deepfix_notebook.contract import AgentName, AnalysisResult, KnowledgeResponse

WIDTH = 100
_MARK = {"high": "HIGH", "medium": "MED ", "low": "low "}


def render_analysis(result: AnalysisResult) -> str:
    """A report: header, summary, the plan, then every finding by agent."""
    counts = result.counts_by_severity()
    lines = [
        f"DeepFix analysis of {result.run_id}  [{result.status.value}, "
        f"{result.backend or 'local'}, {result.execution_time * 1000:.0f} ms]",
        f"  high {counts['high']}  medium {counts['medium']}  low {counts['low']}",
        "",
        *_wrap(result.summary, "  "),
    ]
    plan = next(
        (r for r in result.agent_results if r.agent_name == AgentName.OPTIMIZATION.value), None
    )
    if plan is not None and plan.analysis:
        lines += ["", "Plan"]
        for number, item in enumerate(plan.analysis, start=1):
            rec = item.recommendations
            targets = ", ".join(t.value for t in rec.targets)
            lines += _wrap(f"{number}. [{rec.priority.value}] {rec.action}", "  ", "     ")
            lines.append(f"     targets: {targets}; knowledge: {', '.join(rec.knowledge_refs)}")
    for agent in result.agent_results:
        if agent.agent_name == AgentName.OPTIMIZATION.value:
            continue
        if not agent.analysis and not agent.error_message:
            continue
        lines += ["", agent.agent_name]
        if agent.error_message:
            lines.append(f"  error: {agent.error_message}")
        for item in agent.analysis:
            finding = item.findings
            code = finding.code.value if finding.code else "-"
            lines += _wrap(
                f"{_MARK[finding.severity.value]} {code}: {finding.evidence}", "  ", "       "
            )
    if result.warnings:
        lines += ["", "Warnings"]
        for warning in result.warnings:
            lines += _wrap(f"- {warning}", "  ", "    ")
    return "\n".join(lines)


def render_knowledge(response: KnowledgeResponse) -> str:
    if not response.results:
        return f"No knowledge entries match {response.query!r}."
    lines = [f"Knowledge for {response.query!r}"]
    for rank, item in enumerate(response.results, start=1):
        title = item.metadata.get("title", item.id)
        lines += [
            "",
            f"{rank}. {title}  (relevance {item.relevance_score:.2f}, confidence "
            f"{item.confidence:.2f}, {item.id})",
        ]
        lines += _wrap(item.content, "   ")
        lines += _wrap(f"Source: {item.source}", "   ")
    return "\n".join(lines)


def render_comparison(
    results: Mapping[str, AnalysisResult], params: Mapping[str, Mapping[str, object]]
) -> str:
    """Runs side by side: status, counts by severity, problem codes, differing params."""
    lines = [f"DeepFix comparison of {len(results)} runs"]
    for name, result in results.items():
        counts = result.counts_by_severity()
        codes = sorted(
            {
                a.findings.code.value
                for _, a in result.findings()
                if a.findings.code is not None and a.findings.severity.rank >= 1
            }
        )
        lines.append(
            f"  {name}: {result.status.value}, high {counts['high']} medium {counts['medium']}"
            f" low {counts['low']}; {', '.join(codes) or 'no medium/high findings'}"
        )
    keys = sorted({k for p in params.values() for k in p})
    differing = [k for k in keys if len({repr(p.get(k)) for p in params.values()}) > 1]
    if differing:
        lines.append("  parameters that differ:")
        for key in differing:
            values = ", ".join(f"{n}={params[n].get(key)!r}" for n in params)
            lines.append(f"    {key}: {values}")
    return "\n".join(lines)


def _wrap(text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest if rest is not None else first
    ) or [first.rstrip()]
