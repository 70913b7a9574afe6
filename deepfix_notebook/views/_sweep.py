"""A sweep's views: the JSON the shared front end draws (``widgets/src/sweep.ts``) and the same
view as self-contained HTML with a static SVG, for hosts without it (nbconvert, GitHub).

Every figure either view shows is computed here or by the sweep: the axes (a parameter is
numeric when every value is a finite number, on a log scale when its positive values span
`LOG_SPAN` or more; otherwise categorical, its values in natural order), the problems' order
(most runs first) and so their colours. The front end only places and draws them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from deepfix_notebook.views._markup import Markup, html, join
from deepfix_notebook.views._svg import _nice_ticks, fmt_log_tick, log_ticks
from deepfix_notebook.views._theme import ROOT_CLASS, SERIES_COLOURS, style_element

if TYPE_CHECKING:
    from deepfix_notebook.contract import SweepResult, SweepRun

MIME_SWEEP = "application/vnd.deepfix.sweep+json"
SWEEP_PAYLOAD_VERSION = 1
LOG_SPAN = 100.0  # as the associations' thresholds (`sweeps._associations.LOG_SPAN`)
MAX_AXES = 12  # parameter axes drawn; the associated parameters come first
SHOWN_PER_GROUP = 50  # runs listed per health group in the static HTML (the plot has them all)
CLEAN_COLOUR = "#8c959f"
FAILED_COLOUR = "#6e7781"
_MISSING = "\u2014"
_HEALTH = ("high", "medium", "clean", "failed")
_HEALTH_BADGE = {"high": "high", "medium": "medium", "clean": "st-completed", "failed": "st-failed"}


class SweepAxis(TypedDict):
    """An axis of the plot: ``low``/``high`` for numeric scales, ``categories`` bottom to top."""

    name: str
    scale: Literal["log", "linear", "category"]
    low: float
    high: float
    categories: list[str]


def _numbers(values: Sequence[str]) -> list[float] | None:
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        return None
    return numbers if all(math.isfinite(n) for n in numbers) else None


def _natural(text: str) -> list[Any]:
    """``run-2`` before ``run-10``: digit runs compare as numbers."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text) if p]


def axis(name: str, values: Sequence[str | float]) -> SweepAxis:
    """The axis of ``values`` (a parameter's, as logged, or the metric's)."""
    numbers = _numbers([str(v) for v in values]) if values else None
    if numbers is None:
        categories = sorted({str(v) for v in values}, key=_natural)
        return SweepAxis(name=name, scale="category", low=0.0, high=0.0, categories=categories)
    low, high = min(numbers), max(numbers)
    scale: Literal["log", "linear"] = "log" if low > 0 and high / low >= LOG_SPAN else "linear"
    return SweepAxis(name=name, scale=scale, low=low, high=high, categories=[])


def sweep_axes(result: SweepResult) -> tuple[list[SweepAxis], SweepAxis | None]:
    """The parameter axes (associated parameters first, then by name; at most `MAX_AXES`) and
    the metric's axis (None when no run has a metric value)."""
    logged = sorted({name for run in result.runs for name in run.params}, key=_natural)
    associated = list(dict.fromkeys(a.param for a in result.associations if a.param in logged))
    names = [*associated, *(n for n in logged if n not in associated)][:MAX_AXES]
    axes = [axis(n, [r.params[n] for r in result.runs if n in r.params]) for n in names]
    values = [r.metric for r in result.runs if r.metric is not None]
    metric = None
    if values:
        metric = axis(result.best.metric if result.best else "validation metric", values)
    return axes, metric


def sweep_payload(result: SweepResult) -> dict[str, Any]:
    """``{"version", "result", "axes", "metric"}``: the result as the contract writes it and the
    axes it is drawn on."""
    axes, metric = sweep_axes(result)
    return {
        "version": SWEEP_PAYLOAD_VERSION,
        "result": result.model_dump(mode="json"),
        "axes": axes,
        "metric": metric,
    }


# --------------------------------------------------------------------------- static HTML


def health(run: SweepRun) -> str:
    """``high``, ``medium``, ``clean``, or ``failed`` when it could not be analysed."""
    return "failed" if run.status == "failed" or run.severity is None else run.severity


def problem_colours(result: SweepResult) -> dict[str, str]:
    """A colour per problem, most runs first (ties by code), as the front end colours them."""
    order = sorted(result.problem_counts.items(), key=lambda item: (-item[1], item[0]))
    return {code: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, (code, _) in enumerate(order)}


def position(spec: SweepAxis, value: str | float | None) -> float | None:
    """Where ``value`` sits on the axis, 0 (bottom) to 1 (top); None when it is not on it."""
    if value is None:
        return None
    if spec["scale"] == "category":
        categories = spec["categories"]
        if str(value) not in categories:
            return None
        return 0.5 if len(categories) == 1 else categories.index(str(value)) / (len(categories) - 1)
    try:
        v = float(value)
    except ValueError:
        return None
    if not math.isfinite(v) or (spec["scale"] == "log" and v <= 0):
        return None
    low, high = spec["low"], spec["high"]
    if spec["scale"] == "log":
        low, high, v = math.log10(low), math.log10(high), math.log10(v)
    return min(max((v - low) / (high - low), 0.0), 1.0) if high > low else 0.5


def _ticks(spec: SweepAxis) -> list[tuple[float, str]]:
    if spec["scale"] == "category":
        every = math.ceil(len(spec["categories"]) / 12)
        return [
            (position(spec, c) or 0.0, c)
            for i, c in enumerate(spec["categories"])
            if i % every == 0
        ]
    log = spec["scale"] == "log"
    values = (
        log_ticks(spec["low"], spec["high"], 5)
        if log
        else _nice_ticks(spec["low"], spec["high"], 5)
    )
    placed = [(position(spec, v), _tick(v, log=log)) for v in values]
    return [(at, label) for at, label in placed if at is not None]


def _tick(value: float, *, log: bool) -> str:
    """Whole numbers as they are (``1000``, not ``1e+03``: seeds, sizes), else as the charts."""
    if value == int(value) and abs(value) < 1e5:
        return str(int(value))
    return fmt_log_tick(value) if log else f"{value:.4g}"


_GAP, _MARGIN, _TOP, _PLOT = 150, 70, 44, 260


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _run_colour(run: SweepRun, colours: dict[str, str]) -> str:
    if health(run) == "failed":
        return FAILED_COLOUR
    return colours.get(run.problems[0].value, CLEAN_COLOUR) if run.problems else CLEAN_COLOUR


def _hover(run: SweepRun, axes: list[SweepAxis], metric: SweepAxis | None) -> str:
    state = (
        f"could not be analysed: {run.error_code or ''} {run.error or ''}".strip()
        if health(run) == "failed"
        else f"{health(run)}: " + (", ".join(c.value for c in run.problems) or "no problem")
    )
    lines = [f"{run.run_name or run.run_id} (run id {run.run_id})", state]
    lines += [f"{a['name']} = {run.params.get(a['name'], _MISSING)}" for a in axes]
    if metric is not None:
        lines.append(
            f"{metric['name']} = {_MISSING if run.metric is None else f'{run.metric:.4g}'}"
        )
    return "\n".join(lines)


def _plot(result: SweepResult, axes: list[SweepAxis], metric: SweepAxis | None) -> Markup:
    drawn = [*axes, *([metric] if metric else [])]
    if not drawn:
        return html("<p>No parameter varies and no metric was logged: no plot.</p>")
    width = _MARGIN * 2 + _GAP * max(len(drawn) - 1, 1)
    height = _TOP + _PLOT + 26

    def x_at(i: int) -> float:
        return width / 2 if len(drawn) == 1 else _MARGIN + i * _GAP

    def y_at(frac: float) -> float:
        return _TOP + (1 - frac) * _PLOT

    parts: list[Markup] = []
    for i, spec in enumerate(drawn):
        x = x_at(i)
        parts.append(
            html(
                '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="currentColor" '
                'stroke-opacity="0.45"/><text x="{0}" y="{3}" text-anchor="middle" '
                'font-size="12" font-weight="600" fill="currentColor" class="df-halo">'
                "<title>{4}</title>{5}</text>",
                x,
                _TOP,
                _TOP + _PLOT,
                _TOP - 24,
                f"{spec['name']} ({spec['scale']})",
                _short(spec["name"], 18),
            )
        )
        if spec["scale"] == "log":
            parts.append(
                html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="10" '
                    'fill="currentColor" class="df-halo" fill-opacity="0.75">log scale</text>',
                    x,
                    _TOP - 10,
                )
            )
        for at, label in _ticks(spec):
            y = y_at(at)
            parts.append(
                html(
                    '<line x1="{0}" x2="{1}" y1="{2:.1f}" y2="{2:.1f}" stroke="currentColor" '
                    'stroke-opacity="0.45"/><text x="{3}" y="{4:.1f}" text-anchor="end" '
                    'font-size="10" fill="currentColor" class="df-halo" fill-opacity="0.75">'
                    "{5}</text>",
                    x - 4,
                    x,
                    y,
                    x - 7,
                    y + 4,
                    _short(label, 10),
                )
            )
    axes_parts, parts = parts, []
    colours = problem_colours(result)
    ordered = sorted(
        result.runs, key=lambda r: 2 if r.problems else 1 if health(r) == "failed" else 0
    )
    for run in ordered:
        values: list[str | float | None] = [run.params.get(a["name"]) for a in axes]
        if metric is not None:
            values.append(run.metric)
        path, pen = "", False
        for i, (spec, value) in enumerate(zip(drawn, values, strict=True)):
            frac = position(spec, value)
            if frac is None:
                pen = False
                continue
            path += f"{'L' if pen else 'M'}{x_at(i):.1f},{y_at(frac):.1f}"
            pen = True
        if not path:
            continue
        parts.append(
            html(
                '<path d="{}" fill="none" stroke="{}" stroke-width="1.6" stroke-opacity="{}" '
                'stroke-linecap="round"{}><title>{}</title></path>',
                path if "L" in path else path + "h0.01",
                _run_colour(run, colours),
                0.75 if run.problems else 0.45,
                Markup(' stroke-dasharray="4 3"') if health(run) == "failed" else "",
                _hover(run, axes, metric),
            )
        )
    return html(
        '<div style="overflow-x:auto"><svg viewBox="0 0 {0} {1}" width="{0}" height="{1}" '
        'role="img" aria-label="{2}" style="max-width:none;width:auto">{3}</svg></div>',
        width,
        height,
        f"{len(result.runs)} runs across " + ", ".join(s["name"] for s in drawn),
        join([*parts, *axes_parts]),  # the axes over the lines: their labels stay legible
    )


def _legend(result: SweepResult) -> Markup:
    keys = [
        html('<span class="df-key"><i class="df-c{}"></i><code>{}</code> {}</span>', i % 8, c, n)
        for i, (c, n) in enumerate(
            sorted(result.problem_counts.items(), key=lambda item: (-item[1], item[0]))
        )
    ]
    for name, colour in (("clean", CLEAN_COLOUR), ("failed", FAILED_COLOUR)):
        if result.counts.get(name):
            keys.append(
                html(
                    '<span class="df-key"><i style="background:{}"></i>{} {}</span>',
                    colour,
                    name,
                    result.counts[name],
                )
            )
    return html('<p class="df-meta">{}</p>', join(keys))


def _matrix(result: SweepResult, axes: list[SweepAxis]) -> Markup:
    problems = list(problem_colours(result))
    if not problems:
        return html("<p>No run has a problem at medium or high severity.</p>")
    params = list(
        dict.fromkeys([*(a["name"] for a in axes), *(a.param for a in result.associations)])
    )
    found = {(a.code.value, a.param): a for a in result.associations}
    head = join(html("<th><code>{}</code></th>", p) for p in params)
    rows = []
    for problem in problems:
        cells = []
        for param in params:
            a = found.get((problem, param))
            cells.append(
                html('<td class="df-empty">{}</td>', _MISSING)
                if a is None
                else html(
                    '<td><code>{}</code><div class="df-meta">{}/{} ({:.0%}) vs {}/{} ({:.0%})'
                    '</div><div class="df-meta">p = {}</div></td>',
                    a.condition,
                    a.hits_in,
                    a.support,
                    a.rate_in,
                    a.hits_out,
                    a.runs_out,
                    a.rate_out,
                    "< 1e-300" if a.p_value == 0 else f"{a.p_value:.2g}",
                )
            )
        rows.append(
            html(
                '<tr><td><code>{}</code></td><td class="df-num">{}</td>{}</tr>',
                problem,
                result.problem_counts.get(problem, 0),
                join(cells),
            )
        )
    note = (
        html("<p>No association clears the bar. {}</p>", result.associations_note or "")
        if not result.associations
        else ""
    )
    return html(
        '{}<div style="overflow-x:auto"><table><tr><th>problem</th><th>runs</th>{}</tr>{}'
        '</table></div><p class="df-meta">Reported when: {}.</p>',
        note,
        head,
        join(rows),
        result.association_test,
    )


def _best(result: SweepResult) -> Markup:
    best = result.best
    if best is None or not best.runs:
        return Markup("")
    rows = join(
        html(
            '<tr><td class="df-num">{}</td><td title="run id {}"><b>{}</b></td>'
            '<td class="df-num">{:.4g}</td></tr>',
            i + 1,
            r.run_id,
            r.run_name or r.run_id,
            r.value,
        )
        for i, r in enumerate(best.runs)
    )
    region = join((html("<code>{}</code>", c) for c in best.region.values()), ", ")
    return html(
        "<h4>Best clean runs by {} <code>{}</code></h4><table><tr><th>#</th><th>run</th>"
        "<th>{}</th></tr>{}</table>{}",
        "highest" if best.higher_is_better else "lowest",
        best.metric,
        best.metric,
        rows,
        html("<p>They share {}.</p>", region) if best.region else "",
    )


def _groups(result: SweepResult) -> Markup:
    parts = []
    for group in _HEALTH:
        runs = [r for r in result.runs if health(r) == group]
        if not runs:
            continue
        rows = join(
            html(
                '<tr><td title="run id {}" style="white-space:nowrap"><b>{}</b></td><td>{}</td>'
                '<td class="df-num">{}</td></tr>',
                r.run_id,
                r.run_name or r.run_id,
                f"{r.error_code or 'failed'}: {r.error or ''}"
                if group == "failed"
                else join((html("<code>{}</code>", c.value) for c in r.problems), ", ") or _MISSING,
                _MISSING if r.metric is None else f"{r.metric:.4g}",
            )
            for r in runs[:SHOWN_PER_GROUP]
        )
        more = len(runs) - SHOWN_PER_GROUP
        parts.append(
            html(
                '<details{}><summary><span class="df-badge df-{}">{}</span> {} run(s)</summary>'
                '<table><tr><th>run</th><th>{}</th><th style="white-space:nowrap">{}</th></tr>{}'
                "</table>{}</details>",
                Markup(" open") if group != "clean" else "",
                _HEALTH_BADGE[group],
                group,
                len(runs),
                "why" if group == "failed" else "problems",
                result.best.metric if result.best else "metric",
                rows,
                html('<p class="df-meta">… and {} more</p>', more) if more > 0 else "",
            )
        )
    return join(parts)


def sweep_html(result: SweepResult) -> Markup:
    """The sweep as one self-contained, escaped HTML fragment with a static SVG plot."""
    axes, metric = sweep_axes(result)
    badges = join(
        html(
            '<span class="df-badge df-{}">{} {}</span>',
            _HEALTH_BADGE[k],
            k,
            result.counts.get(k, 0),
        )
        for k in _HEALTH
    )
    body = [
        html("<h3>DeepFix sweep of {}</h3><p>{}</p>", result.experiment, result.summary),
        html(
            '<div class="df-badges">{}<span class="df-meta">{} run(s) \u00b7 {:.2f} s</span></div>',
            badges,
            len(result.runs),
            result.execution_time,
        ),
    ]
    if result.runs:
        body += [
            html(
                "<h4>Parameters against <code>{}</code></h4>",
                metric["name"] if metric else "the validation metric",
            ),
            _legend(result),
            _plot(result, axes, metric),
            html("<h4>Problems \u00d7 parameters</h4>"),
            _matrix(result, axes),
            _best(result),
            html("<h4>Runs by health</h4>"),
            _groups(result),
        ]
    else:
        body.append(html("<p>The experiment has no runs to triage.</p>"))
    if result.warnings:
        body.append(
            html(
                "<h4>Warnings</h4><ul>{}</ul>",
                join(html("<li>{}</li>", w) for w in result.warnings),
            )
        )
    return html(
        '<div class="{}" data-deepfix-view="sweep">{}{}</div>',
        ROOT_CLASS,
        style_element(),
        join(body),
    )
