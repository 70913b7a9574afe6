"""Training integration: the framework-free tracker (``track`` and ``log``), dataset helpers."""

from deepfix_notebook.training._dataset import describe_dataset
from deepfix_notebook.training._tracker import TrackedRun, log, track

__all__ = ["TrackedRun", "describe_dataset", "log", "track"]
