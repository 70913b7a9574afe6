"""Self-contained HTML views of results, for ``text/html`` outputs and static reports.

Pure Python: no JavaScript, no external resources, one scoped ``<style>`` per view (see
`_theme`). Every interpolated string goes through `html.escape`, since everything in a result
may have come from a run's artifacts (CONTRACT.md §6). The output is deterministic: it has no
ids, random or otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from deepfix_notebook.contract import (
    AgentName,
    Analysis,
    AnalysisResult,
    KnowledgeResponse,
    ProblemCode,
    Severity,
)
from deepfix_notebook.views._svg import Band, Series, line_chart
from deepfix_notebook.views._theme import ROOT_CLASS, style_element

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import MetricsTable

_ADVISOR = AgentName.OPTIMIZATION.value
_SCORE_WORDS = ("accuracy", "acc", "f1", "auc", "precision", "recall", "score", "iou", "dice")
_MAX_PANEL_SERIES = 6
_MISSING = "\u2014"  # em dash
_SEP = " \u00b7 "


def _e(value: object) -> str:
    """Escape anything for HTML text and (double-quoted) attribute values."""
    return escape(str(value), quote=True)


def _view(kind: str, body: Iterable[str]) -> str:
    return (
        f'<div class="{ROOT_CLASS}" data-deepfix-view="{_e(kind)}">{style_element()}'
        f"{''.join(body)}</div>"
    )


def _badge(text: object, kind: str) -> str:
    return f'<span class="df-badge df-{_e(kind)}">{_e(text)}</span>'


def _codes(values: Iterable[object]) -> str:
    items = [f"<code>{_e(v)}</code>" for v in values]
    return ", ".join(items) if items else _MISSING


def _duration(seconds: float) -> str:
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def _range(pair: tuple[float, float] | None, *, integer: bool) -> str:
    if pair is None:
        return _MISSING
    first, last = (f"{v:,.0f}" if integer else f"{v:g}" for v in pair)
    return first if first == last else f"{first}\u2013{last}"


def _diagnoses(result: AnalysisResult) -> list[tuple[str, Analysis]]:
    """Findings of every agent but the advisor (whose analyses restate them as a plan)."""
    return [(name, item) for name, item in result.findings() if name != _ADVISOR]


# --------------------------------------------------------------------------- analysis


def analysis_html(
    result: AnalysisResult,
    table: MetricsTable | None = None,
    *,
    max_points: int = 400,
    run_name: str | None = None,
) -> str:
    """One analysis as a self-contained HTML fragment.

    Header, summary and severity counts; the advisor's plan in order; every other agent's
    findings as ``<details>`` (evidence, recommendation, knowledge ids); when ``table`` is given,
    loss and score charts downsampled to ``max_points`` per curve with the findings' step ranges
    shaded; the warnings last.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    body = [_header(result, run_name), _status_note(result), _plan(result)]
    if table is not None:
        body.append(_charts(result, table, max_points))
    body += [_findings(result, table), _warnings(result.warnings)]
    return _view("analysis", body)


def _complete(result: AnalysisResult) -> bool:
    """Every agent answered and none failed: only then does an absence of findings mean health."""
    return (
        result.status.value == "completed"
        and bool(result.agent_results)
        and not any(a.error_message for a in result.agent_results)
    )


def _status_note(result: AnalysisResult) -> str:
    """What failed and what to do, for a failed or partial analysis; empty when it completed."""
    if _complete(result):
        return ""
    ran = bool(result.agent_results) and result.status.value != "failed"
    head = (
        "Partial analysis: not every check ran, so this is not a clean bill of health."
        if ran
        else "The analysis failed: nothing was checked, so this says nothing about the run."
    )
    failed = [a for a in result.agent_results if a.error_message]
    items = [f"<li><code>{_e(a.agent_name)}</code>: {_e(a.error_message)}</li>" for a in failed]
    if not failed and not result.agent_results:
        items = [f"<li>{_e(w)}</li>" for w in result.warnings]
    todo = (
        "the findings below come from the checks that finished. Fix what the failed check says "
        "it needed and run the analysis again."
        if ran
        else "fix the cause above and run the analysis again. If a DeepFix server is "
        "unreachable, <code>%deepfix connect local</code> analyses in this kernel."
    )
    kind = "partial" if ran else "failed"
    listed = f"<ul>{''.join(items)}</ul>" if items else ""
    return (
        f'<div class="df-status-note df-status-{kind}" role="alert"><p><b>{head}</b></p>'
        f"{listed}<p>What to do: {todo}</p></div>"
    )


def _run_label(run_id: str, name: str | None) -> str:
    """A run by its name, its id on hover (and in a ``<code>`` where it has no name)."""
    if name and name != run_id:
        return f'<span class="df-run" title="{_e(run_id)}">{_e(name)}</span>'
    return f"<code>{_e(run_id)}</code>"


def _header(result: AnalysisResult, run_name: str | None = None) -> str:
    counts = result.counts_by_severity()
    badges = [_badge(result.status.value, f"st-{result.status.value}")]
    # A failed analysis checked nothing: zero counts would read as a clean run.
    for severity in [] if result.status.value == "failed" else reversed(Severity):
        count = counts[severity.value]
        badges.append(_badge(f"{count} {severity.value}", severity.value if count else "plain"))
    meta = [
        f"backend {_e(result.backend or 'local')}",
        _e(_duration(result.execution_time)),
        _e(result.timestamp.isoformat().replace("+00:00", "Z")),
        f"request <code>{_e(result.request_id)}</code>",
    ]
    if run_name and run_name != result.run_id:
        meta.insert(0, f"run id <code>{_e(result.run_id)}</code>")
    summary = f"<p>{_e(result.summary)}</p>" if result.summary else ""
    return (
        f"<h3>DeepFix analysis of {_run_label(result.run_id, run_name)}</h3>"
        f'<div class="df-badges">{"".join(badges)}</div>'
        f'<p class="df-meta">{_SEP.join(meta)}</p>{summary}'
    )


def _plan(result: AnalysisResult) -> str:
    advisor = next((a for a in result.agent_results if a.agent_name == _ADVISOR), None)
    if advisor is None:
        return ""
    out = ["<h4>Plan</h4>"]
    if advisor.error_message:
        out.append(f'<p class="df-error">Advisor failed: {_e(advisor.error_message)}</p>')
    if not advisor.analysis:
        if not advisor.error_message:
            out.append(
                "<p>Nothing to change.</p>"
                if _complete(result)
                else "<p>No plan from the checks that finished (the analysis did not complete).</p>"
            )
        return "".join(out)
    out.append("<ol>")
    for item in advisor.analysis:
        rec, finding = item.recommendations, item.findings
        answers = (
            f"<code>{_e(finding.code.value)}</code>" if finding.code else _e(finding.description)
        )
        out.append(
            f"<li>{_badge(rec.priority.value, rec.priority.value)} {_e(rec.action)}"
            f'<div class="df-meta">for {answers} \u00b7 confidence {rec.confidence:.2f}'
            f" \u00b7 targets: {_codes(t.value for t in rec.targets)}"
            f" \u00b7 knowledge: {_codes(rec.knowledge_refs)}</div></li>"
        )
    out.append("</ol>")
    return "".join(out)


def _findings(result: AnalysisResult, table: MetricsTable | None) -> str:
    out = ["<h4>Findings</h4>"]
    shown = 0
    for agent in result.agent_results:
        if agent.agent_name == _ADVISOR or not (agent.analysis or agent.error_message):
            continue
        out.append(f"<h5>{_e(agent.agent_name)}</h5>")
        if agent.error_message:
            out.append(f'<p class="df-error">Error: {_e(agent.error_message)}</p>')
        for item in agent.analysis:
            out.append(_finding(item, table))
            shown += 1
    if not shown:
        if _complete(result):
            out.append("<p>No problems found.</p>")
        else:  # nothing ran, or not everything: absence of findings says nothing
            out.append(
                "<p>No findings: the analysis did not complete (see above), so the run may "
                "still have problems.</p>"
            )
    return "".join(out)


def _finding(item: Analysis, table: MetricsTable | None) -> str:
    finding, rec = item.findings, item.recommendations
    code = finding.code.value if finding.code else _MISSING
    facts = [("Evidence", _e(finding.evidence))]
    if finding.metric:
        metric = f"<code>{_e(finding.metric)}</code>"
        if table is not None and finding.metric in table:
            logged = table.display_name(finding.metric)
            if logged != finding.metric:
                metric += f" (logged as <code>{_e(logged)}</code>)"
        facts.append(("Metric", metric))
    if finding.step_range is not None:
        steps = _e(_range(finding.step_range, integer=True))
        if finding.epoch_range is not None:
            steps += f" (epochs {_e(_range(finding.epoch_range, integer=False))})"
        facts.append(("Steps", steps))
    facts.append(("Confidence", f"{finding.confidence:.2f}"))
    advice = [
        ("Action", _e(rec.action)),
        ("Rationale", _e(rec.rationale)),
        ("Priority", _badge(rec.priority.value, rec.priority.value)),
        ("Confidence", f"{rec.confidence:.2f}"),
        ("Targets", _codes(t.value for t in rec.targets)),
        ("Knowledge", _codes(rec.knowledge_refs)),
    ]
    return (
        f"<details><summary>{_badge(finding.severity.value, finding.severity.value)} "
        f"<code>{_e(code)}</code> {_e(finding.description)}</summary>"
        f"{_dl(facts)}<p><b>Recommendation</b></p>{_dl(advice)}</details>"
    )


def _dl(rows: list[tuple[str, str]]) -> str:
    """A definition list; values are HTML already escaped by the caller."""
    return "<dl>" + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _warnings(warnings: list[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
    return f"<h4>Warnings</h4><ul>{items}</ul>"


def _is_score(name: str) -> bool:
    lowered = name.lower()
    return "loss" not in lowered and any(word in lowered for word in _SCORE_WORDS)


def _charts(result: AnalysisResult, table: MetricsTable, max_points: int) -> str:
    bands: list[Band] = []
    seen: set[tuple[str, tuple[int, int]]] = set()
    for _, item in _diagnoses(result):
        finding = item.findings
        if finding.step_range is None:
            continue
        code = finding.code.value if finding.code else "finding"
        key = (code, finding.step_range)
        if key in seen:
            continue
        seen.add(key)
        first, last = finding.step_range
        bands.append(
            Band(
                first,
                last,
                code,
                finding.severity.value,
                f"{code} ({finding.severity.value}), steps {first}\u2013{last}: "
                f"{finding.description}",
            )
        )
    panels = [
        ("Loss", [n for n in table.names if "loss" in n.lower()]),
        ("Accuracy and scores", [n for n in table.names if _is_score(n)]),
    ]
    out = ["<h4>Curves</h4>"]
    for title, names in panels:
        if not names:
            continue
        series = []
        for name in names[:_MAX_PANEL_SERIES]:
            steps, _, values = table.series(name)
            series.append(Series(table.display_name(name), steps, values))
        out.append(line_chart(series, title=title, bands=bands, max_points=max_points))
    out.append(f'<p class="df-meta">Metrics logged: {_metric_list(table)}</p>')
    return "".join(out)


def _metric_list(table: MetricsTable) -> str:
    items = []
    for name in table.names:
        _, _, values = table.series(name)
        bad = int(np.count_nonzero(~np.isfinite(values)))
        note = f", {bad:,} non-finite" if bad else ""
        items.append(f"<code>{_e(table.display_name(name))}</code> ({len(values):,} points{note})")
    return ", ".join(items) if items else "none"


# --------------------------------------------------------------------------- knowledge


def knowledge_html(response: KnowledgeResponse) -> str:
    """A knowledge search as HTML: results best first, with source, relevance and confidence."""
    head = f"<h3>Knowledge for <q>{_e(response.query)}</q></h3>"
    if not response.results:
        return _view("knowledge", [head, "<p>No knowledge entries match.</p>"])
    out = [head, f'<p class="df-meta">{len(response.results)} result(s), best first</p><ol>']
    for item in response.results:
        title = item.metadata.get("title") or item.id
        url = item.metadata.get("url")
        link = ""
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
            link = f' \u00b7 <a href="{_e(url)}" rel="noopener noreferrer nofollow">link</a>'
        domain = item.metadata.get("domain")
        domain_text = f" \u00b7 {_e(domain)}" if isinstance(domain, str) else ""
        out.append(
            f'<li class="df-item"><b>{_e(title)}</b> '
            f"{_badge(f'relevance {item.relevance_score:.2f}', 'plain')} "
            f"{_badge(f'confidence {item.confidence:.2f}', 'plain')}"
            f"<p>{_e(item.content)}</p>"
            f'<p class="df-meta">Source: {_e(item.source)} \u00b7 <code>{_e(item.id)}</code>'
            f"{domain_text}{link}</p></li>"
        )
    out.append("</ol>")
    return _view("knowledge", out)


# --------------------------------------------------------------------------- comparison


def comparison_html(
    results: Mapping[str, AnalysisResult],
    tables: Mapping[str, MetricsTable] | None = None,
    params: Mapping[str, Mapping[str, object]] | None = None,
    *,
    metric: str = "val_loss",
    max_points: int = 400,
    align: str = "step",
    names: Mapping[str, str] | None = None,
) -> str:
    """Several runs side by side: problems by run, differing parameters, a ranking, an overlay.

    ``align`` is ``"step"`` or ``"epoch"``: the x axis of the overlaid curves (runs without epochs
    stay on steps).

    Runs are ranked by the best value of ``metric`` over each run (lowest for losses and errors,
    highest for accuracies and scores); when no table has ``val_loss``, ``val_accuracy`` is used
    and the view says so. The ranking and the overlay need ``tables``.
    """
    head = f"<h3>DeepFix comparison of {len(results)} run(s)</h3>"
    if not results:
        return _view("comparison", [head, "<p>No runs to compare.</p>"])
    names = dict(names or {})
    body = [head, _matrix(results, names)]
    if params:
        body.append(_param_diff(results, params, names))
    body.append(_ranking(results, tables, metric, max_points, align, names))
    return _view("comparison", body)


def _matrix(results: Mapping[str, AnalysisResult], names: Mapping[str, str]) -> str:
    worst: dict[str, dict[str, tuple[Severity, int]]] = {}
    for run, result in results.items():
        cells: dict[str, tuple[Severity, int]] = {}
        for _, item in _diagnoses(result):
            if item.findings.code is None:
                continue
            code, severity = item.findings.code.value, item.findings.severity
            old, count = cells.get(code, (severity, 0))
            cells[code] = (max(old, severity, key=lambda s: s.rank), count + 1)
        worst[run] = cells
    order = [c.value for c in ProblemCode]
    codes = sorted({c for cells in worst.values() for c in cells}, key=order.index)
    out = ["<h4>Problems by run</h4>"]
    if not codes:
        out.append("<p>No run has a coded finding.</p>")
    head = "".join(f"<th><code>{_e(c)}</code></th>" for c in codes)
    out.append(f"<table><tr><th>run</th><th>status</th>{head}</tr>")
    for run, result in results.items():
        status = result.status.value
        label = _run_label(run, names.get(run))
        row = [f"<td>{label}</td><td>{_badge(status, f'st-{status}')}</td>"]
        for code in codes:
            if code not in worst[run]:
                if status != "completed":  # not analysed: unknown, not absent
                    row.append(f'<td class="df-empty" title="{_e(status)} analysis">?</td>')
                else:
                    row.append(f'<td class="df-empty">{_MISSING}</td>')
                continue
            severity, count = worst[run][code]
            # One problem, once per run: how many agents reported it is in the tooltip.
            tip = f"{names.get(run, run)}: {code}, worst {severity.value}"
            row.append(
                f'<td class="df-cell df-{_e(severity.value)}" '
                f'title="{_e(f"{tip} (reported by {count} finding(s))")}">'
                f"{_e(severity.value)}</td>"
            )
        out.append(f"<tr>{''.join(row)}</tr>")
    out.append("</table>")
    return "".join(out)


def _flatten(mapping: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    flat: dict[str, object] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _param_text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def parameters_html(params: Mapping[str, Mapping[str, object]]) -> str:
    """The parameters that differ between runs (columns in ``params`` order), as a view."""
    return _view("parameters", [_param_diff(params, params)])


def _param_diff(
    runs_in_order: Mapping[str, object],
    params: Mapping[str, Mapping[str, object]],
    names: Mapping[str, str] | None = None,
) -> str:
    names = names or {}
    runs = list(runs_in_order)
    flat = {
        run: {k: _param_text(v) for k, v in _flatten(params.get(run, {})).items()} for run in runs
    }
    keys = sorted({key for values in flat.values() for key in values})
    differing = [k for k in keys if len({flat[run].get(k, _MISSING) for run in runs}) > 1]
    out = ["<h4>Parameters that differ</h4>"]
    if not differing:
        out.append(f"<p>All {len(runs)} run(s) share the same {len(keys)} parameter(s).</p>")
        return "".join(out)
    head = "".join(f"<th>{_run_label(run, names.get(run))}</th>" for run in runs)
    out.append(f"<table><tr><th>parameter</th>{head}</tr>")
    for key in differing:
        cells = "".join(f"<td>{_e(flat[run].get(key, _MISSING))}</td>" for run in runs)
        out.append(f"<tr><td><code>{_e(key)}</code></td>{cells}</tr>")
    out.append("</table>")
    if len(differing) < len(keys):
        out.append(
            f'<p class="df-meta">{len(keys) - len(differing)} shared parameter(s) hidden.</p>'
        )
    return "".join(out)


def _higher_is_better(name: str) -> bool:
    from deepfix_notebook.artifacts import higher_is_better

    return higher_is_better(name) is True


def _best(table: MetricsTable, name: str, higher: bool) -> tuple[float, int] | None:
    steps, _, values = table.series(name)
    finite = np.isfinite(values)
    if not finite.any():
        return None
    masked = np.where(finite, values, -np.inf if higher else np.inf)
    index = int(np.argmax(masked) if higher else np.argmin(masked))
    return float(values[index]), int(steps[index])


def _ranking(
    results: Mapping[str, AnalysisResult],
    tables: Mapping[str, MetricsTable] | None,
    metric: str,
    max_points: int,
    align: str = "step",
    names: Mapping[str, str] | None = None,
) -> str:
    names = names or {}
    out = ["<h4>Ranking</h4>"]
    if not tables:
        out.append(f"<p>Give the runs' metrics tables to rank them by {_e(metric)}.</p>")
        return "".join(out)
    chosen, fallback = metric, False
    if not any(metric in t for t in tables.values()):
        if metric == "val_loss" and any("val_accuracy" in t for t in tables.values()):
            chosen, fallback = "val_accuracy", True
        else:
            out.append(f"<p>No run logged <code>{_e(metric)}</code>: runs are not ranked.</p>")
            return "".join(out)
    higher = _higher_is_better(chosen)
    why = f"Ranked by the {'highest' if higher else 'lowest'} <code>{_e(chosen)}</code> of each run"
    if fallback:
        why += f" (no run logged <code>{_e(metric)}</code>)"
    out.append(f"<p>{why}.</p>")
    scored: list[tuple[str, tuple[float, int] | None]] = []
    for run in results:
        table = tables.get(run)
        scored.append((run, _best(table, chosen, higher) if table and chosen in table else None))

    def key(pair: tuple[str, tuple[float, int] | None]) -> tuple[int, float]:
        best = pair[1]
        if best is None:
            return 1, 0.0
        return 0, -best[0] if higher else best[0]

    ranked = sorted(scored, key=key)  # stable: ties keep the given order
    out.append(f"<table><tr><th>#</th><th>run</th><th>best {_e(chosen)}</th><th>at step</th></tr>")
    for rank, (run, best) in enumerate(ranked, start=1):
        value = _MISSING if best is None else f"{best[0]:.4g}"
        step = _MISSING if best is None else f"{best[1]:,}"
        position = str(rank) if best is not None else _MISSING
        out.append(
            f'<tr><td class="df-num">{_e(position)}</td><td>{_run_label(run, names.get(run))}</td>'
            f'<td class="df-num">{_e(value)}</td><td class="df-num">{_e(step)}</td></tr>'
        )
    out.append("</table>")
    series = []
    for run in results:
        table = tables.get(run)
        if table is not None and chosen in table:
            steps, epochs, values = table.series(chosen)
            x: np.ndarray = steps
            if align == "epoch" and epochs is not None and bool(np.isfinite(epochs).all()):
                x = epochs
            series.append(Series(names.get(run, run), x, values))
    if series:
        out.append(
            line_chart(series, title=f"{chosen} by run", max_points=max_points, x_label=align)
        )
    return "".join(out)
