"""`RunStore` against real SQLite MLflow stores: listing, caching, logged analyses, write-back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from seeding import EXAMPLE_RUNS, HOSTILE, Seeded

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import ArtifactError, active_mlflow_run
from deepfix_notebook.contract import ErrorCode
from deepfix_notebook.report import RunStore


def test_lists_runs_newest_first_and_caches_the_list(fresh_seeded: Seeded) -> None:
    store = RunStore(fresh_seeded.uri, fresh_seeded.experiment)
    names = [run.run_name for run in store.runs()]
    assert names == ["no-artifacts", HOSTILE, *reversed(EXAMPLE_RUNS)]
    with active_mlflow_run(fresh_seeded.uri, experiment=fresh_seeded.experiment, run_name="new"):
        pass
    assert len(store.runs()) == 6  # cached
    assert store.runs(refresh=True)[0].run_name == "new"
    assert store.summary(fresh_seeded.ids["overfitting"]) is not None
    assert store.summary("not-listed") is None


def test_logged_analysis_shows_without_running_again(seeded: Seeded) -> None:
    store = RunStore(seeded.uri, seeded.experiment)
    details = store.details(seeded.ids["overfitting"])
    assert details.error is None and details.bundle is not None
    assert details.analysis_source == "logged"
    assert details.analysis is not None and details.analysis.run_id == seeded.ids["overfitting"]
    assert details.counts is not None and details.counts["high"] >= 1
    assert store.details(seeded.ids["overfitting"]) is details  # cached
    plain = store.details(seeded.ids["quickstart"])
    assert plain.analysis is None and plain.counts is None and plain.bundle is not None


def test_a_run_without_artifacts_says_why(seeded: Seeded) -> None:
    details = RunStore(seeded.uri).details(seeded.ids["no-artifacts"])
    assert details.bundle is None and details.analysis is None
    assert details.error is not None and "no DeepFix artifacts" in details.error


def test_health_reads_only_the_asked_runs_logged_analyses(seeded: Seeded) -> None:
    store = RunStore(seeded.uri, seeded.experiment)
    runs = {run.run_name: run for run in store.runs()}
    assert all(store.health(run) is None for run in runs.values())
    store.read_health([runs["overfitting"], runs["no-artifacts"], runs["quickstart"]])
    assert not store._bundles  # no run was read in full
    logged = store.health(runs["overfitting"])
    assert logged is not None and logged.state == "logged"
    assert logged.counts == store.details(seeded.ids["overfitting"]).counts
    none = store.health(runs["quickstart"])
    assert none is not None and none.state == "none" and none.counts is None
    missing = store.health(runs["no-artifacts"])
    assert missing is not None and missing.state == "no-artifacts"
    assert missing.note is not None and "no DeepFix artifacts" in missing.note
    assert store.health(runs["diverging"]) is None  # not asked


def test_a_new_analysis_wins_and_is_written_back(fresh_seeded: Seeded) -> None:
    run_id = fresh_seeded.ids["quickstart"]
    store = RunStore(fresh_seeded.uri)
    assert store.details(run_id).analysis is None
    result = dfx.analyze(run_id, tracking_uri=fresh_seeded.uri)
    store.remember(result, "local")
    assert store.details(run_id).analysis_source == "local"
    assert store.details(run_id, refresh=True).analysis is result  # not the (absent) logged one
    assert store.save(result) is None
    again = RunStore(fresh_seeded.uri).details(run_id)
    assert again.analysis_source == "logged"
    assert again.analysis is not None and again.analysis.request_id == result.request_id


def test_an_invalid_logged_analysis_is_a_note(fresh_seeded: Seeded) -> None:
    from mlflow import MlflowClient

    run_id = fresh_seeded.ids["diverging"]
    MlflowClient(fresh_seeded.uri).log_text(run_id, '{"run_id": 3}', "deepfix/analysis.json")
    store = RunStore(fresh_seeded.uri)
    details = store.details(run_id)
    assert details.analysis is None and details.bundle is not None
    assert len(details.notes) == 1 and "not a valid analysis" in details.notes[0]
    light = RunStore(fresh_seeded.uri)  # the overview's read: the analysis file alone
    [summary] = [run for run in light.runs() if run.run_id == run_id]
    light.read_health([summary])
    health = light.health(summary)
    assert health is not None and health.state == "none"  # to be analysed again
    assert health.note is not None and "not a valid analysis" in health.note


def test_an_empty_store_lists_nothing(make_sqlite_store: Callable[[str], Any]) -> None:
    empty = make_sqlite_store("empty")
    assert RunStore(empty.uri).runs() == []
    assert RunStore(empty.uri, empty.experiment).runs() == []


def test_unreachable_store_and_unknown_experiment_raise_clearly(
    refused_uri: str, seeded: Seeded
) -> None:
    with pytest.raises(ArtifactError) as down:
        RunStore(refused_uri).runs()
    assert down.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    with pytest.raises(ArtifactError, match="No experiment named 'nope'"):
        RunStore(seeded.uri, "nope").runs()
    with pytest.raises(ValueError, match="max_runs"):
        RunStore(seeded.uri, max_runs=0)


@pytest.mark.slow
def test_500_runs_are_listed_in_one_call(many: Seeded) -> None:
    store = RunStore(many.uri, many.experiment)
    assert len(store.runs()) == 500
    capped = RunStore(many.uri, many.experiment, max_runs=100)
    assert [r.run_id for r in capped.runs()] == [r.run_id for r in store.runs()[:100]]
