"""``deepfix report``: its arguments, and the offline HTML export."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from seeding import HOSTILE, Seeded

from deepfix_notebook.cli import main
from deepfix_notebook.report import RunStore, export_report
from deepfix_notebook.report._serve import origins


class _Resources(HTMLParser):
    """Every ``src``/``href`` of the page's own tags (script bodies are not parsed as HTML)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in {"src", "href"} and v]


def _resources(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def exported(seeded: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("export") / "report.html"
    code = main(["report", "--tracking-uri", seeded.uri, "--export", str(target)])
    assert code == 0
    return target


def test_export_is_one_self_contained_file(exported: Path, seeded: Seeded) -> None:
    html = exported.read_text(encoding="utf-8")
    assert _resources(html) == ["data:,"]  # no script, stylesheet or icon to fetch
    assert "Tabulator" in html and "plotly.js" in html.lower()
    for name in ("overfitting", "quickstart", "no-artifacts"):
        assert name in html
    assert HOSTILE not in html  # escaped (or JSON-quoted) wherever it appears
    assert html.count(seeded.ids["overfitting"]) >= 1


def test_export_of_named_runs_analyses_the_unanalysed(seeded: Seeded, tmp_path: Path) -> None:
    store = RunStore(seeded.uri, seeded.experiment)
    from deepfix_notebook.backends import LocalBackend

    ids = [seeded.ids["quickstart"], seeded.ids["diverging"]]
    path = export_report(
        tmp_path / "two.html", store, LocalBackend(tracking_uri=seeded.uri), run_ids=ids
    )
    html = path.read_text(encoding="utf-8")
    assert "when the report was exported" in html  # analysed for the file, not written back
    assert "nan_loss" in html  # the diverging run's finding
    assert seeded.ids["overfitting"] not in html
    assert RunStore(seeded.uri).details(ids[0]).analysis is None  # nothing written to MLflow


def test_cli_usage_errors(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cases = [
        (["report", "--run", "abc"], 2, "--run selects the runs of an export"),
        (["report", "--export", str(tmp_path / "r.pdf")], 2, "ending in .html"),
        (["report", "--port", "70000"], 2, "--port must be between"),
        (["report", "--backend", "ftp://x", "--export", str(tmp_path / "r.html")], 2, "--backend"),
        (
            ["report", "--tracking-uri", seeded.uri, "--experiment", "nope", "--export",
             str(tmp_path / "r.html")],
            1,
            "No experiment named 'nope'",
        ),
    ]  # fmt: skip
    for argv, code, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == code, argv
        assert message in capsys.readouterr().err, argv
    assert not (tmp_path / "r.html").exists()


def test_a_port_in_use_is_a_usage_error(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as exit_info:
            main(["report", "--tracking-uri", seeded.uri, "--port", str(port)])
    assert exit_info.value.code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_websocket_origins_follow_the_host() -> None:
    assert origins("127.0.0.1", 5006) == ["127.0.0.1:5006", "localhost:5006"]
    assert origins("0.0.0.0", 80) == ["*"]
    assert origins("10.1.2.3", 8080) == ["10.1.2.3:8080"]
