"""`Waiting`: an output slot that shows progress only once an operation has been slow.

The slot is an IPython display handle, made (empty) in the cell's own thread so the output lands
in that cell. A timer thread, started with the cell's context, fills it with a progress line
after `PROGRESS_AFTER_S` and refreshes its elapsed time; `finish` puts the result in its place,
or empties it. A frontend without HTML (a terminal) gets no progress lines, only the result.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any

from IPython.display import display

PROGRESS_AFTER_S = 0.5  # faster operations never show progress
REFRESH_S = 0.5


def _rich_frontend() -> bool:
    """Whether the shell's frontend shows HTML (a notebook, not a terminal)."""
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and "text/html" in shell.display_formatter.active_types


class _Blank:
    """An output with nothing to show (what the slot holds until progress is due)."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": "", "text/html": ""}


class _Line:
    """One progress line: an indeterminate bar (or ``done`` of ``total``), the step, seconds."""

    def __init__(self, label: str, step: str, seconds: float, done: int, total: int) -> None:
        self.label, self.step, self.seconds = label, step, seconds
        self.done, self.total = done, total

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from deepfix_notebook.views._markup import html

        counted = f"{self.done} of {self.total}, " if self.total else ""
        text = f"DeepFix {self.label}: {self.step} ({counted}{self.seconds:.1f} s)"
        bar = (
            html("<progress max='{}' value='{}'></progress>", self.total, self.done)
            if self.total
            else html("<progress></progress>")
        )
        line = html(
            "<div class='deepfix-progress' role='status'>{} <b>DeepFix</b> {}: {} ({}{:.1f} s)"
            "</div>",
            bar,
            self.label,
            self.step,
            counted,
            self.seconds,
        )
        return {"text/plain": text, "text/html": str(line)}


class Waiting:
    """Progress of one operation in the cell: nothing for ``PROGRESS_AFTER_S``, then a line
    that `step` updates; `finish` replaces it with the result."""

    def __init__(self, label: str, *, rich: bool | None = None) -> None:
        self.label = label
        rich = _rich_frontend() if rich is None else rich
        self.shown = False  # whether a progress line was ever shown
        self._step, self._done, self._total = "working", 0, 0
        self._start = time.perf_counter()
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._handle: Any = display(_Blank(), display_id=True) if rich else None
        if self._handle is not None:
            context = contextvars.copy_context()  # ipykernel routes output by the cell's context
            self._thread = threading.Thread(
                target=context.run, args=(self._tick,), name="deepfix-progress", daemon=True
            )
            self._thread.start()

    def step(self, step: str, done: int = 0, total: int = 0) -> None:
        """What the operation is doing now (``done`` of ``total`` when it counts)."""
        with self._lock:
            self._step, self._done, self._total = step, done, total
            if self.shown and not self._finished.is_set():
                self._render()

    def finish(self, result: Any = None) -> None:
        """Show ``result`` in place of the progress line (None: remove the line)."""
        with self._lock:
            self._finished.set()
        if self._handle is None:
            if result is not None:
                display(result)
            return
        self._thread.join()
        if result is not None:
            self._handle.update(result)
        elif self.shown:
            self._handle.update(_Blank())

    def __enter__(self) -> Waiting:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._finished.is_set():
            self.finish()

    def _tick(self) -> None:
        wait = PROGRESS_AFTER_S
        while not self._finished.wait(wait):
            with self._lock:
                if self._finished.is_set():
                    return
                self.shown = True
                self._render()
            wait = REFRESH_S

    def _render(self) -> None:
        seconds = time.perf_counter() - self._start
        self._handle.update(_Line(self.label, self._step, seconds, self._done, self._total))
