"""Analysis backends: one protocol, the embedded engine (`LocalBackend`) as the default.

`RemoteBackend` (and the client's `ServerUnreachableWarning`) load on first use, so a local
analysis never imports the HTTP client (httpx alone costs about 0.1 s).
"""

from typing import TYPE_CHECKING

from deepfix_notebook.backends._current import current, tracking_uri, use
from deepfix_notebook.backends._local import JobNotFound, LocalBackend
from deepfix_notebook.backends._notice import LOCAL_BACKEND_NAME, fallback_notice
from deepfix_notebook.backends._protocol import AnalysedRun, AnalysisBackend, Progress

if TYPE_CHECKING:
    from deepfix_notebook.backends._remote import RemoteBackend
    from deepfix_notebook.client._offline import ServerUnreachableWarning

__all__ = [
    "LOCAL_BACKEND_NAME",
    "AnalysedRun",
    "AnalysisBackend",
    "JobNotFound",
    "LocalBackend",
    "Progress",
    "RemoteBackend",
    "ServerUnreachableWarning",
    "current",
    "fallback_notice",
    "tracking_uri",
    "use",
]


def __getattr__(name: str) -> object:
    if name == "RemoteBackend":
        from deepfix_notebook.backends._remote import RemoteBackend

        return RemoteBackend
    if name == "ServerUnreachableWarning":
        from deepfix_notebook.client._offline import ServerUnreachableWarning

        return ServerUnreachableWarning
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
