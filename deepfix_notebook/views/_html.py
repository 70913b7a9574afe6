"""Self-contained HTML views of results, for ``text/html`` outputs and static reports.

Pure Python: no JavaScript, no external resources, one scoped ``<style>`` per view (see
`_theme`). Every fragment is a `Markup` built with `_markup.html` templates, so every
interpolated string is escaped: anything in a result may have come from a run's artifacts
(CONTRACT.md §6). The public functions return plain ``str``, so callers' string operations
never escape them a second time. The output is deterministic: it has no ids, random or otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
from deepfix_notebook.views._markup import Markup, html, join
from deepfix_notebook.views._svg import Band, Series, line_chart
from deepfix_notebook.views._theme import ROOT_CLASS, style_element

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import MetricsTable

_ADVISOR = AgentName.OPTIMIZATION.value
_SCORE_WORDS = ("accuracy", "acc", "f1", "auc", "precision", "recall", "score", "iou", "dice")
_MAX_PANEL_SERIES = 6
_MISSING = "\u2014"  # em dash
_SEP = " \u00b7 "


def _view(kind: str, body: Iterable[str]) -> Markup:
    return html(
        '<div class="{}" data-deepfix-view="{}">{}{}</div>',
        ROOT_CLASS,
        kind,
        style_element(),
        join(body),
    )


def _badge(text: object, kind: str) -> Markup:
    return html('<span class="df-badge df-{}">{}</span>', kind, text)


def _codes(values: Iterable[object]) -> Markup:
    items = [html("<code>{}</code>", v) for v in values]
    return join(items, ", ") if items else Markup(_MISSING)


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
    notice: str | None = None,
) -> str:
    """One analysis as a self-contained HTML fragment.

    ``notice`` first, when the analysis is not the one asked for (the embedded engine answered
    for an unreachable server); header, summary and severity counts; the advisor's plan in
    order; every other agent's findings as ``<details>`` (evidence, recommendation, knowledge
    ids); when ``table`` is given, loss and score charts downsampled to ``max_points`` per curve
    with the findings' step ranges shaded; the warnings last.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    body = [_header(result, run_name), _status_note(result), _plan(result)]
    if notice:
        body.insert(0, html('<p class="df-notice" role="status"><b>DeepFix</b>: {}</p>', notice))
    if table is not None:
        body.append(_charts(result, table, max_points))
    body += [_findings(result, table), _warnings(result.warnings)]
    return str(_view("analysis", body))


def _complete(result: AnalysisResult) -> bool:
    """Every agent answered and none failed: only then does an absence of findings mean health."""
    return (
        result.status.value == "completed"
        and bool(result.agent_results)
        and not any(a.error_message for a in result.agent_results)
    )


def _status_note(result: AnalysisResult) -> Markup:
    """What failed and what to do, for a failed or partial analysis; empty when it completed."""
    if _complete(result):
        return Markup()
    ran = bool(result.agent_results) and result.status.value != "failed"
    head = (
        "Partial analysis: not every check ran, so this is not a clean bill of health."
        if ran
        else "The analysis failed: nothing was checked, so this says nothing about the run."
    )
    failed = [a for a in result.agent_results if a.error_message]
    items = [html("<li><code>{}</code>: {}</li>", a.agent_name, a.error_message) for a in failed]
    if not failed and not result.agent_results:
        items = [html("<li>{}</li>", w) for w in result.warnings]
    todo = (
        Markup(
            "the findings below come from the checks that finished. Fix what the failed check "
            "says it needed and run the analysis again."
        )
        if ran
        else Markup(
            "fix the cause above and run the analysis again. If a DeepFix server is "
            "unreachable, <code>%deepfix connect local</code> analyses in this kernel."
        )
    )
    listed = html("<ul>{}</ul>", join(items)) if items else ""
    return html(
        '<div class="df-status-note df-status-{}" role="alert"><p><b>{}</b></p>'
        "{}<p>What to do: {}</p></div>",
        "partial" if ran else "failed",
        head,
        listed,
        todo,
    )


def _run_label(run_id: str, name: str | None) -> Markup:
    """A run by its name, its id on hover (and in a ``<code>`` where it has no name)."""
    if name and name != run_id:
        return html('<span class="df-run" title="{}">{}</span>', run_id, name)
    return html("<code>{}</code>", run_id)


def _header(result: AnalysisResult, run_name: str | None = None) -> Markup:
    counts = result.counts_by_severity()
    badges = [_badge(result.status.value, f"st-{result.status.value}")]
    # A failed analysis checked nothing: zero counts would read as a clean run.
    for severity in [] if result.status.value == "failed" else reversed(Severity):
        count = counts[severity.value]
        badges.append(_badge(f"{count} {severity.value}", severity.value if count else "plain"))
    meta: list[str] = [
        f"backend {result.backend or 'local'}",
        _duration(result.execution_time),
        result.timestamp.isoformat().replace("+00:00", "Z"),
        html("request <code>{}</code>", result.request_id),
    ]
    if run_name and run_name != result.run_id:
        meta.insert(0, html("run id <code>{}</code>", result.run_id))
    summary = html("<p>{}</p>", result.summary) if result.summary else ""
    return html(
        '<h3>DeepFix analysis of {}</h3><div class="df-badges">{}</div><p class="df-meta">{}</p>{}',
        _run_label(result.run_id, run_name),
        join(badges),
        join(meta, _SEP),
        summary,
    )


def _plan(result: AnalysisResult) -> Markup:
    advisor = next((a for a in result.agent_results if a.agent_name == _ADVISOR), None)
    if advisor is None:
        return Markup()
    out = [Markup("<h4>Plan</h4>")]
    if advisor.error_message:
        out.append(html('<p class="df-error">Advisor failed: {}</p>', advisor.error_message))
    if not advisor.analysis:
        if not advisor.error_message:
            out.append(
                Markup("<p>Nothing to change.</p>")
                if _complete(result)
                else Markup(
                    "<p>No plan from the checks that finished (the analysis did not complete).</p>"
                )
            )
        return join(out)
    steps = []
    for item in advisor.analysis:
        rec, finding = item.recommendations, item.findings
        answers = (
            html("<code>{}</code>", finding.code.value) if finding.code else finding.description
        )
        steps.append(
            html(
                '<li>{} {}<div class="df-meta">for {} \u00b7 confidence {:.2f}'
                " \u00b7 targets: {} \u00b7 knowledge: {}</div></li>",
                _badge(rec.priority.value, rec.priority.value),
                rec.action,
                answers,
                rec.confidence,
                _codes(t.value for t in rec.targets),
                _codes(rec.knowledge_refs),
            )
        )
    out.append(html("<ol>{}</ol>", join(steps)))
    return join(out)


def _findings(result: AnalysisResult, table: MetricsTable | None) -> Markup:
    out = [Markup("<h4>Findings</h4>")]
    shown = 0
    for agent in result.agent_results:
        if agent.agent_name == _ADVISOR or not (agent.analysis or agent.error_message):
            continue
        out.append(html("<h5>{}</h5>", agent.agent_name))
        if agent.error_message:
            out.append(html('<p class="df-error">Error: {}</p>', agent.error_message))
        for item in agent.analysis:
            out.append(_finding(item, table))
            shown += 1
    if not shown:
        if _complete(result):
            out.append(Markup("<p>No problems found.</p>"))
        else:  # nothing ran, or not everything: absence of findings says nothing
            out.append(
                Markup(
                    "<p>No findings: the analysis did not complete (see above), so the run may "
                    "still have problems.</p>"
                )
            )
    return join(out)


def _finding(item: Analysis, table: MetricsTable | None) -> Markup:
    finding, rec = item.findings, item.recommendations
    code = finding.code.value if finding.code else _MISSING
    facts: list[tuple[str, object]] = [("Evidence", finding.evidence)]
    if finding.metric:
        metric = html("<code>{}</code>", finding.metric)
        if table is not None and finding.metric in table:
            logged = table.display_name(finding.metric)
            if logged != finding.metric:
                metric += html(" (logged as <code>{}</code>)", logged)
        facts.append(("Metric", metric))
    if finding.step_range is not None:
        steps = _range(finding.step_range, integer=True)
        if finding.epoch_range is not None:
            steps += f" (epochs {_range(finding.epoch_range, integer=False)})"
        facts.append(("Steps", steps))
    facts.append(("Confidence", f"{finding.confidence:.2f}"))
    advice: list[tuple[str, object]] = [
        ("Action", rec.action),
        ("Rationale", rec.rationale),
        ("Priority", _badge(rec.priority.value, rec.priority.value)),
        ("Confidence", f"{rec.confidence:.2f}"),
        ("Targets", _codes(t.value for t in rec.targets)),
        ("Knowledge", _codes(rec.knowledge_refs)),
    ]
    return html(
        "<details><summary>{} <code>{}</code> {}</summary>{}<p><b>Recommendation</b></p>{}"
        "</details>",
        _badge(finding.severity.value, finding.severity.value),
        code,
        finding.description,
        _dl(facts),
        _dl(advice),
    )


def _dl(rows: list[tuple[str, object]]) -> Markup:
    """A definition list; values are escaped unless they are `Markup`."""
    return html("<dl>{}</dl>", join(html("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in rows))


def _warnings(warnings: list[str]) -> Markup:
    if not warnings:
        return Markup()
    return html("<h4>Warnings</h4><ul>{}</ul>", join(html("<li>{}</li>", w) for w in warnings))


def _is_score(name: str) -> bool:
    lowered = name.lower()
    return "loss" not in lowered and any(word in lowered for word in _SCORE_WORDS)


def _charts(result: AnalysisResult, table: MetricsTable, max_points: int) -> Markup:
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
    out = [Markup("<h4>Curves</h4>")]
    for title, names in panels:
        if not names:
            continue
        series = []
        for name in names[:_MAX_PANEL_SERIES]:
            steps, _, values = table.series(name)
            series.append(Series(table.display_name(name), steps, values))
        out.append(line_chart(series, title=title, bands=bands, max_points=max_points))
    out.append(html('<p class="df-meta">Metrics logged: {}</p>', _metric_list(table)))
    return join(out)


def _metric_list(table: MetricsTable) -> Markup:
    items = []
    for name in table.names:
        _, _, values = table.series(name)
        bad = int(np.count_nonzero(~np.isfinite(values)))
        note = f", {bad:,} non-finite" if bad else ""
        items.append(
            html("<code>{}</code> ({:,} points{})", table.display_name(name), len(values), note)
        )
    return join(items, ", ") if items else Markup("none")


# --------------------------------------------------------------------------- knowledge


def knowledge_html(response: KnowledgeResponse) -> str:
    """A knowledge search as HTML: results best first, with source, relevance and confidence."""
    head = html("<h3>Knowledge for <q>{}</q></h3>", response.query)
    if not response.results:
        return str(_view("knowledge", [head, Markup("<p>No knowledge entries match.</p>")]))
    items = []
    for item in response.results:
        title = item.metadata.get("title") or item.id
        url = item.metadata.get("url")
        link: object = ""
        if isinstance(url, str) and url.lower().startswith(("https://", "http://")):
            link = html(' \u00b7 <a href="{}" rel="noopener noreferrer nofollow">link</a>', url)
        domain = item.metadata.get("domain")
        domain_text = f" \u00b7 {domain}" if isinstance(domain, str) else ""
        items.append(
            html(
                '<li class="df-item"><b>{}</b> {} {}<p>{}</p>'
                '<p class="df-meta">Source: {} \u00b7 <code>{}</code>{}{}</p></li>',
                title,
                _badge(f"relevance {item.relevance_score:.2f}", "plain"),
                _badge(f"confidence {item.confidence:.2f}", "plain"),
                item.content,
                item.source,
                item.id,
                domain_text,
                link,
            )
        )
    count = html('<p class="df-meta">{} result(s), best first</p>', len(response.results))
    return str(_view("knowledge", [head, count, html("<ol>{}</ol>", join(items))]))


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
    head = html("<h3>DeepFix comparison of {} run(s)</h3>", len(results))
    if not results:
        return str(_view("comparison", [head, Markup("<p>No runs to compare.</p>")]))
    names = dict(names or {})
    body = [head, _matrix(results, names)]
    if params:
        body.append(_param_diff(results, params, names))
    body.append(_ranking(results, tables, metric, max_points, align, names))
    return str(_view("comparison", body))


def _matrix(results: Mapping[str, AnalysisResult], names: Mapping[str, str]) -> Markup:
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
    out = [Markup("<h4>Problems by run</h4>")]
    if not codes:
        out.append(Markup("<p>No run has a coded finding.</p>"))
    head = join(html("<th><code>{}</code></th>", c) for c in codes)
    rows = []
    for run, result in results.items():
        status = result.status.value
        row = [
            html(
                "<td>{}</td><td>{}</td>",
                _run_label(run, names.get(run)),
                _badge(status, f"st-{status}"),
            )
        ]
        for code in codes:
            if code not in worst[run]:
                if status != "completed":  # not analysed: unknown, not absent
                    row.append(html('<td class="df-empty" title="{} analysis">?</td>', status))
                else:
                    row.append(html('<td class="df-empty">{}</td>', _MISSING))
                continue
            severity, count = worst[run][code]
            # One problem, once per run: how many agents reported it is in the tooltip.
            tip = f"{names.get(run, run)}: {code}, worst {severity.value}"
            row.append(
                html(
                    '<td class="df-cell df-{0}" title="{1} (reported by {2} finding(s))">{0}</td>',
                    severity.value,
                    tip,
                    count,
                )
            )
        rows.append(html("<tr>{}</tr>", join(row)))
    out.append(html("<table><tr><th>run</th><th>status</th>{}</tr>{}</table>", head, join(rows)))
    return join(out)


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
    return str(_view("parameters", [_param_diff(params, params)]))


def _param_diff(
    runs_in_order: Mapping[str, object],
    params: Mapping[str, Mapping[str, object]],
    names: Mapping[str, str] | None = None,
) -> Markup:
    names = names or {}
    runs = list(runs_in_order)
    flat = {
        run: {k: _param_text(v) for k, v in _flatten(params.get(run, {})).items()} for run in runs
    }
    keys = sorted({key for values in flat.values() for key in values})
    differing = [k for k in keys if len({flat[run].get(k, _MISSING) for run in runs}) > 1]
    out = [Markup("<h4>Parameters that differ</h4>")]
    if not differing:
        out.append(
            html("<p>All {} run(s) share the same {} parameter(s).</p>", len(runs), len(keys))
        )
        return join(out)
    head = join(html("<th>{}</th>", _run_label(run, names.get(run))) for run in runs)
    rows = [
        html(
            "<tr><td><code>{}</code></td>{}</tr>",
            key,
            join(html("<td>{}</td>", flat[run].get(key, _MISSING)) for run in runs),
        )
        for key in differing
    ]
    out.append(html("<table><tr><th>parameter</th>{}</tr>{}</table>", head, join(rows)))
    if len(differing) < len(keys):
        out.append(
            html(
                '<p class="df-meta">{} shared parameter(s) hidden.</p>', len(keys) - len(differing)
            )
        )
    return join(out)


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
) -> Markup:
    names = names or {}
    out = [Markup("<h4>Ranking</h4>")]
    if not tables:
        out.append(html("<p>Give the runs' metrics tables to rank them by {}.</p>", metric))
        return join(out)
    chosen, fallback = metric, False
    if not any(metric in t for t in tables.values()):
        if metric == "val_loss" and any("val_accuracy" in t for t in tables.values()):
            chosen, fallback = "val_accuracy", True
        else:
            out.append(html("<p>No run logged <code>{}</code>: runs are not ranked.</p>", metric))
            return join(out)
    higher = _higher_is_better(chosen)
    why = html(
        "Ranked by the {} <code>{}</code> of each run", "highest" if higher else "lowest", chosen
    )
    if fallback:
        why += html(" (no run logged <code>{}</code>)", metric)
    out.append(html("<p>{}.</p>", why))
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
    rows = []
    for rank, (run, best) in enumerate(ranked, start=1):
        value = _MISSING if best is None else f"{best[0]:.4g}"
        step = _MISSING if best is None else f"{best[1]:,}"
        position = str(rank) if best is not None else _MISSING
        rows.append(
            html(
                '<tr><td class="df-num">{}</td><td>{}</td><td class="df-num">{}</td>'
                '<td class="df-num">{}</td></tr>',
                position,
                _run_label(run, names.get(run)),
                value,
                step,
            )
        )
    out.append(
        html(
            "<table><tr><th>#</th><th>run</th><th>best {}</th><th>at step</th></tr>{}</table>",
            chosen,
            join(rows),
        )
    )
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
    return join(out)
