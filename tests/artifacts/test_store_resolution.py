"""Where runs are: one order of candidate MLflow stores (explicit > connect > MLflow's
configuration > ./mlflow.db > DeepFix's local store), a run id looked for in each, and a failed
lookup that creates nothing, prints nothing and says what was searched and how to point
elsewhere. Real SQLite stores in temp dirs; the working directory is a temp dir too."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from deepfix_notebook.artifacts import (
    ArtifactError,
    Store,
    candidate_stores,
    list_runs,
    load_mlflow_run,
    load_run,
    log_run,
    resolve_tracking_uri,
)
from deepfix_notebook.contract import ErrorCode

UNKNOWN = uuid.UUID(int=0xDEADBEEF).hex


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory (MLflow 3 puts its default store, ./mlflow.db, there)."""
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def reset_mlflow_uri() -> Any:
    """Undo `mlflow.set_tracking_uri` (a process-wide setting) after the test."""
    yield
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def log_plain_run(uri: str, *, name: str = "mlp", epochs: int = 12) -> str:
    """A run as a user logs it with plain MLflow: `loss`/`val_loss` per epoch, a param."""
    client = MlflowClient(tracking_uri=uri)
    run_id: str = client.create_run("0", run_name=name).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1.0 / (e + 1), 0, e) for e in range(epochs)]
        + [Metric("val_loss", 1.2 / (e + 1) + 0.05, 0, e) for e in range(epochs)],
    )
    client.log_param(run_id, "lr", "0.01")
    client.set_terminated(run_id)
    return run_id


@pytest.fixture
def store(copy_blank_store: Any, tmp_path: Path) -> Any:
    """``store(name)``: the URI of a new, empty SQLite store outside the working directory."""
    return lambda name: copy_blank_store(tmp_path / name / "mlflow.db")


@pytest.fixture
def default_store_run(cwd: Path, copy_blank_store: Any) -> str:
    """A run in MLflow 3's default store of the working directory (``sqlite:///mlflow.db``,
    which ``mlflow.get_tracking_uri()`` answers with the absolute path)."""
    return log_plain_run(copy_blank_store(cwd / "mlflow.db"))


def test_a_run_in_mlflows_default_store_of_the_working_directory_is_found(
    cwd: Path, default_store_run: str, deepfix_env: Path
) -> None:
    run_id = default_store_run

    bundle = load_run(run_id)

    assert bundle.run_id == run_id
    assert bundle.tracking_uri == f"sqlite:///{cwd / 'mlflow.db'}"
    assert bundle.metrics is not None and {"train_loss", "val_loss"} <= set(bundle.metrics.names)
    assert bundle.params is not None and bundle.params.learning_rate == 0.01
    assert not any("was read from" in w for w in bundle.warnings)  # the first store had it
    assert not deepfix_env.exists()  # DeepFix's local store was neither needed nor created
    assert resolve_tracking_uri() == bundle.tracking_uri  # and new runs would go there too


def test_new_runs_go_to_the_first_store_with_artifacts_where_mlflow_keeps_them(
    cwd: Path, default_store_run: str, deepfix_env: Path, run_data: dict[str, Any]
) -> None:
    run_id = log_run(**run_data, run_name="tracked")

    bundle = load_run(run_id)
    assert bundle.tracking_uri == f"sqlite:///{cwd / 'mlflow.db'}"
    assert bundle.files and not bundle.warnings
    run = MlflowClient(tracking_uri=bundle.tracking_uri).get_run(run_id)
    assert run.info.artifact_uri.startswith((cwd / "mlruns" / "deepfix").as_uri())
    assert not deepfix_env.exists()


def test_candidates_come_in_one_order_without_duplicates(
    cwd: Path,
    default_store_run: str,
    deepfix_env: Path,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
    reset_mlflow_uri: Any,
) -> None:
    env, connected, configured = (store(n) for n in ("env", "connected", "set"))
    (cwd / "mlruns" / "0").mkdir(parents=True)
    (cwd / "mlruns" / "0" / "meta.yaml").write_text("name: Default\n")  # a file store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env)

    stores = candidate_stores(connected=connected)
    assert [(s.uri, s.origin) for s in stores] == [
        (connected, "connect()"),
        (env, "MLFLOW_TRACKING_URI"),
        (f"sqlite:///{cwd / 'mlflow.db'}", "MLflow's default store in the working directory"),
        ((cwd / "mlruns").as_uri(), "MLflow's default store in the working directory"),
        (f"sqlite:///{deepfix_env / 'mlflow.db'}", "DeepFix's local store"),
    ]
    mlflow.set_tracking_uri(configured)  # also sets MLFLOW_TRACKING_URI, as MLflow does
    assert [(s.uri, s.origin) for s in candidate_stores()][:2] == [
        (configured, "mlflow.set_tracking_uri"),
        (f"sqlite:///{cwd / 'mlflow.db'}", "MLflow's default store in the working directory"),
    ]
    assert candidate_stores("http://elsewhere:5000") == [
        Store("http://elsewhere:5000", "given explicitly")
    ]
    # The working directory's database spelled relatively is the same store, listed once.
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    stores = candidate_stores()
    assert stores[0] == Store("sqlite:///mlflow.db", "MLFLOW_TRACKING_URI")
    assert f"sqlite:///{cwd / 'mlflow.db'}" not in [s.uri for s in stores]


def test_a_run_not_in_the_first_store_is_found_in_another_and_says_where(
    cwd: Path, default_store_run: str, store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = default_store_run
    empty = store("configured")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", empty)

    bundle = load_mlflow_run(run_id)

    assert bundle.tracking_uri == f"sqlite:///{cwd / 'mlflow.db'}"
    (note,) = [w for w in bundle.warnings if "was read from" in w]
    assert f"{empty} (MLFLOW_TRACKING_URI)" in note and "does not have it" in note
    assert f"--tracking-uri {bundle.tracking_uri}" in note


def test_connects_store_comes_first_and_others_are_still_searched(
    cwd: Path, default_store_run: str, store: Any
) -> None:
    run_id = default_store_run
    connected = store("connected")
    connected_id = log_plain_run(connected)

    assert load_run(connected_id, connected=connected).tracking_uri == connected
    found = load_run(run_id, connected=connected)
    assert found.tracking_uri == f"sqlite:///{cwd / 'mlflow.db'}"
    assert any("(connect())" in w for w in found.warnings)


def test_an_explicit_uri_is_the_only_store_searched(
    cwd: Path, default_store_run: str, store: Any
) -> None:
    run_id = default_store_run
    other = store("other")

    with pytest.raises(ArtifactError) as info:
        load_mlflow_run(run_id, other)

    assert info.value.code is ErrorCode.RUN_NOT_FOUND
    assert info.value.details["searched"] == [other]
    assert f"in the store {other} (given explicitly)" in info.value.message


def test_an_unknown_run_names_every_store_searched_and_how_to_point_elsewhere(
    cwd: Path,
    default_store_run: str,
    deepfix_env: Path,
    store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured = store("configured")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", configured)

    with pytest.raises(ArtifactError) as info:
        load_run(UNKNOWN)

    error = info.value
    assert error.code is ErrorCode.RUN_NOT_FOUND
    local = f"sqlite:///{deepfix_env / 'mlflow.db'}"
    assert error.details["searched"] == [configured, f"sqlite:///{cwd / 'mlflow.db'}", local]
    assert f"{configured} (MLFLOW_TRACKING_URI)" in error.message
    assert "(MLflow's default store in the working directory)" in error.message
    assert f"{local} (DeepFix's local store), not created yet" in error.message
    assert f"`%deepfix analyze {UNKNOWN} --tracking-uri URI`" in error.message
    assert f"`deepfix analyze --run-id {UNKNOWN} --tracking-uri URI`" in error.message
    assert not deepfix_env.exists()


def test_an_unreachable_first_store_is_the_error_when_no_other_has_the_run(
    cwd: Path, default_store_run: str, refused_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = default_store_run
    monkeypatch.setenv("MLFLOW_TRACKING_URI", refused_uri)

    bundle = load_run(run_id)  # the server is down, but the run is in ./mlflow.db
    assert any("could not be read" in w for w in bundle.warnings)
    with pytest.raises(ArtifactError) as info:
        load_run(UNKNOWN)
    assert info.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert refused_uri in info.value.message and "not in the stores searched" in info.value.message


def test_listing_an_absent_local_store_creates_nothing(cwd: Path, deepfix_env: Path) -> None:
    assert list_runs() == []
    with pytest.raises(ArtifactError) as info:
        list_runs(experiment="nope")
    assert info.value.code is ErrorCode.RUN_NOT_FOUND
    assert not deepfix_env.exists()
    assert list(cwd.iterdir()) == []


def test_a_failed_lookup_creates_nothing_and_prints_no_mlflow_lines(
    tmp_path: Path, store: Any
) -> None:
    """In a fresh process with logging at INFO (as in many notebooks): look up unknown runs in
    no store, in a store another process made, then log a run (creating DeepFix's store)."""
    existing = store("existing")
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    code = textwrap.dedent(
        f"""
        import logging, sys
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
        from deepfix_notebook.artifacts import ArtifactError, load_run, log_run
        for uri in (None, {existing!r}):
            try:
                load_run({UNKNOWN!r}, tracking_uri=uri)
            except ArtifactError as error:
                print(error.code.value)
        print(log_run(metrics={{"loss": [1.0, 0.5, 0.25]}}))
        try:
            load_run({UNKNOWN!r})
        except ArtifactError as error:
            print(error.code.value)
        """
    )
    env = {**os.environ, "DEEPFIX_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[:2] == ["RUN_NOT_FOUND", "RUN_NOT_FOUND"] and lines[3] == "RUN_NOT_FOUND"
    assert [line for line in out.stderr.splitlines() if "INFO" in line] == []
    assert "alembic" not in out.stderr and "Creating initial" not in out.stderr
    assert list(work.iterdir()) == []  # no ./mlflow.db, no ./mlruns
    assert (home / "mlflow.db").is_file()  # created by log_run, not by the lookups before it
