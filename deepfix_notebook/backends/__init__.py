"""Analysis backends: one protocol, the embedded engine (`LocalBackend`) as the default."""

from deepfix_notebook.backends._current import current, tracking_uri, use
from deepfix_notebook.backends._local import JobNotFound, LocalBackend
from deepfix_notebook.backends._protocol import AnalysedRun, AnalysisBackend, Progress
from deepfix_notebook.backends._remote import RemoteBackend
from deepfix_notebook.client._offline import ServerUnreachableWarning

__all__ = [
    "AnalysedRun",
    "AnalysisBackend",
    "JobNotFound",
    "LocalBackend",
    "Progress",
    "RemoteBackend",
    "ServerUnreachableWarning",
    "current",
    "tracking_uri",
    "use",
]
