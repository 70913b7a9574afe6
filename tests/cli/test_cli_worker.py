"""`deepfix worker`: argument and configuration errors say what to do (the worker itself is
exercised with real Redis and Celery in tests/server/test_server_celery.py)."""

from __future__ import annotations

import pytest

from deepfix_notebook.cli import main


def test_worker_without_a_broker_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DEEPFIX_BROKER_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["worker"])
    assert exited.value.code == 2
    assert "DEEPFIX_BROKER_URL=redis://" in capsys.readouterr().err


def test_worker_concurrency_must_be_positive(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEEPFIX_BROKER_URL", "redis://127.0.0.1:1/0")
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--concurrency", "0"])
    assert exited.value.code == 2
    assert "--concurrency must be at least 1" in capsys.readouterr().err
