"""Rich output for DeepFix's result types, however they reach a cell: returned, or displayed.

``%load_ext deepfix_notebook`` registers a mime-bundle formatter per type (as rich does for its
renderables): an `AnalysisResult` shows as the analysis view and a `KnowledgeResponse` as the
knowledge view, never as a pydantic repr (`_sweep.show_sweep_results` does a `SweepResult`).
Types are named, not imported, so loading the extension imports none of them; IPython keeps
only the formats a ``display(..., include=..., exclude=...)`` asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Bundle = dict[str, Any]


def _analysis(result: Any) -> Bundle:
    from deepfix_notebook.notebook._views import AnalysisView

    return AnalysisView(result)._repr_mimebundle_()


def _knowledge(response: Any) -> Bundle:
    from deepfix_notebook.notebook._views import KnowledgeView

    return KnowledgeView(response)._repr_mimebundle_()


FORMATTERS: dict[tuple[str, str], Callable[[Any], Bundle]] = {
    ("deepfix_notebook.contract._analysis", "AnalysisResult"): _analysis,
    ("deepfix_notebook.contract._knowledge", "KnowledgeResponse"): _knowledge,
}


def register(ipython: Any) -> None:
    """Format DeepFix's result types in ``ipython`` (registering twice keeps one)."""
    formatter = ipython.display_formatter.mimebundle_formatter
    for (module, name), func in FORMATTERS.items():
        formatter.for_type_by_name(module, name, func)


def unregister(ipython: Any) -> None:
    """Remove what `register` added."""
    formatter = ipython.display_formatter.mimebundle_formatter
    for module, name in FORMATTERS:
        formatter.pop(f"{module}.{name}", None)
