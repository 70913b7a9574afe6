"""Training integration: the framework-free tracker (``track`` and ``log``)."""

from deepfix_notebook.training._tracker import TrackedRun, log, track

__all__ = ["TrackedRun", "log", "track"]
