"""Analysis backends: one protocol, the embedded engine (`LocalBackend`) as the default."""

from deepfix_notebook.backends._current import current, tracking_uri, use
from deepfix_notebook.backends._local import JobNotFound, LocalBackend
from deepfix_notebook.backends._protocol import AnalysisBackend, Progress

__all__ = [
    "AnalysisBackend",
    "JobNotFound",
    "LocalBackend",
    "Progress",
    "current",
    "tracking_uri",
    "use",
]
