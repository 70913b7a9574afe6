"""The live monitor: early warnings while a run trains, and its curves updating in a notebook.

Early warnings are the engine's own rules (`engine.early_warnings`: NaN/Inf, a diverging loss,
exploding gradients) run on the history logged so far. Each is said once (again only if its
severity rises): in a notebook in the live view, elsewhere through the ``deepfix_notebook``
logger. A high-severity warning whose code is in ``stop_on`` asks the loop to stop.

Work is throttled so that monitoring stays cheap: the live view updates at most twice a second,
and checks take at most ``CHECK_BUDGET`` of the wall time and updates ``RENDER_BUDGET`` (an
update that took 30 ms waits 1.5 s before the next). A metric turning NaN/Inf is checked at once.

When training ends (finished, stopped or failed) the live output is replaced in place, once, by a
static one: the analysis itself when it is shown there, else the final curves as self-contained
HTML. A saved notebook then shows the end of the run in any frontend, with no kernel or plotly.js.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from deepfix_notebook.artifacts import MetricsTable
    from deepfix_notebook.contract import Analysis, AnalysisResult
    from deepfix_notebook.training._tracker import TrackedRun

T = TypeVar("T")
Clock = Callable[[], float]

RENDER_INTERVAL = 0.5  # seconds between two updates of the live view: at most 2 per second
BUDGET = 0.05  # share of the wall time a throttled action may take, by default
CHECK_BUDGET = 0.01  # early-warning checks (a new NaN is checked at once) ...
RENDER_BUDGET = 0.02  # ... and live-view updates (a Plotly figure takes ~20 ms to build)
LIVE_MAX_POINTS = 500  # per curve in the live figure
PLOTLY_MIME = "application/vnd.plotly.v1+json"

logger = logging.getLogger("deepfix_notebook")


class Throttle:
    """Lets an action run at most once per ``min_interval`` seconds and at most ``budget`` of the
    time: after an action that took ``cost`` seconds the next one waits ``cost / budget``.

    ``clock`` is the time source (``time.monotonic``; tests pass a fake one).
    """

    def __init__(
        self, min_interval: float, *, budget: float = BUDGET, clock: Clock = time.monotonic
    ) -> None:
        if min_interval < 0 or not 0 < budget <= 1:
            raise ValueError("min_interval must be >= 0 and budget in (0, 1]")
        self.min_interval = min_interval
        self.budget = budget
        self.clock = clock
        self.interval = min_interval
        self.last: float | None = None
        self.runs = 0

    def ready(self) -> bool:
        return self.last is None or self.clock() - self.last >= self.interval

    def run(self, action: Callable[[], T]) -> T:
        """Run ``action`` now (whether ready or not) and time it."""
        start = self.clock()
        try:
            return action()
        finally:
            cost = max(self.clock() - start, 0.0)
            self.last = start
            self.interval = max(self.min_interval, cost / self.budget)
            self.runs += 1


def early_warning_codes() -> frozenset[str]:
    from deepfix_notebook.engine import EARLY_WARNING_CODES

    return frozenset(code.value for code in EARLY_WARNING_CODES)


def parse_stop_on(stop_on: Iterable[str] | str | None) -> frozenset[str]:
    """The problem codes that stop training; a clear error for any other."""
    if stop_on is None:
        return frozenset()
    codes = (stop_on,) if isinstance(stop_on, str) else tuple(stop_on)
    allowed = early_warning_codes()
    unknown = [str(code) for code in codes if str(code) not in allowed]
    if unknown:
        raise ValueError(
            f"stop_on takes early-warning codes ({', '.join(sorted(allowed))}), not "
            f"{', '.join(map(repr, unknown))}; other problems are judged on the whole run."
        )
    return frozenset(str(code) for code in codes)


def in_notebook() -> bool:
    """Running in a Jupyter kernel (not a terminal IPython, not plain Python)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class Surface(Protocol):
    """Where the monitor shows what it finds."""

    live: bool

    def warn(self, item: Analysis, shown: list[Analysis], stop: Analysis | None) -> None: ...

    def curves(self, table: MetricsTable, result: AnalysisResult | None, status: str) -> None:
        """The live view, updated while training."""
        ...

    def end(self, table: MetricsTable, result: AnalysisResult, title: str, status: str) -> None:
        """Training ended: the final curves, ``result``'s findings shaded, made static."""
        ...

    def final(self, result: AnalysisResult, table: MetricsTable | None) -> None:
        """The finished analysis (in a notebook in place of the live view)."""
        ...

    def note(self, text: str) -> None: ...


class LogSurface:
    """Outside a notebook (or without the live view): each warning as one log record of the
    ``deepfix_notebook`` logger (shown on stderr when logging is not configured); no curves. The
    finished analysis is printed as text, or displayed as its full bundle in a notebook."""

    live = False

    def warn(self, item: Analysis, shown: list[Analysis], stop: Analysis | None) -> None:
        finding = item.findings
        code = finding.code.value if finding.code else "finding"
        logger.warning(
            "DeepFix early warning [%s, %s]: %s %s Fix: %s%s",
            code,
            finding.severity.value,
            finding.description,
            finding.evidence,
            item.recommendations.action,
            " Stopping training (stop_on)." if stop is item else "",
        )

    def curves(self, table: MetricsTable, result: AnalysisResult | None, status: str) -> None:
        return None

    def end(self, table: MetricsTable, result: AnalysisResult, title: str, status: str) -> None:
        return None

    def final(self, result: AnalysisResult, table: MetricsTable | None) -> None:
        if in_notebook():  # live=False in a notebook
            from IPython.display import display as ipython_display

            from deepfix_notebook.views import analysis_bundle

            display: Callable[..., Any] = ipython_display
            display(analysis_bundle(result, table), raw=True)
            return
        from deepfix_notebook.views import render_analysis

        print(render_analysis(result))

    def note(self, text: str) -> None:
        print(text)


class NotebookSurface:
    """In a notebook: one output with the curves (a Plotly figure, updated in place; static HTML,
    or the analysis, once training ended) and one with the warnings so far. ``display`` is
    IPython's ``display`` (injectable for tests)."""

    live = True

    def __init__(self, display: Callable[..., Any] | None = None) -> None:
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self._display: Callable[..., Any] = display
        self._handles: dict[str, Any] = {}
        # Import Plotly now: inside the first (timed) update it would space out the next ones.
        with contextlib.suppress(ImportError):
            import plotly.subplots  # type: ignore[import-untyped]  # noqa: F401

    def warn(self, item: Analysis, shown: list[Analysis], stop: Analysis | None) -> None:
        from deepfix_notebook.views._live import early_warnings_html, early_warnings_text

        self._show(
            "warnings",
            {
                "text/plain": early_warnings_text(shown, stop),
                "text/html": early_warnings_html(shown, stop),
            },
        )

    def curves(self, table: MetricsTable, result: AnalysisResult | None, status: str) -> None:
        self._show("curves", figure_bundle(table, result, status))

    def end(self, table: MetricsTable, result: AnalysisResult, title: str, status: str) -> None:
        from deepfix_notebook.views import curves_bundle

        self._show("curves", curves_bundle(table, result, title=title, status=status))

    def final(self, result: AnalysisResult, table: MetricsTable | None) -> None:
        from deepfix_notebook.views import analysis_bundle

        self._show("curves", analysis_bundle(result, table))

    def note(self, text: str) -> None:
        from deepfix_notebook.views._live import note_html

        self._display({"text/plain": text, "text/html": note_html(text)}, raw=True)

    def _show(self, slot: str, bundle: dict[str, Any]) -> None:
        handle = self._handles.get(slot)
        if handle is None:
            self._handles[slot] = self._display(bundle, raw=True, display_id=True)
        else:
            handle.update(bundle, raw=True)


class LiveMonitor:
    """Watches a `TrackedRun` as rows arrive (`observe`); see the module's docstring."""

    def __init__(
        self,
        *,
        stop_on: Iterable[str] | str | None = (),
        live: bool = True,
        surface: Surface | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.stop_on = parse_stop_on(stop_on)
        early_warning_codes()  # imports the engine now, not within the first (timed) check
        if surface is None:
            surface = NotebookSurface() if live and in_notebook() else LogSurface()
        self.surface = surface
        self.stop_reason: Analysis | None = None
        self.checks = Throttle(0.0, budget=CHECK_BUDGET, clock=clock)
        self.renders = Throttle(RENDER_INTERVAL, budget=RENDER_BUDGET, clock=clock)
        self.renders.last = clock()  # the first frame after half a second, not on the first row
        self._said: dict[tuple[str, str | None], Analysis] = {}
        self._nonfinite: set[str] = set()
        self._seen_rows = 0
        self._seen_revision = 0

    @property
    def warnings(self) -> list[Analysis]:
        """Every warning said so far (the latest per problem and metric)."""
        return list(self._said.values())

    def observe(self, run: TrackedRun) -> None:
        """Look at the run after new rows: check (when due), update the live view (when due)."""
        if run.revision == self._seen_revision:
            return
        urgent = self._new_nonfinite(run.rows[max(self._seen_rows - 1, 0) :])  # last: merged into
        self._seen_rows, self._seen_revision = len(run.rows), run.revision
        check = urgent or self.checks.ready()
        render = self.surface.live and self.renders.ready()
        if not (check or render):
            return
        table: list[MetricsTable | None] = []

        def current() -> MetricsTable | None:
            if not table:
                table.append(_table(run))
            return table[0]

        if check:
            self.checks.run(lambda: self._check(run, current()))
        if render:
            self.renders.run(lambda: self._render(run, current(), None))

    def close(
        self,
        run: TrackedRun,
        result: AnalysisResult | None = None,
        *,
        error: BaseException | None = None,
        show: bool = False,
    ) -> None:
        """Training ended (``error``: it raised): a last check, then the live view made static.

        With ``show`` and a ``result``, the analysis takes the live view's place (printed outside
        a notebook); otherwise the final curves, with ``result``'s findings (or the early
        warnings) shaded, replace the live figure.
        """
        table = _table(run) if run.rows else None
        self._seen_rows, self._seen_revision = len(run.rows), run.revision
        self._check(run, table)
        if show and result is not None:
            self.surface.final(result, table)
        elif self.surface.live and table is not None:
            if result is None:
                result = live_result(self.warnings, run.run_id or run.name or "live")
            title = f"DeepFix training of {run.name}" if run.name else "DeepFix training"
            status = f"{self._ending(error)}; {status_line(run, table)}"
            self.surface.end(table, result, title, status)

    def _ending(self, error: BaseException | None) -> str:
        if isinstance(error, KeyboardInterrupt):
            return "Training interrupted"
        if error is not None:
            return f"Training failed ({type(error).__name__})"
        if self.stop_reason is not None:
            code = self.stop_reason.findings.code
            return f"Training stopped early ({code.value if code else 'stop_on'})"
        return "Training finished"

    def _new_nonfinite(self, rows: list[dict[str, float | None]]) -> bool:
        found = False
        for row in rows:
            for name, value in row.items():
                if value is not None and not math.isfinite(value) and name not in self._nonfinite:
                    self._nonfinite.add(name)
                    found = True
        return found

    def _check(self, run: TrackedRun, table: MetricsTable | None) -> None:
        if table is None:
            return
        from deepfix_notebook.contract import Severity
        from deepfix_notebook.engine import early_warnings

        for item in early_warnings(_live_bundle(run, table)):
            finding = item.findings
            code = finding.code.value if finding.code else ""
            key = (code, finding.metric)
            said = self._said.get(key)
            if said is not None and said.findings.severity.rank >= finding.severity.rank:
                continue
            self._said[key] = item
            stopping = (
                self.stop_reason is None
                and code in self.stop_on
                and finding.severity is Severity.HIGH
            )
            if stopping:
                self.stop_reason = item
            self.surface.warn(item, self.warnings, self.stop_reason)

    def _render(
        self, run: TrackedRun, table: MetricsTable | None, result: AnalysisResult | None
    ) -> None:
        if table is None:
            return
        if result is None and self._said:
            result = live_result(self.warnings, run.run_id or run.name or "live")
        self.surface.curves(table, result, status_line(run, table))


def _table(run: TrackedRun) -> MetricsTable | None:
    """The rows so far as a table; None until a train loss has been logged."""
    from deepfix_notebook.artifacts import ArtifactError, MetricsTable

    columns: Mapping[str, Any] = run.columns()
    try:
        table, _ = MetricsTable.from_columns(columns, file="live metrics")
    except (ArtifactError, TypeError, ValueError):  # e.g. no step yet that the table accepts
        return None
    return table if "train_loss" in table else None


def _live_bundle(run: TrackedRun, table: MetricsTable) -> Any:
    """The partial history as the engine's input; params when they parse."""
    from deepfix_notebook.artifacts import ArtifactBundle, ArtifactError, bundle_from_memory

    try:
        return bundle_from_memory(table, params=run.params or None, source="live")
    except ArtifactError:  # fewer than 3 rows, or params that do not parse: the curves alone
        return ArtifactBundle(source="live", metrics=table, layout="memory")


def live_result(items: list[Analysis], run_id: str) -> AnalysisResult:
    """Early warnings as a partial result, so the figure shades their ranges."""
    from deepfix_notebook.contract import AgentName, AgentResult, AnalysisResult, AnalysisStatus

    return AnalysisResult(
        request_id="live",
        run_id=run_id,
        status=AnalysisStatus.PARTIAL,
        summary="Early warnings while training.",
        agent_results=[AgentResult(agent_name=AgentName.TRAINING.value, analysis=items)],
        execution_time=0.0,
        backend="live",
    )


def status_line(run: TrackedRun, table: MetricsTable) -> str:
    """``step 120, epoch 3: train_loss 0.2341, val_loss 0.3102``."""
    last = run.rows[-1] if run.rows else {}
    where = f"step {int(last.get('step') or 0)}"
    if last.get("epoch") is not None:
        where += f", epoch {last['epoch']:g}"
    values = []
    for name in table.names[:4]:
        _, _, series = table.series(name)
        if series.size:
            values.append(f"{table.display_name(name)} {float(series[-1]):.4g}")
    return f"{where}: {', '.join(values)}"


def figure_bundle(
    table: MetricsTable, result: AnalysisResult | None, status: str
) -> dict[str, Any]:
    """The live figure as a Plotly mime bundle (plus a text line); the text alone without
    Plotly installed."""
    text = f"DeepFix live: {status}"
    try:
        from deepfix_notebook.views import run_figure

        figure = run_figure(table, result, max_points=LIVE_MAX_POINTS, uirevision="deepfix-live")
    except ImportError:
        from deepfix_notebook.views._live import live_status_html

        return {"text/plain": text, "text/html": live_status_html(status)}
    figure.update_layout(title={"text": f"DeepFix live \u2014 {status}", "font": {"size": 13}})
    return {PLOTLY_MIME: json.loads(figure.to_json()), "text/plain": text}
