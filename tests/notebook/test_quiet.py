"""Other libraries' log lines and warnings never reach a cell's output from a magic: MLflow's
first use of a fresh SQLite store (its INFO lines on table creation) in IPython's own shell,
and the scope's own guarantees (restored afterwards, DeepFix's own warnings still said)."""

from __future__ import annotations

import logging
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.utils.capture import capture_output
from notebook_helpers import html_of, rich_shell, text_of

from deepfix_notebook.backends._quiet import notebook_quiet, quiet
from deepfix_notebook.client._offline import ServerUnreachableWarning

NOISE = ("INFO", "alembic", "mlflow.store", "Creating initial MLflow database tables")


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    shell = rich_shell()
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def fresh_store(path: Path) -> str:
    """An SQLite file MLflow has never opened: its first use creates the tables, logging INFO."""
    sqlite3.connect(path).close()
    return f"sqlite:///{path}"


def test_a_fresh_store_logs_nothing_into_the_cell(ip: Any, tmp_path: Path) -> None:
    uri = fresh_store(tmp_path / "fresh.db")
    with capture_output() as cap:
        ip.run_line_magic(
            "deepfix", f"analyze 0123456789abcdef0123456789abcdef --tracking-uri {uri}"
        )
    assert not any(word in cap.stdout + cap.stderr for word in NOISE), cap.stderr
    assert "RUN_NOT_FOUND" in html_of(cap.outputs)  # what we mean to say is said
    # the store's tables were created in that call: the lines were there to be silenced
    with sqlite3.connect(tmp_path / "fresh.db") as db:
        assert db.execute("select count(*) from sqlite_master where name='runs'").fetchone()[0]


def test_the_same_store_outside_the_scope_does_log(tmp_path: Path) -> None:
    """The control: the same analysis outside a magic prints MLflow's lines."""
    from deepfix_notebook.artifacts import ArtifactError
    from deepfix_notebook.backends import LocalBackend

    uri = fresh_store(tmp_path / "control.db")
    with capture_output() as cap, pytest.raises(ArtifactError):
        LocalBackend(tracking_uri=uri).analyze("0123456789abcdef0123456789abcdef")
    assert "Creating initial MLflow database tables" in cap.stderr


def test_scope_silences_libraries_and_restores_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = (logging.root.manager.disable, warnings.showwarning)
    library = logging.getLogger("urllib3.connectionpool")
    with capture_output() as cap, quiet() as scope:
        library.warning("Retrying (Retry(total=2)) after connection broken")
        with quiet():  # nested scopes (a magic calling dfx.*) restore once, at the end
            pass
        assert logging.root.manager.disable == logging.ERROR
        warnings.warn_explicit(
            "noload is deprecated", DeprecationWarning, "/site-packages/sqlalchemy/orm.py", 356
        )
    assert cap.stderr == "" and cap.stdout == ""
    assert [str(w.message) for w in scope.records] == ["noload is deprecated"]
    assert (logging.root.manager.disable, warnings.showwarning) == before
    library.warning("after the scope")
    assert [r.getMessage() for r in caplog.records] == ["after the scope"]


def test_deepfix_warnings_still_reach_the_caller() -> None:
    with pytest.warns(ServerUnreachableWarning, match="server down"), quiet():
        warnings.warn("server down", ServerUnreachableWarning, stacklevel=1)


def test_in_a_shell_deepfix_warnings_become_one_notice_line(ip: Any) -> None:
    with capture_output() as cap, warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        with notebook_quiet(in_any_shell=True) as scope:
            warnings.warn("the server is down", ServerUnreachableWarning, stacklevel=1)
            warnings.warn("the server is down", ServerUnreachableWarning, stacklevel=1)
            warnings.warn("already shown", ServerUnreachableWarning, stacklevel=1)
            scope.said.add("already shown")
    assert raw == [] and cap.stderr == ""
    assert text_of(cap.outputs) == "DeepFix: the server is down"
    assert "deepfix-notice" in html_of(cap.outputs)


def test_outside_a_kernel_dfx_calls_change_nothing() -> None:
    """A script or a training job (no kernel) keeps its logging and warnings as they are."""
    before = (logging.root.manager.disable, warnings.showwarning)
    with notebook_quiet():
        assert (logging.root.manager.disable, warnings.showwarning) == before


def test_a_tracked_cell_is_quiet_around_the_body_not_inside_it(
    ip: Any, caplog: pytest.LogCaptureFixture, deepfix_env: Path
) -> None:
    """``%%deepfix`` on a new user's first run: DeepFix's store is created (MLflow's INFO lines)
    and the run analysed, quietly; what the cell itself logs and warns still shows."""
    body = (
        "import logging, math, warnings\n"
        "import deepfix_notebook\n"
        "logging.getLogger('my.training').warning('epoch budget reached')\n"
        "warnings.warn('my own warning')\n"
        "for epoch in range(25):\n"
        "    deepfix_notebook.log(epoch=epoch, train_loss=2 * math.exp(-epoch / 3) + 0.05,\n"
        "                         val_loss=2 * math.exp(-epoch / 3) + 0.1)\n"
    )
    assert not deepfix_env.exists()  # the store is created by this cell
    with capture_output() as cap, warnings.catch_warnings(record=True) as raw:
        warnings.simplefilter("always")
        ip.run_cell_magic("deepfix", "--name first-run --experiment quiet-cells", body)
    assert not any(word in cap.stdout + cap.stderr for word in NOISE), cap.stderr
    assert "DeepFix analysis of" in html_of(cap.outputs)
    assert [r.getMessage() for r in caplog.records if r.name == "my.training"] == [
        "epoch budget reached"
    ]
    assert [str(w.message) for w in raw] == ["my own warning"]
