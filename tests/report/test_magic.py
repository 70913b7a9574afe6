"""``%deepfix report``: the kernel serves the report on a loopback port and links to it."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.testing import globalipapp
from IPython.utils.capture import capture_output
from seeding import Seeded


@pytest.fixture
def ip(seeded: Seeded) -> Iterator[Any]:
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    assert shell is not None
    shell.display_formatter.active_types = shell.display_formatter.format_types
    shell.run_line_magic("load_ext", "deepfix_notebook")
    from deepfix_notebook import connect

    connect("local", tracking_uri=seeded.uri)
    yield shell
    shell.run_line_magic("deepfix", "report --stop")
    connect("local")
    shell.run_line_magic("unload_ext", "deepfix_notebook")


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return str(response.read().decode("utf-8"))


def test_report_magic_serves_links_and_stops(ip: Any, seeded: Seeded) -> None:
    with capture_output() as cap:
        ip.run_line_magic("deepfix", f"report --experiment {seeded.experiment} --inline")
    html = "".join(o.data.get("text/html", "") for o in cap.outputs)
    [url] = set(re.findall(r"href='(http://127\.0\.0\.1:\d+/)'", html))
    assert "<iframe" in html and url in html  # --inline embeds it as well
    page = _get(url)
    assert "<title>DeepFix report</title>" in page
    with capture_output():
        ip.run_line_magic("deepfix", "report --stop")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        _get(url)


def test_report_magic_usage_errors(ip: Any) -> None:
    with pytest.raises(UsageError, match="--port"):
        ip.run_line_magic("deepfix", "report --port 99999")
