"""The extension's TypeScript tests (``npm test``: tsc, then vitest in jsdom), fed real payloads.

The payloads are what the display objects write now for real runs (``examples/runs``), so a
change on the Python side that the renderer cannot read fails here. Each case also carries what
the view must show (findings, plan, ranking, ...), computed here from the Python objects.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deepfix_notebook.contract import AgentName, Severity

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "labextension"
RUNS = REPO / "examples" / "runs"
ADVISOR = AgentName.OPTIMIZATION.value


def npm() -> str:
    path = shutil.which("npm")
    if path is None:
        pytest.fail("npm is not on PATH: the JupyterLab extension needs Node.js 20.19+ and npm.")
    return path


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """labextension/node_modules (`pip install` makes it), else installed from the lock file."""
    path = LABEXTENSION / "node_modules"
    if not path.is_dir():
        subprocess.run(
            [npm(), "ci"], cwd=LABEXTENSION, check=True, capture_output=True, timeout=600
        )
    return path


def _bundle(view: Any) -> dict[str, Any]:
    # What a kernel sends: strict JSON (NaN would not parse in the browser).
    return json.loads(json.dumps(view._repr_mimebundle_(), allow_nan=False))  # type: ignore[no-any-return]


def _analysis_case(name: str, view: Any, *, nonfinite: bool | None = None) -> dict[str, Any]:
    from deepfix_notebook.notebook._views import MIME_ANALYSIS
    from deepfix_notebook.views._html import _is_score

    result = view.result
    table = view.table
    expect: dict[str, Any] = {
        "title": f"DeepFix analysis of {result.run_id}",
        "findingCodes": [
            a.findings.code.value if a.findings.code else ""
            for agent, a in result.findings()
            if agent != ADVISOR
        ],
        "planActions": [
            a.recommendations.action for agent, a in result.findings(plan=True) if agent == ADVISOR
        ],
        "warnings": list(result.warnings),
        "charts": 0
        if table is None
        else int(any("loss" in n.lower() for n in table.names))
        + int(any(_is_score(n) for n in table.names)),
    }
    if nonfinite is not None:
        expect["nonFinite"] = nonfinite
    return {
        "name": name,
        "mime": MIME_ANALYSIS,
        "data": _bundle(view)[MIME_ANALYSIS],
        "expect": expect,
    }


def _comparison_case(view: Any) -> dict[str, Any]:
    import numpy as np

    from deepfix_notebook.notebook._views import MIME_COMPARISON

    matrix: dict[str, dict[str, str]] = {}
    for run, result in view.results.items():
        cells: dict[str, tuple[Severity, int]] = {}
        for agent, a in result.findings():
            if agent == ADVISOR or a.findings.code is None:
                continue
            code = a.findings.code.value
            worst, count = cells.get(code, (a.findings.severity, 0))
            cells[code] = (max(worst, a.findings.severity, key=lambda s: s.rank), count + 1)
        # Each problem once per run, at its worst severity (the count is in the tooltip).
        matrix[run] = {code: severity.value for code, (severity, _) in cells.items()}
    best = {}
    for run, table in view.tables.items():
        _, _, values = table.series(view.metric)
        best[run] = float(np.nanmin(np.where(np.isfinite(values), values, np.nan)))
    ranking = sorted(view.results, key=lambda run: best.get(run, np.inf))
    return {
        "name": "comparison of the example runs",
        "mime": MIME_COMPARISON,
        "data": _bundle(view)[MIME_COMPARISON],
        "expect": {
            "title": f"DeepFix comparison of {len(view.results)} run(s)",
            "matrix": matrix,
            "ranking": ranking,
        },
    }


@pytest.fixture(scope="module")
def payload_cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    import deepfix_notebook as dfx
    from deepfix_notebook.notebook._compare import compare
    from deepfix_notebook.notebook._views import MIME_KNOWLEDGE, AnalysisView, KnowledgeView

    cases = []
    for run, nonfinite in (("overfitting", False), ("diverging", True), ("lightning_style", None)):
        bundle = dfx.load_run(RUNS / run)
        view = AnalysisView(dfx.analyze(bundle), bundle.metrics)
        cases.append(_analysis_case(f"analysis of {run}", view, nonfinite=nonfinite))
    quick = dfx.load_run(RUNS / "quickstart")
    cases.append(_analysis_case("analysis without curves", AnalysisView(dfx.analyze(quick))))
    runs = [RUNS / name for name in ("overfitting", "diverging", "quickstart")]
    cases.append(_comparison_case(compare(runs)))
    response = dfx.ask("validation loss goes up")
    cases.append(
        {
            "name": "knowledge search",
            "mime": MIME_KNOWLEDGE,
            "data": _bundle(KnowledgeView(response))[MIME_KNOWLEDGE],
            "expect": {
                "title": f"Knowledge for {response.query}",
                "entries": [item.id for item in response.results],
            },
        }
    )
    directory = tmp_path_factory.mktemp("payloads")
    (directory / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    return directory, [case["name"] for case in cases]


def test_renderer_tests_pass_on_payloads_the_package_writes(
    node_modules: Path, payload_cases: tuple[Path, list[str]], tmp_path: Path
) -> None:
    directory, names = payload_cases
    report = tmp_path / "vitest.json"
    env = {**os.environ, "DEEPFIX_PAYLOADS": str(directory), "NO_COLOR": "1", "CI": "true"}
    done = subprocess.run(
        [npm(), "test", "--", "--reporter=default", "--reporter=json", f"--outputFile={report}"],
        cwd=LABEXTENSION,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"npm test failed:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    results = json.loads(report.read_text(encoding="utf-8"))
    statuses = {
        test["title"]: test["status"]
        for suite in results["testResults"]
        for test in suite["assertionResults"]
    }
    assert results["numFailedTests"] == 0
    assert results["numPendingTests"] == 0, "a suite was skipped"  # e.g. the real payloads
    for name in names:
        assert statuses.get(name) == "passed", (name, sorted(statuses))
    assert results["numPassedTests"] >= 60
