"""``%deepfix sweep`` through IPython's own shell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Sweep
from IPython.core.error import UsageError
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output

from deepfix_notebook.contract import SweepResult


@pytest.fixture(scope="module")
def ip() -> Iterator[Any]:
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    yield shell
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def test_sweep_magic_shows_and_binds_the_result(ip: Any, planted: Sweep) -> None:
    with capture_output() as cap:
        ip.run_line_magic(
            "deepfix", f"sweep --experiment {planted.experiment} --tracking-uri {planted.uri}"
        )
    result = ip.user_ns["deepfix_sweep"]
    assert isinstance(result, SweepResult) and len(result.runs) == 45
    html = "".join(o.data.get("text/html", "") for o in cap.outputs)
    assert "learning_rate ≥ 0.316" in html and "exploding_loss" in html


def test_sweep_magic_usage_errors(ip: Any, planted: Sweep) -> None:
    with pytest.raises(UsageError, match="lr-sweep"):
        ip.run_line_magic("deepfix", f"sweep --experiment nope --tracking-uri {planted.uri}")
    with pytest.raises(UsageError, match="max-runs"):
        ip.run_line_magic("deepfix", "sweep --experiment x --max-runs 0")
    with pytest.raises(UsageError):
        ip.run_line_magic("deepfix", "sweep")
