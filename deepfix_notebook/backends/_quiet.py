"""`quiet`: other libraries' log lines and warnings kept out of notebook outputs for one call.

MLflow's and Alembic's INFO lines, urllib3's retry warnings, SQLAlchemy's deprecation warnings
and MLflow's artifact progress bars would otherwise land in the cell as red stderr blocks. For
the scope of a magic or a ``dfx.*`` call: logging below CRITICAL is disabled
(`logging.disable`, so loggers a library configures mid-call are covered too), other libraries'
warnings are recorded instead of shown, and MLflow's progress bars are off. DeepFix's own
warnings (deliberate notices such as `ServerUnreachableWarning`) go on as usual unless the
scope is asked to keep them (`Quiet.own`), for a caller that shows them itself: in a notebook,
`notebook_quiet` shows them as one notice line each, not as a warning with a source line.

Everything is restored when the outermost scope ends. The settings are process-wide, so while a
scope is open (a background analysis, say) other threads' library logs are silenced too.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from deepfix_notebook.backends._notice import notice_html

PACKAGE = Path(__file__).resolve().parents[1]
_PROGRESS_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


@dataclass(eq=False)  # scopes are told apart by identity
class Quiet:
    """What one scope kept out of the output: ``records`` (library warnings, for debugging) and,
    when it keeps DeepFix's own, ``own``."""

    keep_own: bool = False
    records: list[warnings.WarningMessage] = field(default_factory=list)
    own: list[warnings.WarningMessage] = field(default_factory=list)
    said: set[str] = field(default_factory=set)  # notices the output shows already
    hushed: set[type[Warning]] = field(default_factory=set)  # kinds the output shows already

    def notices(self) -> list[str]:
        """DeepFix's own warnings the output does not show yet, in order, each once."""
        seen = set(self.said)
        out = []
        for caught in self.own:
            text = str(caught.message)
            if text not in seen and not issubclass(caught.category, tuple(self.hushed)):
                seen.add(text)
                out.append(text)
        return out


_lock = threading.Lock()
_scopes: list[Quiet] = []
_saved: dict[str, Any] = {}


@contextmanager
def quiet(*, keep_own: bool = False) -> Iterator[Quiet]:
    """Keep other libraries' logs and warnings out of the output while the block runs;
    ``keep_own`` also holds DeepFix's own warnings back, in the scope's ``own``."""
    scope = Quiet(keep_own)
    with _lock:
        if not _scopes:
            _silence()
        _scopes.append(scope)
    try:
        yield scope
    finally:
        with _lock:
            _scopes.remove(scope)
            if not _scopes:
                _restore()


@contextmanager
def notebook_quiet(*, in_any_shell: bool = False) -> Iterator[Quiet]:
    """`quiet` in a notebook's kernel (or any IPython shell, ``in_any_shell``), DeepFix's own
    warnings then shown as notice lines when the block ends (those not in the scope's
    ``said``); elsewhere (a script, a training job) nothing changes."""
    if not _in_shell(kernel=not in_any_shell):
        yield Quiet()
        return
    with quiet(keep_own=True) as scope:
        yield scope
    from IPython.display import display

    for text in scope.notices():
        display(Notice(text))  # type: ignore[no-untyped-call]


class Notice:
    """One DeepFix notice line, as escaped HTML and text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": f"DeepFix: {self.text}", "text/html": notice_html(self.text)}


def _in_shell(*, kernel: bool) -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and (not kernel or getattr(shell, "kernel", None) is not None)


def is_own(message: warnings.WarningMessage) -> bool:
    """A warning DeepFix issued: its category is DeepFix's, or it was raised in the package."""
    if message.category.__module__.startswith("deepfix_notebook"):
        return True
    try:
        return Path(message.filename).resolve().is_relative_to(PACKAGE)
    except (OSError, ValueError):
        return False


def _silence() -> None:
    _saved["disable"] = logging.root.manager.disable
    _saved["showwarning"] = warnings.showwarning
    _saved["progress_bar"] = os.environ.get(_PROGRESS_BAR)
    logging.disable(logging.ERROR)
    warnings.showwarning = _show
    if _saved["progress_bar"] is None:
        os.environ[_PROGRESS_BAR] = "false"


def _restore() -> None:
    logging.disable(_saved.pop("disable"))
    warnings.showwarning = _saved.pop("showwarning")
    if _saved.pop("progress_bar") is None:
        os.environ.pop(_PROGRESS_BAR, None)


def _show(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """`warnings.showwarning` while a scope is open: library warnings are recorded, DeepFix's
    own shown as before (or recorded, for a scope that keeps them)."""
    caught = warnings.WarningMessage(message, category, filename, lineno, file, line)
    own = is_own(caught)
    with _lock:
        scope = _scopes[-1] if _scopes else None
        previous = _saved.get("showwarning")
    if scope is None or (own and not scope.keep_own):
        if previous is not None:
            previous(message, category, filename, lineno, file, line)
        return
    (scope.own if own else scope.records).append(caught)
