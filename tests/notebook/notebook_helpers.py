"""Helpers of the notebook tests: IPython's own shell, set up as a kernel formats outputs."""

from __future__ import annotations

from typing import Any

from IPython.testing import globalipapp


def rich_shell() -> Any:
    """IPython's test shell with ``%load_ext deepfix_notebook``, formatting every mime type (a
    terminal shell formats text only; a kernel formats everything, as here)."""
    globalipapp.start_ipython()  # once per process; later calls return None
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    return shell


def html_of(outputs: list[Any]) -> str:
    """The HTML of captured outputs (updates of a display included), in order."""
    return "".join(o.data.get("text/html", "") for o in outputs)


def text_of(outputs: list[Any]) -> str:
    return "".join(o.data.get("text/plain", "") for o in outputs)


def notice_on_top(html: str) -> str:
    """The notice an analysis view opens with (its HTML up to ``</p>``), '' when it has none:
    a notice line placed before the view's header."""
    start = html.find('class="df-notice"')
    if start < 0 or start > html.find("<h3"):
        return ""
    return html[start : html.index("</p>", start)]
