"""Training integration: the tracker (``track``, ``log``), the Lightning callback, the live
monitor and dataset helpers.

``DeepFixCallback`` is resolved on first access, so importing this package imports neither
torch nor Lightning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deepfix_notebook.training._dataset import describe_dataset
from deepfix_notebook.training._finish import AnalysisSettings, AnalysisSkippedWarning
from deepfix_notebook.training._monitor import LiveMonitor, Throttle
from deepfix_notebook.training._tracker import TrackedRun, log, track

if TYPE_CHECKING:
    from deepfix_notebook.training._lightning import DeepFixCallback

__all__ = [
    "AnalysisSettings",
    "AnalysisSkippedWarning",
    "DeepFixCallback",
    "LiveMonitor",
    "Throttle",
    "TrackedRun",
    "describe_dataset",
    "log",
    "track",
]


def __getattr__(name: str) -> Any:
    if name == "DeepFixCallback":
        from deepfix_notebook.training._lightning import DeepFixCallback

        globals()[name] = DeepFixCallback
        return DeepFixCallback
    raise AttributeError(f"module 'deepfix_notebook.training' has no attribute {name!r}")
