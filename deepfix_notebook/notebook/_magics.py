"""``%deepfix``: connect, runs, analyze, compare, ask, status.

Every subcommand parses its arguments with IPython's ``magic_arguments``; a bad argument is a
one-line ``UsageError``, never a traceback, and ``%deepfix SUBCOMMAND --help`` prints its help.
Subcommands run inside `notebook_quiet` (other libraries' logs and warnings stay out of the
output; DeepFix's own warnings become notice lines), and a wait longer than half a second shows
progress (`Waiting`).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

from deepfix_notebook.notebook._expand import parse
from deepfix_notebook.notebook._progress import Waiting
from deepfix_notebook.notebook._sweep import sweep_magic

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend
    from deepfix_notebook.backends._quiet import Quiet

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
        self._scope: Quiet | None = None  # the running subcommand's quiet scope

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
        from deepfix_notebook.backends._quiet import notebook_quiet  # imports the contract

        with notebook_quiet(in_any_shell=True) as self._scope:
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
            with Waiting("connecting") as waiting:
                waiting.step(f"asking {backend.name} for its health")
                health = backend.health()
            if health.status != "ok":
                display(
                    _html(
                        "<b>DeepFix</b>: the server at <code>{}</code> is not reachable; analyses "
                        "will follow the offline mode <code>{}</code>: {}",
                        backend.name,
                        args.offline,
                        _OFFLINE_MEANS[args.offline],
                    )
                )
                return None
        from deepfix_notebook.artifacts import resolve_tracking_uri

        where = resolve_tracking_uri(connected=args.tracking_uri)
        display(
            _html(
                "<b>DeepFix</b>: backend <code>{}</code>, runs from <code>{}</code>.",
                backend.name,
                where,
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

        with Waiting("runs") as waiting:
            waiting.step("listing the runs")
            try:
                runs = current_backend().runs(experiment=args.experiment, limit=args.limit)
            except ArtifactError as error:
                raise UsageError(error.message) from None
            view: Any = RunsView(runs)
            if runs and self._live_widgets():
                from deepfix_notebook.notebook._runs import RunsWidget

                view = RunsWidget(runs, lambda run_id: self._analyze_quietly(run_id))
            waiting.finish(view)
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
        waiting = Waiting("analysis")
        if args.background:
            thread = threading.Thread(
                target=self._analyze_in_background,
                args=(backend, options, args, waiting),
                name="deepfix-analyze",
                daemon=True,
            )
            self._background.append(thread)
            thread.start()
            return None
        with waiting:  # the progress line goes, whatever happens
            self._analyze_into(backend, options, args, waiting)
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

        with Waiting("comparison") as waiting:
            try:
                view = compare(
                    args.runs,
                    experiment=args.experiment,
                    limit=args.limit,
                    metric=args.metric,
                    align=args.align,
                    on_progress=lambda done, total, run: waiting.step(
                        f"analysing {run}", done, total
                    ),
                )
            except (ValueError, TypeError) as error:
                raise UsageError(str(error)) from None
            self._said(w for r in view.results.values() for w in r.warnings)
            if self._live_widgets():  # the same view, live; the bundle stays the fallback
                from deepfix_notebook.notebook._widget import ComparisonWidget

                waiting.finish(ComparisonWidget(view))
            else:
                waiting.finish(view)
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
        with Waiting("knowledge search") as waiting:
            waiting.step(f"searching for {question!r}")
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
            waiting.finish(KnowledgeView(response))
        return None

    @magic_arguments()
    def status(self, line: str) -> Any:
        """The backend, its health and the analyses in flight."""
        self._parse(DeepFixMagics.status, line)
        from deepfix_notebook._api import current_backend

        backend = current_backend()
        with Waiting("status") as waiting:
            waiting.step(f"asking {backend.name} for its health")
            health = backend.health()
            jobs = backend.jobs()
        running = [j for j in jobs if j.status.value in {"queued", "running"}]
        from deepfix_notebook.views._markup import html, join

        rows = join(
            html(
                "<li><code>{}</code> {}: {} ({:.0%})</li>",
                j.request_id,
                j.run_id,
                j.status.value,
                j.progress,
            )
            for j in running
        )
        display(
            _html(
                "<b>DeepFix</b> backend <code>{}</code>: {}, version {}, engine {}, jobs {}, "
                "queue {}; offline mode {}.<ul>{}</ul>",
                backend.name,
                health.status,
                health.version,
                health.engine,
                health.job_store,
                health.queue,
                self.offline,
                rows or html("<li>no analyses in flight</li>"),
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
        display(
            _html(
                "<b>DeepFix report</b> at <a href='{0}' target='_blank' rel='noopener'>{0}</a> "
                "(served by this kernel; <code>%deepfix report --stop</code> stops it).",
                self._report.url,
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
            tracking = track(args.name, experiment=args.experiment, mlflow_active=True)
            with _quiet_around(tracking) as run:
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

    def _analyze_quietly(self, source: str) -> None:
        """``%deepfix analyze SOURCE`` from a widget's button (outside any magic's scope)."""
        from deepfix_notebook.backends._quiet import notebook_quiet

        with notebook_quiet(in_any_shell=True) as self._scope:
            self.analyze(source)

    def _analyze_in_background(
        self, backend: AnalysisBackend, options: Any, args: Any, waiting: Waiting
    ) -> None:
        from deepfix_notebook.backends._quiet import quiet

        with quiet(keep_own=True), waiting:  # the result shows the notices
            self._analyze_into(backend, options, args, waiting)

    def _analyze_into(
        self, backend: AnalysisBackend, options: Any, args: Any, waiting: Waiting
    ) -> None:
        from deepfix_notebook.artifacts import ArtifactError, run_ref
        from deepfix_notebook.notebook._views import AnalysisView

        def progress(status: Any) -> None:
            total = round(status.agents_done / status.progress) if status.progress else 0
            state = status.status.value
            step = state if state != "running" else "running the checks" if total else "reading"
            waiting.step(step, status.agents_done, total)

        waiting.step("reading the run")
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
            waiting.finish(_error_html(error.code.value, error.message))
            return
        except Exception as error:  # shown in the cell, never a traceback
            waiting.finish(_error_html(type(error).__name__, str(error)))
            return
        result = analysed.result
        if not args.background:  # a background analysis outlives its magic's scope
            self._said(result.warnings)  # the view lists them
        table = analysed.bundle.metrics if analysed.bundle is not None else None
        name = analysed.bundle.run_name if analysed.bundle is not None else None
        view: Any = AnalysisView(result, table, run_name=name)
        if table is not None and not args.background and self._live_widgets():
            from deepfix_notebook.notebook._widget import AnalysisWidget

            view = AnalysisWidget(result, table, run_name=name)
        self.namespace[args.out] = result
        waiting.finish(view)
        if analysed.note and not args.background:  # why a server's analysis has no curves here
            display(_html("<div class='deepfix-note'>{}</div>", analysed.note))

    def _said(self, notices: Iterable[str]) -> None:
        """Notices the output shows already: not repeated when the subcommand ends. An outage
        is one of them: any result a backend answers in its place says so itself."""
        if self._scope is not None:
            from deepfix_notebook.client._offline import ServerUnreachableWarning

            self._scope.said.update(notices)
            self._scope.hushed.add(ServerUnreachableWarning)

    def _live_widgets(self) -> bool:
        """A kernel (not a terminal) whose frontend can talk to widgets."""
        if getattr(self.shell, "kernel", None) is None:
            return False
        from importlib.util import find_spec

        return find_spec("ipywidgets") is not None and find_spec("plotly") is not None


@contextmanager
def _quiet_around(manager: AbstractContextManager[Any]) -> Iterator[Any]:
    """``manager``'s entry and exit (creating the MLflow run, saving and analysing it) kept
    quiet, but not the block it wraps: the user's cell keeps its own logs and warnings."""
    from deepfix_notebook.backends._quiet import notebook_quiet

    with notebook_quiet(in_any_shell=True):
        value = manager.__enter__()
    try:
        yield value
    except BaseException:
        with notebook_quiet(in_any_shell=True):
            if not manager.__exit__(*sys.exc_info()):
                raise
    else:
        with notebook_quiet(in_any_shell=True):
            manager.__exit__(None, None, None)


def _options(focus: list[str]) -> Any:
    from pydantic import ValidationError

    from deepfix_notebook.contract import AnalysisOptions

    try:
        return AnalysisOptions.model_validate({"optimization_focus": focus})
    except ValidationError:
        from deepfix_notebook.contract import OptimizationFocus

        known = ", ".join(f.value for f in OptimizationFocus)
        raise UsageError(f"%deepfix analyze: --focus takes {known}.") from None


def _html(template: str, *args: object) -> HTML:
    """An HTML output from a views template; every argument is escaped (views/_markup.py)."""
    from deepfix_notebook.views._markup import html

    return HTML(str(html(template, *args)))


def _error_html(code: str, message: str) -> HTML:
    return _html(
        "<div class='deepfix-error'><b>DeepFix</b> could not analyse the run: "
        "<code>{}</code> {}</div>",
        code,
        message,
    )


_OFFLINE_MEANS = {
    "strict": "analyses fail until it is back.",
    "fallback": "this kernel's embedded engine analyses the runs it can read, and says so; a "
    "run it cannot read either gives a failed analysis saying why.",
    "local": "this kernel's embedded engine analyses the runs it can read; a run it cannot "
    "read raises its error.",
}

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
