"""Real MLflow stores for the report's tests, filled through the package's public API.

``seed_store`` logs the four example runs of ``examples/runs`` (``overfitting`` with its analysis
saved to ``deepfix/analysis.json``), a run whose name, parameter and metric name are hostile HTML,
and a run with no artifacts at all. ``seed_many`` adds small runs quickly (for the 500-run cases).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runs"
EXAMPLE_RUNS = ("quickstart", "overfitting", "diverging", "lightning_style")
HOSTILE = '<img src=x onerror="window.__deepfix_xss=1">'
HOSTILE_METRIC = "<script>window.__deepfix_xss=2</script>loss"
EXPERIMENT = "report-tests"


@dataclass(frozen=True)
class Seeded:
    uri: str
    experiment: str
    ids: dict[str, str]  # run name (``hostile`` for the hostile one) -> run id


def sqlite_uri(base: Path) -> str:
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'mlflow.db'}"


def seed_store(base: Path, *, experiment: str = EXPERIMENT) -> Seeded:
    """A SQLite store under ``base`` with the example, hostile and empty runs (in that order)."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import deepfix_notebook as dfx
    from deepfix_notebook.artifacts import active_mlflow_run, load_run, log_run, save_analysis

    uri = sqlite_uri(base)
    ids: dict[str, str] = {}
    for name in EXAMPLE_RUNS:
        bundle = load_run(EXAMPLES / name)
        assert bundle.metrics is not None and bundle.params is not None
        ids[name] = log_run(
            metrics=bundle.metrics,
            params=dict(bundle.params.raw),
            dataset=bundle.dataset,
            tracking_uri=uri,
            experiment=experiment,
            run_name=name,
            status="FINISHED",
        )
    result = dfx.analyze(ids["overfitting"], tracking_uri=uri)
    save_analysis(result, tracking_uri=uri)

    quick = load_run(EXAMPLES / "quickstart").metrics
    assert quick is not None
    steps, _, train = quick.series("train_loss")
    _, _, val = quick.series("val_loss")
    ids["hostile"] = log_run(
        metrics={
            "step": steps.tolist(),
            "train_loss": train.tolist(),
            "val_loss": val.tolist(),
            HOSTILE_METRIC: train.tolist(),
        },
        params={"learning_rate": 0.01, "note": HOSTILE},
        tracking_uri=uri,
        experiment=experiment,
        run_name=HOSTILE,
        status="FINISHED",
    )
    with active_mlflow_run(uri, experiment=experiment, run_name="no-artifacts") as run_id:
        ids["no-artifacts"] = run_id
    return Seeded(uri, experiment, ids)


def seed_many(uri: str, count: int, *, experiment: str = EXPERIMENT) -> list[str]:
    """``count`` small runs without artifacts (a val_loss metric and two params each), oldest
    first."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    from deepfix_notebook.artifacts import active_mlflow_run

    with active_mlflow_run(uri, experiment=experiment, run_name="first") as first:
        pass  # creates the experiment where DeepFix puts it (artifacts beside the database)
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.get_run(first).info.experiment_id
    ids = [first]
    for number in range(1, count):
        run = client.create_run(experiment_id, run_name=f"bulk-{number:04d}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("val_loss", 1.0 / number, 0, 10)],
            params=[Param("learning_rate", "0.001"), Param("batch_size", str(16 + number % 4))],
        )
        ids.append(run.info.run_id)  # left RUNNING: one call fewer per run
    return ids
