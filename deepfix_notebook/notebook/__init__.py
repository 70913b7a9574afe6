"""DeepFix in Jupyter: ``%load_ext deepfix_notebook`` registers ``%deepfix`` and ``%%deepfix``.

Loading imports nothing heavy: the magics import the engine, MLflow and Plotly on first use.
"""

from __future__ import annotations

from typing import Any

MIME_ANALYSIS = "application/vnd.deepfix.analysis+json"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics (idempotent: loading twice keeps one registration)."""
    from deepfix_notebook.notebook._magics import DeepFixMagics

    ipython.register_magics(DeepFixMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%deepfix`` and ``%%deepfix``."""
    magics = ipython.magics_manager.magics
    magics["line"].pop("deepfix", None)
    magics["cell"].pop("deepfix", None)


__all__ = ["MIME_ANALYSIS", "load_ipython_extension", "unload_ipython_extension"]
