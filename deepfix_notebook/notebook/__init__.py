"""DeepFix in Jupyter: ``%load_ext deepfix_notebook`` registers ``%deepfix`` and ``%%deepfix``,
and the rich display of DeepFix's result types (`AnalysisResult`, `KnowledgeResponse`,
`SweepResult`), so a returned result shows as its view.

Loading imports nothing heavy: the magics import the engine, MLflow and Plotly on first use.
"""

from __future__ import annotations

from typing import Any

MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the formatters of the result types (idempotent: loading twice
    keeps one of each)."""
    from deepfix_notebook.notebook._formatters import register
    from deepfix_notebook.notebook._magics import DeepFixMagics
    from deepfix_notebook.notebook._sweep import show_sweep_results

    ipython.register_magics(DeepFixMagics)
    register(ipython)
    show_sweep_results(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%deepfix``, ``%%deepfix`` and the formatters."""
    from deepfix_notebook.notebook._formatters import unregister
    from deepfix_notebook.notebook._sweep import forget_sweep_results

    unregister(ipython)
    forget_sweep_results(ipython)
    magics = ipython.magics_manager.magics
    magics["line"].pop("deepfix", None)
    magics["cell"].pop("deepfix", None)


__all__ = ["MIME_ANALYSIS", "load_ipython_extension", "unload_ipython_extension"]
