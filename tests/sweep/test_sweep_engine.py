"""The engine with its agents inline (what a sweep's workers use) answers as with threads."""

from __future__ import annotations

import numpy as np

from deepfix_notebook.artifacts import bundle_from_memory
from deepfix_notebook.contract import AgentResult
from deepfix_notebook.engine import Engine, TrainingArtifactsAnalyzer
from deepfix_notebook.engine._agent import AgentInput


def bundle() -> object:
    epoch = np.arange(40.0)
    train = 0.7 * np.exp(0.1 * epoch)
    return bundle_from_memory(
        {"epoch": epoch, "train_loss": train, "val_loss": train * 1.1},
        params={"learning_rate": 0.5},
    )


def findings(result: object) -> list[tuple[str, str | None, str]]:
    return [
        (agent, a.findings.code and a.findings.code.value, a.findings.severity.value)
        for agent, a in result.findings(plan=True)  # type: ignore[attr-defined]
    ]


def test_inline_agents_give_the_threaded_result() -> None:
    data = bundle()
    threaded = Engine().analyze(data)  # type: ignore[arg-type]
    inline = Engine(threads=False).analyze(data)  # type: ignore[arg-type]
    assert findings(inline) == findings(threaded)
    assert inline.summary == threaded.summary
    assert inline.status == threaded.status


def test_an_inline_agent_that_raises_keeps_its_slot() -> None:
    class Broken(TrainingArtifactsAnalyzer):
        def run(self, given: AgentInput) -> AgentResult:
            raise RuntimeError("boom")

    result = Engine(threads=False, phase_one=[Broken()]).analyze(bundle())  # type: ignore[arg-type]
    assert result.status.value == "partial"
    assert "boom" in (result.agent_results[0].error_message or "")
