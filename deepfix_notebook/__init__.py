"""DeepFix Notebook: diagnose ML training runs from what they logged.

Names are resolved lazily (PEP 562), so ``import deepfix_notebook`` stays fast and pulls in
neither pydantic, pyarrow nor mlflow until they are used (nor torch and Lightning, until
``DeepFixCallback`` is).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from deepfix_notebook._version import __version__

if TYPE_CHECKING:
    from deepfix_notebook._api import analyze, ask, connect, sweep
    from deepfix_notebook.artifacts import (
        ArtifactBundle,
        ArtifactError,
        MetricsTable,
        load_run,
        log_run,
        save_analysis,
    )
    from deepfix_notebook.contract import (
        AgentResult,
        Analysis,
        AnalysisRequest,
        AnalysisResult,
        ErrorCode,
        FaultTarget,
        Finding,
        KnowledgeResponse,
        ProblemCode,
        Recommendation,
    )
    from deepfix_notebook.notebook import load_ipython_extension, unload_ipython_extension
    from deepfix_notebook.training import DeepFixCallback, log, track

_EXPORTS: dict[str, str] = {
    "analyze": "deepfix_notebook._api",
    "ask": "deepfix_notebook._api",
    "connect": "deepfix_notebook._api",
    "AgentResult": "deepfix_notebook.contract",
    "Analysis": "deepfix_notebook.contract",
    "AnalysisRequest": "deepfix_notebook.contract",
    "AnalysisResult": "deepfix_notebook.contract",
    "ArtifactBundle": "deepfix_notebook.artifacts",
    "ArtifactError": "deepfix_notebook.artifacts",
    "DeepFixCallback": "deepfix_notebook.training",
    "ErrorCode": "deepfix_notebook.contract",
    "FaultTarget": "deepfix_notebook.contract",
    "Finding": "deepfix_notebook.contract",
    "KnowledgeResponse": "deepfix_notebook.contract",
    "MetricsTable": "deepfix_notebook.artifacts",
    "ProblemCode": "deepfix_notebook.contract",
    "Recommendation": "deepfix_notebook.contract",
    "load_ipython_extension": "deepfix_notebook.notebook",
    "log": "deepfix_notebook.training",
    "load_run": "deepfix_notebook.artifacts",
    "log_run": "deepfix_notebook.artifacts",
    "save_analysis": "deepfix_notebook.artifacts",
    "sweep": "deepfix_notebook._api",
    "track": "deepfix_notebook.training",
    "unload_ipython_extension": "deepfix_notebook.notebook",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'deepfix_notebook' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where the built JupyterLab extension is (``jupyter labextension develop``)."""
    return [{"src": "labextension", "dest": "deepfix-notebook"}]
