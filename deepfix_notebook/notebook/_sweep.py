"""``%deepfix sweep``: triage an experiment in a notebook, with progress in the output.

The sweep is shown as the other results are: its JSON (``application/vnd.deepfix.sweep+json``,
drawn by the JupyterLab extension, live and saved), the same view as an anywidget in a live
kernel without the extension, and self-contained HTML (nbconvert, GitHub). With the extension
loaded, a `SweepResult` that ends a cell (``dfx.sweep(...)``) is shown the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

if TYPE_CHECKING:
    from deepfix_notebook.contract import SweepResult

OUT = "deepfix_sweep"
_SWEEP_RESULT = ("deepfix_notebook.contract._sweep", "SweepResult")  # named: nothing imported
PROGRESS_EVERY_S = 0.2


@dataclass
class SweepView:
    """A sweep as rich output: DeepFix's sweep JSON, escaped self-contained HTML, plain text."""

    result: SweepResult

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from deepfix_notebook.sweeps import render_sweep
        from deepfix_notebook.views import MIME_SWEEP, sweep_html, sweep_payload

        return {
            MIME_SWEEP: sweep_payload(self.result),
            "text/html": str(sweep_html(self.result)),
            "text/plain": render_sweep(self.result),
        }


def sweep_display(result: SweepResult, *, live: bool) -> Any:
    """What shows ``result``: the anywidget ``SweepWidget`` when ``live`` (a kernel whose
    frontend has widgets; its bundle also carries `SweepView`'s), else `SweepView`."""
    if live:
        from deepfix_notebook.notebook._widget import DeepFixWidget
        from deepfix_notebook.views import MIME_SWEEP

        # DeepFixWidget draws any display object whose bundle holds `mime`'s JSON.
        return DeepFixWidget(SweepView(result), MIME_SWEEP)  # type: ignore[arg-type]
    return SweepView(result)


def show_sweep_results(ipython: Any) -> None:
    """Show a `SweepResult` that ends a cell as the sweep view (``%load_ext`` calls this)."""
    formatter = ipython.display_formatter.mimebundle_formatter
    formatter.for_type_by_name(*_SWEEP_RESULT, _bundle)


def forget_sweep_results(ipython: Any) -> None:
    """Undo `show_sweep_results` (``%unload_ext``)."""
    ipython.display_formatter.mimebundle_formatter.pop(".".join(_SWEEP_RESULT), None)


def _bundle(result: SweepResult) -> dict[str, Any]:
    return SweepView(result)._repr_mimebundle_()


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
        from deepfix_notebook.views._markup import html

        handle.update(HTML(str(html("<b>DeepFix</b> sweep: {}", error.message))))
        raise UsageError(f"%deepfix sweep: {error.message}") from None
    handle.update(sweep_display(result, live=magics._live_widgets()))
    magics.namespace[args.out] = result
    return None
