"""`run_sweep` over real SQLite MLflow stores and real engine runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Sweep, curves, log
from mlflow import MlflowClient
from mlflow.entities import Metric

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import ArtifactError, load_mlflow_analysis, load_mlflow_run
from deepfix_notebook.contract import ErrorCode, ProblemCode, SweepResult
from deepfix_notebook.sweeps import _analyse, run_sweep
from deepfix_notebook.sweeps._health import health
from deepfix_notebook.sweeps._params import is_hyperparameter


def problems_of(result: SweepResult) -> dict[str, list[str]]:
    return {run.run_id: [code.value for code in run.problems] for run in result.runs}


def test_planted_learning_rate_pattern_is_found(planted: Sweep) -> None:
    result = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False)

    assert len(result.runs) == 45
    assert {run.run_id for run in result.runs} == set(planted.run_ids.values())
    assert sum(result.counts.values()) == 45
    assert all(run.status == "analysed" for run in result.runs)
    exploding = [a for a in result.associations if a.code is ProblemCode.EXPLODING_LOSS]
    assert [a.param for a in exploding] == ["learning_rate"]
    found = exploding[0]
    assert (found.operator, found.threshold) == (">=", pytest.approx(0.316, rel=0.01))
    assert (found.hits_in, found.support, found.hits_out, found.runs_out) == (10, 10, 0, 35)
    assert found.condition == "learning_rate ≥ 0.316"
    assert found.p_value < 0.01
    assert not {a.param for a in result.associations} & {"seed", "batch_size", "optimizer"}
    assert result.summary.startswith(
        "exploding_loss: 10/10 runs with learning_rate ≥ 0.316, 0/35 otherwise."
    )
    assert result.problem_counts["exploding_loss"] == 10


def test_best_clean_runs_and_their_region(planted: Sweep) -> None:
    result = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False)

    assert result.best is not None
    assert (result.best.metric, result.best.higher_is_better) == ("val_accuracy", True)
    values = [run.value for run in result.best.runs]
    assert values == sorted(values, reverse=True) and len(values) >= 3
    rows = {run.run_id: run for run in result.runs}
    assert all(rows[run.run_id].severity == "clean" for run in result.best.runs)
    assert all(float(rows[r.run_id].params["learning_rate"]) < 0.3 for r in result.best.runs)
    assert all(rows[r.run_id].metric == r.value for r in result.best.runs)


def test_a_sweep_reads_runs_as_analyze_does(planted: Sweep) -> None:
    """The bulk history read gives the same diagnosis as loading each run on its own."""
    result = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False)
    by_id = problems_of(result)
    for run_id in list(planted.run_ids.values())[::9]:
        alone = dfx.analyze(load_mlflow_run(run_id, planted.uri))
        assert [code.value for code in health(alone)[0]] == by_id[run_id]


def test_problems_at_random_give_no_association(make_sweep: Callable[..., Sweep]) -> None:
    sweep = make_sweep(runs=40, planted=False, seed=11)
    result = run_sweep(sweep.experiment, tracking_uri=sweep.uri)

    assert result.problem_counts.get("exploding_loss", 0) >= 5  # something to associate
    assert result.associations == []
    assert result.associations_note is None
    assert "No hyperparameter split" in result.summary


def test_fewer_than_ten_runs_say_associations_need_more(make_sweep: Callable[..., Sweep]) -> None:
    sweep = make_sweep(runs=6)
    result = run_sweep(sweep.experiment, tracking_uri=sweep.uri)

    assert result.associations == []
    assert result.associations_note is not None
    assert "at least 10 analysed runs" in result.associations_note
    assert "this sweep has 6" in result.summary


def test_runs_that_cannot_be_analysed_are_listed_with_reasons(
    make_sweep: Callable[..., Sweep], tmp_path: Path
) -> None:
    import numpy as np

    sweep = make_sweep(runs=10)
    client = MlflowClient(tracking_uri=sweep.uri)
    experiment_id = client.get_experiment_by_name(sweep.experiment).experiment_id
    rng = np.random.default_rng(0)
    bad = log(client, experiment_id, "bad-lr", {"learning_rate": "-1"}, curves(False, rng))
    empty = client.create_run(experiment_id, run_name="empty").info.run_id
    layout = dfx.log_run(
        metrics={"train_loss": [1.0, 0.6, 0.4, 0.3, 0.25], "val_loss": [1.1, 0.7, 0.5, 0.4, 0.35]},
        params={"learning_rate": 0.01},
        tracking_uri=sweep.uri,
        experiment=sweep.experiment,
        run_name="layout",
    )

    result = run_sweep(sweep.experiment, tracking_uri=sweep.uri)

    rows = {run.run_id: run for run in result.runs}
    assert len(rows) == 13 and result.counts["failed"] == 2
    assert (rows[bad].status, rows[bad].error_code) == ("failed", ErrorCode.ARTIFACT_INVALID)
    assert rows[bad].error is not None and "learning_rate" in rows[bad].error
    assert (rows[empty].status, rows[empty].error_code) == (
        "failed",
        ErrorCode.ARTIFACT_NOT_FOUND,
    )
    assert rows[bad].severity is None and rows[bad].problems == []
    # A run logged with DeepFix's layout is read from its metrics.csv, as analyze reads it.
    assert rows[layout].status == "analysed"
    alone = dfx.analyze(load_mlflow_run(layout, sweep.uri))
    assert rows[layout].problems == health(alone)[0]
    assert "2 could not be analysed" in result.summary


def test_save_writes_analyses_that_the_next_sweep_reuses(
    make_sweep: Callable[..., Sweep],
) -> None:
    sweep = make_sweep(runs=12)
    first = run_sweep(sweep.experiment, tracking_uri=sweep.uri, save=True)
    assert {run.status for run in first.runs} == {"analysed"}
    assert first.warnings == []
    saved = list(sweep.artifacts.glob("*/artifacts/deepfix/analysis.json"))
    assert len(saved) == 12
    logged = load_mlflow_analysis(sweep.run_ids["run-00"], sweep.uri)  # as MLflow serves it
    assert logged is not None and logged.run_id == sweep.run_ids["run-00"]

    second = run_sweep(sweep.experiment, tracking_uri=sweep.uri)
    assert {run.status for run in second.runs} == {"reused"}
    assert problems_of(second) == problems_of(first)
    assert [r.severity for r in second.runs] == [r.severity for r in first.runs]

    # A metric logged after the analysis makes it stale: that run alone is analysed again.
    changed = sweep.run_ids["run-03"]
    now = int(time.time() * 1000) + 1000
    MlflowClient(tracking_uri=sweep.uri).log_batch(
        changed, metrics=[Metric("val_loss", 0.2, now, 31)]
    )
    third = run_sweep(sweep.experiment, tracking_uri=sweep.uri)
    statuses = {run.run_id: run.status for run in third.runs}
    assert statuses.pop(changed) == "analysed"
    assert set(statuses.values()) == {"reused"}

    fresh = run_sweep(sweep.experiment, tracking_uri=sweep.uri, reuse=False)
    assert {run.status for run in fresh.runs} == {"analysed"}


def test_an_unknown_experiment_lists_the_experiments_there_are(planted: Sweep) -> None:
    with pytest.raises(ArtifactError) as caught:
        run_sweep("no-such-experiment", tracking_uri=planted.uri)
    assert caught.value.code is ErrorCode.RUN_NOT_FOUND
    assert "'no-such-experiment'" in caught.value.message
    assert "lr-sweep" in caught.value.message


def test_filter_and_max_runs(planted: Sweep) -> None:
    adam = run_sweep(
        planted.experiment, tracking_uri=planted.uri, filter_string="params.optimizer = 'adam'"
    )
    assert 0 < len(adam.runs) < 45
    # the optimizer no longer varies: the runs' params show the swept ones only (never seeds)
    assert all(set(run.params) == {"learning_rate", "batch_size"} for run in adam.runs)
    assert len(run_sweep(planted.experiment, tracking_uri=planted.uri, max_runs=5).runs) == 5

    with pytest.raises(ArtifactError) as caught:
        run_sweep(planted.experiment, tracking_uri=planted.uri, filter_string="params.x >>> 1")
    assert caught.value.code is ErrorCode.VALIDATION_ERROR
    assert "filter" in caught.value.message


def test_worker_processes_give_the_same_result(
    planted: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False, workers=1)
    monkeypatch.setattr(_analyse, "MIN_RUNS_PER_PROCESS", 10)
    assert _analyse.worker_count(2, 45) == 2
    forked = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False, workers=2)
    assert problems_of(forked) == problems_of(inline)
    assert forked.associations == inline.associations


def test_the_public_sweep_is_the_same(planted: Sweep) -> None:
    result = dfx.sweep(planted.experiment, tracking_uri=planted.uri, max_runs=12)
    assert isinstance(result, SweepResult) and len(result.runs) == 12
    assert callable(dfx.sweep)  # the room is `sweeps`: importing it never shadows the verb


def test_the_listing_from_mlflows_tables_is_search_runs(planted: Sweep) -> None:
    """Without a filter a SQL store's runs are read from MLflow's tables directly; with one,
    through ``search_runs``: both give the same runs."""
    from deepfix_notebook.artifacts import experiment_runs

    _, direct = experiment_runs(planted.experiment, planted.uri)
    _, searched = experiment_runs(
        planted.experiment, planted.uri, filter_string="attributes.status = 'FINISHED'"
    )
    assert len(direct) == 45
    assert sorted(direct, key=lambda r: r.run_id) == sorted(searched, key=lambda r: r.run_id)
    assert all(run.last_metric_ms is not None and run.metrics for run in direct)
    _, newest = experiment_runs(planted.experiment, planted.uri, max_runs=7)
    assert len(newest) == 7


def crash(bundle: object) -> object:
    import os

    os._exit(3)  # a worker killed mid-analysis (out of memory, a signal)


def test_a_worker_that_dies_fails_its_runs_not_the_sweep(
    planted: Sweep, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_analyse, "MIN_RUNS_PER_PROCESS", 10)
    monkeypatch.setattr(_analyse, "analyse_one", crash)
    result = run_sweep(planted.experiment, tracking_uri=planted.uri, reuse=False, workers=2)
    assert len(result.runs) == 45 and result.counts["failed"] == 45
    assert {run.error_code for run in result.runs} == {ErrorCode.INTERNAL_SERVER_ERROR}
    assert "BrokenProcessPool" in (result.runs[0].error or "")


def test_seeds_are_not_hyperparameters(planted: Sweep) -> None:
    """A seed varies in every sweep but chooses no setting: no axis, association or region."""
    result = run_sweep(planted.experiment, tracking_uri=planted.uri)
    assert all("seed" not in run.params for run in result.runs)
    assert result.best is not None and "seed" not in result.best.region
    assert [is_hyperparameter(n) for n in ("seed", "random_state", "data.seed", "torch_seed")] == [
        False
    ] * 4
    assert all(map(is_hyperparameter, ("learning_rate", "seedling_count", "reseed_every")))
