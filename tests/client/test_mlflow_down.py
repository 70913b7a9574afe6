"""MLflow down behind a real DeepFix server (uvicorn on 127.0.0.1, its allowed tracking URI a
refused port): the server answers 503 MLFLOW_CONNECTION_ERROR with ``Retry-After: 30``, and
the client's offline modes answer within seconds, saying MLflow, not the DeepFix server, could
not be reached. `connect(...)` hands the run id to the server instead of reading it here."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_helpers import serve_in_thread

import deepfix_notebook as dfx
from deepfix_notebook.artifacts import ArtifactError
from deepfix_notebook.backends import LocalBackend, ServerUnreachableWarning, use
from deepfix_notebook.client import AnalysisError, DeepFixClient, DeepFixError
from deepfix_notebook.contract import AnalysisStatus, ErrorCode
from deepfix_notebook.server import Settings, create_app

RUN_ID = "0123456789abcdef0123456789abcdef"
PROMPT_S = 5.0  # the retry budget is 15 s; a Retry-After of 30 s is not waited for at all
MLFLOW_SIDE = "MLflow unreachable from the DeepFix server"


@pytest.fixture
def deepfix_url(refused_uri: str, tmp_path: Path) -> Iterator[str]:
    """A DeepFix server whose one allowed MLflow is down."""
    settings = Settings(
        allowed_tracking_uris=[refused_uri], job_store_url=f"sqlite:///{tmp_path / 'jobs.db'}"
    )
    with serve_in_thread(create_app(settings)) as url:
        yield url


@pytest.fixture
def restore_backend() -> Iterator[None]:
    yield
    use(LocalBackend())


def test_the_client_falls_back_at_once_naming_mlflow(deepfix_url: str, refused_uri: str) -> None:
    with DeepFixClient(deepfix_url) as client:
        start = time.monotonic()
        with pytest.warns(ServerUnreachableWarning, match=MLFLOW_SIDE) as caught:
            result = client.analyze(RUN_ID, refused_uri)
        assert time.monotonic() - start < PROMPT_S
        assert result.status is AnalysisStatus.FAILED
        assert "could not reach MLflow" in result.summary
        assert f"DeepFix server {deepfix_url} unreachable" not in str(caught[0].message)

        start = time.monotonic()
        with pytest.raises(AnalysisError) as raised:
            client.analyze(RUN_ID, refused_uri, offline_mode="strict")
        assert time.monotonic() - start < PROMPT_S
    assert raised.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert raised.value.status_code == 503 and raised.value.retry_after == 30.0


@pytest.mark.usefixtures("restore_backend")
def test_connect_falls_back_to_the_embedded_engine_which_cannot_read_it_either(
    deepfix_url: str, refused_uri: str
) -> None:
    dfx.connect(deepfix_url, tracking_uri=refused_uri, offline="fallback")
    start = time.monotonic()
    with pytest.warns(ServerUnreachableWarning, match=MLFLOW_SIDE):
        result = dfx.analyze(RUN_ID)
    assert time.monotonic() - start < PROMPT_S
    assert result.status is AnalysisStatus.FAILED and result.run_id == RUN_ID
    # fallback asked the embedded engine too, which cannot reach that MLflow either
    assert "could not read the run here either" in result.warnings[1]
    assert "could not reach MLflow" in result.summary and "once MLflow is back" in result.summary

    dfx.connect(deepfix_url, tracking_uri=refused_uri, offline="strict")
    with pytest.raises(DeepFixError) as raised:  # the server's answer, not a local read
        dfx.analyze(RUN_ID)
    assert raised.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert isinstance(raised.value, ArtifactError)


@pytest.mark.usefixtures("restore_backend")
def test_local_mode_tries_the_embedded_engine_then_says_why_it_cannot(
    deepfix_url: str, refused_uri: str
) -> None:
    dfx.connect(deepfix_url, tracking_uri=refused_uri, offline="local")
    with (
        pytest.warns(ServerUnreachableWarning, match="embedded engine"),
        pytest.raises(ArtifactError) as raised,
    ):
        dfx.analyze(RUN_ID)  # this process cannot reach that MLflow either
    assert raised.value.code is ErrorCode.MLFLOW_CONNECTION_ERROR
    assert not isinstance(raised.value, DeepFixError)  # LocalBackend's own error
