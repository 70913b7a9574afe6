"""A tracking URI with credentials (``http://user:password@host``): every request DeepFix and
MLflow send carries them as Basic authorization, and no error message quotes the password.
The server is a real ``mlflow server`` behind a Basic-auth gate (tests/auth_proxy.py)."""

from __future__ import annotations

from typing import Any

import pytest
from auth_proxy import auth_proxy

from deepfix_notebook.artifacts import ArtifactError, load_mlflow_run, log_run
from deepfix_notebook.contract import ErrorCode

USER, PASSWORD = "deepfix", "s3cr:t@pw"  # ':' and '@' percent-encoded in the URI
ENCODED = "s3cr%3At%40pw"


def test_credentials_in_the_uri_are_sent_on_every_request(
    mlflow_server: str, run_data: dict[str, Any]
) -> None:
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="credentials")
    with auth_proxy(mlflow_server, USER, PASSWORD) as proxy:
        bundle = load_mlflow_run(run_id, proxy.url(USER, ENCODED))
    assert bundle.run_id == run_id and bundle.metrics is not None
    paths = [path for _, path, _ in proxy.seen]
    assert paths[0] == "/health"  # DeepFix's own reachability check
    assert any(path.startswith("/api/2.0/mlflow/runs/get") for path in paths)
    assert any("mlflow-artifacts" in path for path in paths)
    assert all(authorized for _, _, authorized in proxy.seen)


def test_wrong_credentials_are_never_quoted(mlflow_server: str, run_data: dict[str, Any]) -> None:
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="credentials")
    with auth_proxy(mlflow_server, USER, "another") as proxy:
        uri = proxy.url(USER, ENCODED)
        with pytest.raises(ArtifactError) as raised:
            load_mlflow_run(run_id, uri)
    error = raised.value
    assert error.code is ErrorCode.VALIDATION_ERROR  # permanent: retrying sends the same ones
    assert error.details["status"] == 401 and error.details["side"] == "mlflow"
    assert "MLFLOW_TRACKING_PASSWORD" in error.message
    assert proxy.seen and not any(authorized for _, _, authorized in proxy.seen)
    shown = str(error.to_response().model_dump())
    assert ENCODED not in shown and PASSWORD not in shown
    assert f"{USER}:***@127.0.0.1:{proxy.port}" in error.message
    assert "Name or service not known" not in error.message


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_on_mlflow_calls_are_permanent(
    mlflow_server: str, run_data: dict[str, Any], status: int
) -> None:
    """The health route open (as with MLflow's own auth), the REST calls refused."""
    run_id = log_run(**run_data, tracking_uri=mlflow_server, experiment="credentials")
    with auth_proxy(mlflow_server, USER, PASSWORD, refusal=status, open_paths=("/health",)) as p:
        with pytest.raises(ArtifactError) as raised:
            load_mlflow_run(run_id, p.url(USER, "wrong"))
        assert any(path.startswith("/api/2.0/mlflow/") for _, path, _ in p.seen)
    error = raised.value
    assert error.code is ErrorCode.VALIDATION_ERROR
    assert error.details["status"] == status and error.field == "mlflow_tracking_uri"
    assert "refused the credentials" in error.message and "wrong" not in error.message
