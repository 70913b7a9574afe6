"""`AnalysisWidget`: the interactive analysis view for a live kernel with widgets.

Findings can be filtered by severity, agent and code and sorted; selecting one shows its
evidence, recommendation and knowledge, and highlights its region in a Plotly ``FigureWidget``.
Its mime bundle also carries the static view, so saved notebooks and frontends without widgets
show the self-contained HTML instead.
"""

from __future__ import annotations

import html
from typing import Any

from deepfix_notebook.artifacts import MetricsTable
from deepfix_notebook.contract import Analysis, AnalysisResult
from deepfix_notebook.notebook._views import AnalysisView

ALL = "all"
SORTS = ("severity", "confidence", "step")


class AnalysisWidget:
    """Filters, a findings list, the selected finding's details, and the annotated curves."""

    def __init__(self, result: AnalysisResult, table: MetricsTable | None = None) -> None:
        import ipywidgets as w

        self.result = result
        self.table = table
        self.static = AnalysisView(result, table)
        self.items: list[tuple[str, Analysis]] = list(result.findings())
        agents = sorted({agent for agent, _ in self.items})
        codes = sorted({a.findings.code.value for _, a in self.items if a.findings.code})
        self.severity = w.Dropdown(options=[ALL, "high", "medium", "low"], description="severity")
        self.agent = w.Dropdown(options=[ALL, *agents], description="agent")
        self.code = w.Dropdown(options=[ALL, *codes], description="code")
        self.sort = w.Dropdown(options=list(SORTS), description="sort by")
        self.findings = w.Select(options=[], rows=min(max(len(self.items), 3), 10))
        self.findings.add_class("deepfix-findings")
        self.findings.layout.width = "100%"
        self.details = w.HTML()
        self.header = w.HTML(_header(result))
        self.figure = self._figure()
        for control in (self.severity, self.agent, self.code, self.sort):
            control.observe(self._refresh, names="value")
        self.findings.observe(self._select, names="value")
        children = [
            self.header,
            w.HBox([self.severity, self.agent, self.code, self.sort]),
            self.findings,
            self.details,
        ]
        if self.figure is not None:
            children.append(self.figure)
        self.root = w.VBox(children)
        self.root.add_class("deepfix-widget")
        self._refresh()

    # --- state ------------------------------------------------------------------------------

    def visible(self) -> list[int]:
        """Indices into ``items`` that pass the filters, in the chosen order."""
        chosen = [
            i
            for i, (agent, a) in enumerate(self.items)
            if self.severity.value in (ALL, a.findings.severity.value)
            and self.agent.value in (ALL, agent)
            and self.code.value in (ALL, a.findings.code.value if a.findings.code else "")
        ]
        key = {
            "severity": lambda i: (-self.items[i][1].findings.severity.rank, i),
            "confidence": lambda i: (-self.items[i][1].findings.confidence, i),
            "step": lambda i: ((self.items[i][1].findings.step_range or (10**18, 0))[0], i),
        }[self.sort.value]
        return sorted(chosen, key=key)

    def select(self, index: int | None) -> None:
        """Show finding ``index`` (into ``items``) and highlight its region."""
        self.findings.value = index

    def _refresh(self, change: Any = None) -> None:
        options = [(self._label(i), i) for i in self.visible()]
        current = self.findings.value
        self.findings.options = options
        if current in {value for _, value in options}:
            self.findings.value = current
        elif options:
            self.findings.value = options[0][1]
        else:
            self.findings.value = None
            self.details.value = "<i>No finding matches the filters.</i>"

    def _select(self, change: Any) -> None:
        index = change["new"] if isinstance(change, dict) else change
        if index is None:
            return
        agent, analysis = self.items[index]
        self.details.value = _details(agent, analysis)
        self._highlight(analysis)

    def _label(self, index: int) -> str:
        agent, analysis = self.items[index]
        finding = analysis.findings
        code = finding.code.value if finding.code else "-"
        short = agent.replace("ArtifactsAnalyzer", "").replace("Agent", "")
        return f"[{finding.severity.value}] {code} ({short}): {finding.description}"

    # --- the figure ---------------------------------------------------------------------------

    def _figure(self) -> Any:
        if self.table is None or len(self.table) == 0:
            return None
        import plotly.graph_objects as go  # type: ignore[import-untyped]

        from deepfix_notebook.views import run_figure

        figure = go.FigureWidget(run_figure(self.table, self.result))
        figure.layout.height = 560
        figure.layout.autosize = True  # fill the output's width
        figure.layout.margin = {"l": 80, "r": 20, "t": 30, "b": 40}
        return figure

    def _highlight(self, analysis: Analysis) -> None:
        if self.figure is None:
            return
        from deepfix_notebook.views import ranged_findings, run_figure

        regions = ranged_findings(self.result)
        position = next((k for k, (_, f) in enumerate(regions) if f is analysis.findings), None)
        fresh = run_figure(self.table, self.result, highlight=position)  # type: ignore[arg-type]
        with self.figure.batch_update():
            self.figure.layout.shapes = fresh.layout.shapes
            self.figure.layout.annotations = fresh.layout.annotations

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.static._repr_mimebundle_(include, exclude))
        widget = self.root._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle.update({k: v for k, v in widget.items() if k != "text/plain"})
        return bundle


def _header(result: AnalysisResult) -> str:
    counts = result.counts_by_severity()
    e = html.escape
    return (
        f"<div><b>DeepFix</b> analysis of <code>{e(result.run_id)}</code> "
        f"[{e(result.status.value)}, {e(result.backend or 'local')}, "
        f"{result.execution_time * 1000:.0f} ms] &mdash; high {counts['high']}, "
        f"medium {counts['medium']}, low {counts['low']}</div>"
        f"<p>{e(result.summary)}</p>"
    )


def _details(agent: str, analysis: Analysis) -> str:
    e = html.escape
    finding, rec = analysis.findings, analysis.recommendations
    where = ""
    if finding.step_range is not None:
        where = f" (steps {finding.step_range[0]}-{finding.step_range[1]})"
    refs = ", ".join(_knowledge_title(k) for k in rec.knowledge_refs) or "-"
    return (
        f"<div class='deepfix-details'><p><b>{e(finding.description)}</b>{e(where)}<br>"
        f"{e(finding.evidence)}<br><small>{e(agent)}, severity {finding.severity.value}, "
        f"confidence {finding.confidence:.2f}</small></p>"
        f"<p><b>Recommendation</b> [{rec.priority.value}, confidence {rec.confidence:.2f}]: "
        f"{e(rec.action)}<br><i>{e(rec.rationale)}</i><br>"
        f"targets: {e(', '.join(t.value for t in rec.targets))}<br>knowledge: {refs}</p></div>"
    )


def _knowledge_title(ref: str) -> str:
    from deepfix_notebook.engine.knowledge import KnowledgeBridge

    try:
        entry = KnowledgeBridge.default().get(ref)
    except KeyError:
        return html.escape(ref)
    return f"{html.escape(entry.title)} <small>({html.escape(entry.source)})</small>"
