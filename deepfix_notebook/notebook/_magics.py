"""``%deepfix``: connect, runs, analyze, compare, ask, status.

Every subcommand parses its arguments with IPython's ``magic_arguments``; a bad argument is a
one-line ``UsageError``, never a traceback, and ``%deepfix SUBCOMMAND --help`` prints its help.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

from deepfix_notebook.notebook._expand import parse
from deepfix_notebook.notebook._sweep import sweep_magic

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend

DEFAULT_OUT = "deepfix_result"
POLL_SECONDS = 0.25  # how often a background analysis refreshes its output
OFFLINE_MODES = ("strict", "fallback", "local")


class _CellFailed(Exception):
    """The tracked cell raised; IPython has shown the traceback already."""


@magics_class
class DeepFixMagics(Magics):
    """The ``%deepfix`` line magic and its subcommands (usage: ``%deepfix?``)."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.offline = "fallback"
        self._background: list[threading.Thread] = []
        self._report: Any = None  # the RunningReport of %deepfix report

    @property
    def namespace(self) -> dict[str, Any]:
        """The notebook's variables."""
        assert self.shell is not None
        return self.shell.user_ns  # type: ignore[no-any-return]

    @no_var_expand
    @line_cell_magic
    def deepfix(self, line: str, cell: str | None = None) -> Any:
        """DeepFix: diagnose training runs from what they logged.

        Usage::

            %deepfix connect [local] [--tracking-uri URI] [--offline strict|fallback|local]
            %deepfix runs [--experiment NAME] [--limit N]
            %deepfix analyze [RUN] [--tracking-uri URI] [--experiment NAME] [--focus AREA ...]
                             [--background] [--no-plots] [--out NAME]
            %deepfix compare RUN ... | --experiment NAME [--metric NAME] [--align step|epoch]
            %deepfix ask "question" [--domain D] [--type T]
            %deepfix status
            %deepfix report [--experiment NAME] [--port N] [--inline] [--stop]
            %deepfix sweep --experiment NAME [--tracking-uri URI] [--filter EXPR] [--max-runs N]
                           [--save] [--no-reuse] [--out NAME]

        A RUN is a run id, ``runs:/ID``, a run name, a directory, or a variable: ``$run`` (an
        ``mlflow.ActiveRun`` or ``Run``, a tracked run, a DataFrame, a bundle), ``$run.info.run_id``
        or ``{expression}``; no RUN: the last run of this kernel.

        ``%deepfix SUBCOMMAND --help`` explains each one. Runs are read from the store given
        with ``--tracking-uri``, else from ``connect``'s, MLflow's configured one
        (``mlflow.set_tracking_uri``, ``MLFLOW_TRACKING_URI``), ``./mlflow.db`` and DeepFix's
        local store, in that order.
        """
        if cell is not None:
            return self._track_cell(line, cell)
        command, _, rest = line.strip().partition(" ")
        if command in {"-h", "--help", "help"}:
            import inspect

            print(inspect.cleandoc(DeepFixMagics.deepfix.__doc__ or ""))
            return None
        handler = _SUBCOMMANDS.get(command)
        if handler is None:
            names = ", ".join(_SUBCOMMANDS)
            raise UsageError(
                f"%deepfix: unknown subcommand {command!r}; use one of: {names} (%deepfix?)."
                if command
                else f"%deepfix needs a subcommand: {names} (%deepfix?)."
            )
        if {"-h", "--help"} & set(rest.split()):
            print(handler.__doc__)  # magic_arguments puts the usage into the docstring
            return None
        return handler(self, rest)

    # --- subcommands --------------------------------------------------------------------

    @magic_arguments()
    @argument(
        "target",
        nargs="?",
        default="local",
        help="'local' (the embedded engine) or a DeepFix server URL",
    )
    @argument("--tracking-uri", help="MLflow tracking URI runs are read from")
    @argument("--api-key", help="API key of a DeepFix server")
    @argument(
        "--offline",
        choices=OFFLINE_MODES,
        default="fallback",
        help="what to do when a server is down",
    )
    def connect(self, line: str) -> Any:
        """Choose the analysis backend: the embedded engine (default) or a DeepFix server."""
        args = self._parse(DeepFixMagics.connect, line)
        from deepfix_notebook._api import connect

        try:
            backend = connect(
                args.target,
                tracking_uri=args.tracking_uri,
                api_key=args.api_key,
                offline=args.offline,
            )
        except ValueError as error:
            raise UsageError(str(error)) from None
        self.offline = args.offline
        if not backend.in_process:
            health = backend.health()
            if health.status != "ok":
                display(
                    HTML(
                        f"<b>DeepFix</b>: the server at <code>{_escape(backend.name)}</code> "
                        f"is not reachable; analyses will follow the offline mode "
                        f"<code>{args.offline}</code>."
                    )
                )
                return None
        from deepfix_notebook.artifacts import resolve_tracking_uri

        where = resolve_tracking_uri(connected=args.tracking_uri)
        display(
            HTML(
                f"<b>DeepFix</b>: backend <code>{backend.name}</code>, runs from "
                f"<code>{_escape(where)}</code>."
            )
        )
        return None

    @magic_arguments()
    @argument("--experiment", help="only runs of this MLflow experiment")
    @argument("--limit", type=int, default=20, help="how many runs (newest first)")
    def runs(self, line: str) -> Any:
        """List MLflow runs with their status and key metrics."""
        args = self._parse(DeepFixMagics.runs, line)
        if args.limit < 1:
            raise UsageError("%deepfix runs: --limit must be at least 1.")
        from deepfix_notebook._api import current_backend
        from deepfix_notebook.artifacts import ArtifactError
        from deepfix_notebook.notebook._runs import RunsView

        try:
            runs = current_backend().runs(experiment=args.experiment, limit=args.limit)
        except ArtifactError as error:
            raise UsageError(error.message) from None
        view: Any = RunsView(runs)
        if runs and self._live_widgets():
            from deepfix_notebook.notebook._runs import RunsWidget

            view = RunsWidget(runs, lambda run_id: self.analyze(run_id))
        display(view)
        return None

    @magic_arguments()
    @argument(
        "source",
        nargs="?",
        help="run id, runs:/ID, run name, run directory, $variable, $obj.attr or {expr} "
        "(default: the last run of this kernel)",
    )
    @argument(
        "--tracking-uri",
        help="read the run from this MLflow store alone (default: connect's, MLflow's "
        "configured one, ./mlflow.db, then DeepFix's local store)",
    )
    @argument("--experiment", help="look for a run name in this MLflow experiment only")
    @argument("--focus", nargs="+", default=[], help="optimization focus areas, first in the plan")
    @argument("--background", action="store_true", help="return at once; the output updates")
    @argument("--no-plots", action="store_true", help="no curves in the output")
    @argument("--out", default=DEFAULT_OUT, help="variable to bind the result to")
    def analyze(self, line: str) -> Any:
        """Analyse a run and show the diagnosis; the result is bound to --out."""
        args = self._parse(DeepFixMagics.analyze, line)
        if not args.out.isidentifier():
            raise UsageError(f"%deepfix analyze: --out {args.out!r} is not a Python name.")
        options = _options(args.focus)
        from deepfix_notebook._api import current_backend

        backend = current_backend()
        handle = display(_progress_html(0, 0, 0.0, "starting"), display_id=True)
        if args.background:
            thread = threading.Thread(
                target=self._analyze_into,
                args=(backend, options, args, handle),
                name="deepfix-analyze",
                daemon=True,
            )
            self._background.append(thread)
            thread.start()
            return None
        self._analyze_into(backend, options, args, handle)
        return None

    @magic_arguments()
    @argument("runs", nargs="*", help="runs: ids, names, directories, $variables")
    @argument("--experiment", help="compare the newest runs of this experiment")
    @argument("--limit", type=int, default=20, help="with --experiment: how many runs")
    @argument("--metric", default="val_loss", help="the metric to overlay and rank by")
    @argument("--align", choices=("step", "epoch"), default="step", help="x axis of the overlay")
    def compare(self, line: str) -> Any:
        """Compare runs: curves, findings matrix, differing params, ranking."""
        args = self._parse(DeepFixMagics.compare, line)
        if bool(args.runs) == bool(args.experiment):
            raise UsageError("%deepfix compare: give run ids/paths or --experiment NAME, not both.")
        from deepfix_notebook.notebook._compare import compare

        try:
            view = compare(
                args.runs,
                experiment=args.experiment,
                limit=args.limit,
                metric=args.metric,
                align=args.align,
            )
        except (ValueError, TypeError) as error:
            raise UsageError(str(error)) from None
        if self._live_widgets():  # the same view, live (anywidget); the bundle stays the fallback
            from deepfix_notebook.notebook._widget import ComparisonWidget

            display(ComparisonWidget(view))
        else:
            display(view)
        self.namespace[DEFAULT_OUT + "_comparison"] = view
        return None

    @magic_arguments()
    @argument("question", nargs="+", help='what to look up, e.g. "val loss goes up"')
    @argument("--domain", help="training, data_quality, architecture, optimization, global")
    @argument(
        "--type",
        dest="query_type",
        default="best_practice",
        help="best_practice, diagnostic, solution, validation",
    )
    @argument("--max-results", type=int, default=5)
    def ask(self, line: str) -> Any:
        """Search the knowledge base."""
        args = self._parse(DeepFixMagics.ask, line)
        from pydantic import ValidationError

        from deepfix_notebook._api import ask
        from deepfix_notebook.notebook._views import KnowledgeView

        question = " ".join(args.question).strip().strip("\"'")
        try:
            response = ask(
                question,
                domain=args.domain,
                query_type=args.query_type,
                max_results=args.max_results,
            )
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise UsageError(f"%deepfix ask: {field}: {first['msg']}.") from None
        display(KnowledgeView(response))
        return None

    @magic_arguments()
    def status(self, line: str) -> Any:
        """The backend, its health and the analyses in flight."""
        self._parse(DeepFixMagics.status, line)
        from deepfix_notebook._api import current_backend

        backend = current_backend()
        health = backend.health()
        jobs = backend.jobs()
        running = [j for j in jobs if j.status.value in {"queued", "running"}]
        rows = "".join(
            f"<li><code>{_escape(j.request_id)}</code> {_escape(j.run_id)}: {j.status.value} "
            f"({j.progress:.0%})</li>"
            for j in running
        )
        display(
            HTML(
                f"<b>DeepFix</b> backend <code>{_escape(backend.name)}</code>: {health.status}, "
                f"version {_escape(health.version)}, engine {_escape(health.engine)}, jobs "
                f"{_escape(health.job_store)}, queue {_escape(health.queue)}; offline mode "
                f"{self.offline}.<ul>{rows or '<li>no analyses in flight</li>'}</ul>"
            )
        )
        return None

    @magic_arguments()
    @argument("--experiment", help="only this experiment's runs")
    @argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    @argument("--inline", action="store_true", help="also show the report in the output")
    @argument("--stop", action="store_true", help="stop the report started here")
    def report(self, line: str) -> Any:
        """Serve the web report of the current backend's MLflow store from this kernel (on
        127.0.0.1) and link to it; a second call replaces the first."""
        args = self._parse(DeepFixMagics.report, line)
        if self._report is not None:
            self._report.stop()
            self._report = None
        if args.stop:
            display(HTML("<b>DeepFix</b>: the report is stopped."))
            return None
        if not 0 <= args.port <= 65535:
            raise UsageError(f"%deepfix report: --port must be in 0..65535, got {args.port}.")
        from deepfix_notebook._api import current_backend
        from deepfix_notebook.report import ReportError, RunStore, require_panel, start

        try:
            require_panel()
            backend = current_backend()
            store = RunStore(backend.tracking_uri, args.experiment)
            self._report = start(store, backend, port=args.port)
        except (ReportError, OSError, RuntimeError) as error:
            raise UsageError(f"%deepfix report: {error}") from None
        url = _escape(self._report.url)
        display(
            HTML(
                f"<b>DeepFix report</b> at <a href='{url}' target='_blank' rel='noopener'>{url}"
                "</a> (served by this kernel; <code>%deepfix report --stop</code> stops it)."
            )
        )
        if args.inline:
            from IPython.display import IFrame

            display(IFrame(self._report.url, width="100%", height=800))
        return None

    @magic_arguments()
    @argument("--name", help="MLflow run name")
    @argument("--experiment", help="MLflow experiment (created when missing)")
    def track_cell(self, line: str) -> Any:
        """%%deepfix: run the cell as a tracked training run, then analyse it.

        Inside the cell, log with ``deepfix_notebook.log(step=..., epoch=..., **metrics)``, or
        with ``mlflow.log_metric`` (the run is MLflow's active run while the cell runs).
        """

    def _track_cell(self, line: str, cell: str) -> Any:
        args = self._parse(DeepFixMagics.track_cell, line)
        from deepfix_notebook.notebook._views import AnalysisView
        from deepfix_notebook.training import track

        try:
            with track(args.name, experiment=args.experiment, mlflow_active=True) as run:
                outcome = self.shell.run_cell(cell)  # type: ignore[union-attr]
                if not outcome.success:
                    raise _CellFailed
        except _CellFailed:
            saved = f" in MLflow run {run.run_id} (marked FAILED)" if run.run_id else ""
            display(HTML(f"<b>DeepFix</b>: the cell failed; what it logged is saved{saved}."))
            return None
        if run.result is None:
            display(
                HTML(
                    "<b>DeepFix</b>: nothing was logged; call <code>deepfix_notebook.log(step=..., "
                    "train_loss=...)</code> inside the cell."
                )
            )
            return None
        self.namespace[DEFAULT_OUT] = run.result
        table = run.bundle.metrics if run.bundle is not None else None
        display(AnalysisView(run.result, table, run_name=getattr(run, "name", None)))
        return None

    # --- helpers ------------------------------------------------------------------------

    def _parse(self, func: Callable[..., Any], line: str) -> Any:
        """A subcommand's arguments, ``$name``, ``$obj.attr`` and ``{expr}`` expanded against
        the notebook's variables; a bad one raises IPython's one-line ``UsageError``."""
        return parse(func, line, self.namespace)

    def _analyze_into(self, backend: AnalysisBackend, options: Any, args: Any, handle: Any) -> None:
        from deepfix_notebook.artifacts import ArtifactError, run_ref
        from deepfix_notebook.notebook._views import AnalysisView

        start = time.perf_counter()

        def progress(status: Any) -> None:
            handle.update(
                _progress_html(
                    status.agents_done,
                    round(status.agents_done / status.progress) if status.progress else 0,
                    time.perf_counter() - start,
                    status.status.value,
                )
            )

        try:
            ref = run_ref(
                args.source,
                tracking_uri=args.tracking_uri,
                experiment=args.experiment,
                connected=backend.tracking_uri,
            )
            analysed = backend.analyze_run(
                ref, options, on_progress=progress, read=not args.no_plots
            )
        except ArtifactError as error:
            handle.update(_error_html(error.code.value, error.message))
            return
        except Exception as error:  # shown in the cell, never a traceback
            handle.update(_error_html(type(error).__name__, str(error)))
            return
        result = analysed.result
        table = analysed.bundle.metrics if analysed.bundle is not None else None
        name = analysed.bundle.run_name if analysed.bundle is not None else None
        view: Any = AnalysisView(result, table, run_name=name)
        if table is not None and not args.background and self._live_widgets():
            from deepfix_notebook.notebook._widget import AnalysisWidget

            view = AnalysisWidget(result, table, run_name=name)
        self.namespace[args.out] = result
        handle.update(view)
        if analysed.note and not args.background:  # why a server's analysis has no curves here
            display(HTML(f"<div class='deepfix-note'>{_escape(analysed.note)}</div>"))

    def _live_widgets(self) -> bool:
        """A kernel (not a terminal) whose frontend can talk to widgets."""
        if getattr(self.shell, "kernel", None) is None:
            return False
        from importlib.util import find_spec

        return find_spec("ipywidgets") is not None and find_spec("plotly") is not None


def _options(focus: list[str]) -> Any:
    from pydantic import ValidationError

    from deepfix_notebook.contract import AnalysisOptions

    try:
        return AnalysisOptions.model_validate({"optimization_focus": focus})
    except ValidationError:
        from deepfix_notebook.contract import OptimizationFocus

        known = ", ".join(f.value for f in OptimizationFocus)
        raise UsageError(f"%deepfix analyze: --focus takes {known}.") from None


def _escape(text: object) -> str:
    import html

    return html.escape(str(text), quote=True)


def _progress_html(done: int, total: int, seconds: float, state: str) -> HTML:
    agents = f"{done} of {total} agents" if total else "loading the run"
    return HTML(
        f"<div class='deepfix-progress'><b>DeepFix</b> {_escape(state)}: {agents}, "
        f"{seconds:.1f} s</div>"
    )


def _error_html(code: str, message: str) -> HTML:
    return HTML(
        f"<div class='deepfix-error'><b>DeepFix</b> could not analyse the run: "
        f"<code>{_escape(code)}</code> {_escape(message)}</div>"
    )


_SUBCOMMANDS: dict[str, Callable[[DeepFixMagics, str], Any]] = {
    "connect": DeepFixMagics.connect,
    "runs": DeepFixMagics.runs,
    "analyze": DeepFixMagics.analyze,
    "compare": DeepFixMagics.compare,
    "ask": DeepFixMagics.ask,
    "status": DeepFixMagics.status,
    "report": DeepFixMagics.report,
    "sweep": sweep_magic,
}
