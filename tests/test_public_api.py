"""The public face of the package: what it exports, and what importing it costs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import deepfix_notebook
from deepfix_notebook import artifacts, contract

PUBLIC_API = [
    "AgentResult",
    "Analysis",
    "AnalysisRequest",
    "AnalysisResult",
    "ArtifactBundle",
    "ArtifactError",
    "DeepFixCallback",
    "ErrorCode",
    "FaultTarget",
    "Finding",
    "KnowledgeResponse",
    "MetricsTable",
    "ProblemCode",
    "Recommendation",
    "__version__",
    "analyze",
    "ask",
    "connect",
    "load_ipython_extension",
    "load_run",
    "log",
    "log_run",
    "save_analysis",
    "sweep",
    "track",
    "unload_ipython_extension",
]
ARTIFACTS_API = [
    "CANONICAL_METRICS",
    "ArtifactBundle",
    "ArtifactError",
    "BrokenCheck",
    "CheckKind",
    "CheckResult",
    "CheckView",
    "ClassPerformance",
    "DatasetInfo",
    "DeepchecksResults",
    "DomainDrift",
    "DriftScores",
    "Metric",
    "MetricsTable",
    "NewLabels",
    "OutlierProbabilities",
    "PpsChange",
    "PredictivePower",
    "PropertyOutliers",
    "RunRef",
    "SampleShare",
    "Store",
    "TrainingParams",
    "active_mlflow_run",
    "bound_mlflow_http",
    "bundle_from_memory",
    "candidate_stores",
    "canonical_name",
    "canonical_names",
    "deepfix_home",
    "experiment_runs",
    "find_runs",
    "higher_is_better",
    "is_run_id",
    "last_run",
    "list_runs",
    "load_directory",
    "load_mlflow_analysis",
    "logged_analyses",
    "metric_histories",
    "load_mlflow_run",
    "load_run",
    "log_run",
    "parse_run_id",
    "read_checks",
    "read_metrics_csv",
    "redact_uri",
    "remember_run",
    "resolve_tracking_uri",
    "run_bundle",
    "run_by_name",
    "run_ref",
    "save_analysis",
    "write_analyses",
    "write_analysis",
    "write_run",
]
HEAVY = [
    "mlflow",
    "pyarrow",
    "pandas",
    "pydantic",
    "numpy",
    "plotly",
    "fastapi",
    "torch",
    "lightning",
    "pytorch_lightning",
    "yaml",
]


def test_exported_api_does_not_drift() -> None:
    assert sorted(deepfix_notebook.__all__) == sorted(PUBLIC_API)
    assert sorted(artifacts.__all__) == sorted(ARTIFACTS_API)


def test_every_export_resolves() -> None:
    for module in (deepfix_notebook, artifacts, contract):
        for name in module.__all__:
            assert getattr(module, name) is not None, f"{module.__name__}.{name}"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        deepfix_notebook.not_a_thing  # noqa: B018
    except AttributeError as exc:
        assert "not_a_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_import_pulls_in_no_heavy_library() -> None:
    code = (
        "import sys, json, deepfix_notebook; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_loading_a_directory_does_not_import_mlflow(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("step,loss\n0,1\n1,0.5\n2,0.2\n")
    code = (
        "import sys, deepfix_notebook.artifacts as a; "
        f"a.load_run({str(tmp_path)!r}); print('mlflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_local_analysis_never_imports_the_http_client(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("step,loss\n0,1\n1,0.5\n2,0.2\n3,0.1\n")
    code = (
        "import sys, json, deepfix_notebook as d; "
        f"d.connect('local'); d.analyze({str(tmp_path)!r}); "
        "print(json.dumps([m for m in ('httpx', 'deepfix_notebook.client') if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_training_package_imports_neither_torch_nor_lightning() -> None:
    code = (
        "import sys, json, deepfix_notebook.training; "
        "print(json.dumps([m for m in ('torch', 'lightning', 'pytorch_lightning') "
        "if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_callback_without_lightning_names_the_extra_to_install() -> None:
    code = (
        "import sys\n"
        "for name in ('lightning', 'lightning.pytorch', 'pytorch_lightning'):\n"
        "    sys.modules[name] = None  # as if not installed\n"
        "import deepfix_notebook\n"
        "try:\n"
        "    deepfix_notebook.DeepFixCallback\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "deepfix-notebook[lightning]"' in out.stdout
