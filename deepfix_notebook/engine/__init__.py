"""The embedded analysis engine: five agents over an `ArtifactBundle`, no I/O.

``Engine().analyze(bundle, options)`` returns the contract's `AnalysisResult`; the same engine
runs in-process (the local backend) and behind the server.
"""

from deepfix_notebook.engine._pipeline import Engine, analyze_bundle, default_engine
from deepfix_notebook.engine.advisor import OptimizationAdvisorAgent
from deepfix_notebook.engine.cross_artifact import CrossArtifactIntegrationAgent
from deepfix_notebook.engine.dataset import DatasetArtifactsAnalyzer
from deepfix_notebook.engine.deepchecks import DeepchecksArtifactsAnalyzer
from deepfix_notebook.engine.training import (
    EARLY_WARNING_CODES,
    TrainingArtifactsAnalyzer,
    early_warnings,
)

__all__ = [
    "EARLY_WARNING_CODES",
    "CrossArtifactIntegrationAgent",
    "DatasetArtifactsAnalyzer",
    "DeepchecksArtifactsAnalyzer",
    "Engine",
    "OptimizationAdvisorAgent",
    "TrainingArtifactsAnalyzer",
    "analyze_bundle",
    "default_engine",
    "early_warnings",
]
