"""``%deepfix sweep``: triage an experiment in a notebook, with progress in the output."""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

if TYPE_CHECKING:
    from deepfix_notebook.contract import SweepResult

OUT = "deepfix_sweep"
SHOWN_PER_GROUP = 20
PROGRESS_EVERY_S = 0.2


@dataclass
class SweepView:
    """A sweep as rich output: escaped, self-contained HTML, JSON and plain text."""

    result: SweepResult

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from deepfix_notebook.sweeps import render_sweep

        return {
            "text/plain": render_sweep(self.result),
            "text/html": sweep_html(self.result),
            "application/json": self.result.model_dump(mode="json"),
        }


@magic_arguments()
@argument("--experiment", required=True, help="the MLflow experiment to triage")
@argument("--tracking-uri", help="the MLflow store (default: the first that has it)")
@argument("--filter", default="", help="MLflow search filter, e.g. \"params.optimizer = 'adam'\"")
@argument("--max-runs", type=int, help="the newest N runs only")
@argument("--save", action="store_true", help="write new analyses back to their runs")
@argument("--no-reuse", action="store_true", help="analyse every run again")
@argument("--out", default=OUT, help="variable to bind the SweepResult to")
def sweep_magic(magics: Any, line: str) -> Any:
    """Triage every run of an experiment: health, problems x hyperparameters, best runs."""
    args = magics._parse(sweep_magic, line)
    if args.max_runs is not None and args.max_runs < 1:
        raise UsageError("%deepfix sweep: --max-runs must be at least 1.")
    if not args.out.isidentifier():
        raise UsageError(f"%deepfix sweep: --out {args.out!r} is not a Python name.")
    from deepfix_notebook._api import sweep
    from deepfix_notebook.artifacts import ArtifactError

    handle = display(HTML("<b>DeepFix</b> sweep: listing runs…"), display_id=True)
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= PROGRESS_EVERY_S or done == total:
            shown[0] = now
            handle.update(HTML(f"<b>DeepFix</b> sweep: {done} of {total} runs"))

    try:
        result = sweep(
            args.experiment,
            tracking_uri=args.tracking_uri,
            filter=args.filter,
            max_runs=args.max_runs,
            save=args.save,
            reuse=not args.no_reuse,
            on_progress=progress,
        )
    except ArtifactError as error:
        handle.update(HTML(f"<b>DeepFix</b> sweep: {_e(error.message)}"))
        raise UsageError(f"%deepfix sweep: {error.message}") from None
    handle.update(SweepView(result))
    magics.namespace[args.out] = result
    return None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def sweep_html(result: SweepResult) -> str:
    """The sweep as one escaped HTML fragment (every string from a run is untrusted)."""
    counts = result.counts
    parts = [
        f"<div class='deepfix-sweep'><h4>Sweep of {_e(result.experiment)}</h4>",
        f"<p>{_e(result.summary)}</p>",
        "<p>"
        + " · ".join(f"{_e(key)}: <b>{n}</b>" for key, n in counts.items())
        + f" · {result.execution_time:.2f} s</p>",
    ]
    if result.associations:
        rows = "".join(
            f"<tr><td>{_e(a.code.value)}</td><td>{_e(a.condition)}</td>"
            f"<td>{a.hits_in}/{a.support}</td><td>{a.hits_out}/{a.runs_out}</td>"
            f"<td>{a.p_value:.2g}</td></tr>"
            for a in result.associations
        )
        parts.append(
            "<table><tr><th>problem</th><th>condition</th><th>with it, inside</th>"
            f"<th>outside</th><th>p</th></tr>{rows}</table>"
        )
    else:
        parts.append(f"<p>No associations. {_e(result.associations_note or '')}</p>")
    parts.append(f"<p><small>Test: {_e(result.association_test)}</small></p>")
    if result.best is not None:
        best = "".join(
            f"<tr><td>{_e(r.run_name)}</td><td>{r.value:.4g}</td></tr>" for r in result.best.runs
        )
        region = ", ".join(result.best.region.values())
        parts.append(
            f"<table><tr><th>best clean run</th><th>{_e(result.best.metric)}</th></tr>"
            f"{best}</table>" + (f"<p>They share {_e(region)}.</p>" if region else "")
        )
    for key in ("high", "medium", "failed"):
        group = [r for r in result.runs if (r.severity or "failed") == key]
        if not group:
            continue
        items = "".join(
            f"<li>{_e(r.run_name)}: "
            + _e(", ".join(c.value for c in r.problems) or f"{r.error_code}: {r.error}")
            + "</li>"
            for r in group[:SHOWN_PER_GROUP]
        )
        more = (
            f"<li>… and {len(group) - SHOWN_PER_GROUP} more</li>"
            if len(group) > SHOWN_PER_GROUP
            else ""
        )
        parts.append(f"<details><summary>{_e(key)} ({len(group)})</summary><ul>{items}{more}</ul>")
        parts.append("</details>")
    return "".join(parts) + "</div>"
