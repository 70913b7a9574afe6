"""The live view in a real Jupyter kernel: curves and warnings as displays updated in place, and
a static end state (no Plotly, no widget) left in the notebook once training ends."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from kernel_helpers import run_cell, started_kernel

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")
pytest.importorskip("plotly")

PLOTLY = "application/vnd.plotly.v1+json"
WIDGET = "application/vnd.jupyter.widget-view+json"
DEEPFIX = "application/vnd.deepfix.analysis+json"
STOPPED = textwrap.dedent(
    """
    import math, time
    import deepfix_notebook as dfx

    with dfx.track("in-a-kernel", stop_on=["nan_loss"], analysis_mode="off") as run:
        for epoch in range(400):
            loss = 2 * math.exp(-epoch / 50) + 0.1 if epoch < 300 else float("nan")
            run.log(epoch=epoch, train_loss=loss)
            time.sleep(0.005)
            if run.should_stop:
                break
    print("stopped at", epoch, run.stop_reason.findings.code.value)
    """
)
FAILED = textwrap.dedent(
    """
    try:
        with dfx.track("fails-in-a-kernel", analysis_mode="off") as run:
            for epoch in range(200):
                run.log(epoch=epoch, train_loss=1 / (epoch + 1))
                time.sleep(0.005)
            raise RuntimeError("the data loader broke")
    except RuntimeError as error:
        print("raised:", error)
    """
)
LIGHTNING = textwrap.dedent(
    """
    import lightning.pytorch as pl
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    class Model(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(4, 3)

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss)
            time.sleep(0.02)  # ~1.5 s of training: the live figure shows before the end
            return loss

        def validation_step(self, batch, batch_idx):
            x, y = batch
            self.log("val_loss", torch.nn.functional.cross_entropy(self.net(x), y))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    def fit(callback):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(256, 4, generator=g)
        y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
        trainer = pl.Trainer(
            max_epochs=8, callbacks=[callback], logger=False, log_every_n_steps=1,
            enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False, accelerator="cpu",
        )
        loader = DataLoader(TensorDataset(x, y), batch_size=32)
        trainer.fit(Model(), loader, loader)
        return callback

    live = fit(dfx.DeepFixCallback("live-in-a-kernel"))
    quiet = fit(dfx.DeepFixCallback("quiet-in-a-kernel", live=False))
    print("analysed", live.result.run_id, quiet.result.run_id)
    """
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A python3 kernel of its own DeepFix home, shared by this module's cells."""
    with started_kernel(tmp_path_factory.mktemp("kernel-home")) as client:
        yield client


def outputs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notebook outputs the cell leaves, as a frontend keeps them: each display's data
    replaced by that of the last update for its display id."""
    kept: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for message in messages:
        content = message["content"]
        display_id = content.get("transient", {}).get("display_id")
        if message["msg_type"] == "display_data":
            output = {"data": content["data"], "display_id": display_id}
            kept.append(output)
            if display_id:
                by_id[display_id] = output
        elif message["msg_type"] == "update_display_data":
            by_id[display_id]["data"] = content["data"]
    return kept


def printed(messages: list[dict[str, Any]]) -> str:
    return "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")


@pytest.mark.slow
def test_live_view_in_a_kernel_ends_as_static_html(kernel: Any) -> None:
    messages = run_cell(kernel, STOPPED)
    kinds = [m["msg_type"] for m in messages]
    shown = [m["content"] for m in messages if m["msg_type"] == "display_data"]
    updates = [m["content"] for m in messages if m["msg_type"] == "update_display_data"]
    frames = [c for c in shown + updates if PLOTLY in c["data"]]
    assert frames, kinds
    (curves_id,) = {c["transient"]["display_id"] for c in frames}  # one output, updated in place
    # ~2 s of training: the first frame after 0.5 s, at most 2 per second
    assert 1 <= len(frames) <= 6
    trace_names = {t.get("name") for t in frames[-1]["data"][PLOTLY]["data"]}
    assert "train_loss" in trace_names
    alerts = [
        c for c in shown + updates if "deepfix-early-warnings" in c["data"].get("text/html", "")
    ]
    assert alerts and "nan_loss" in alerts[-1]["data"]["text/html"]
    assert "stopped at 300 nan_loss" in printed(messages)
    assert "early warning" not in printed(messages)  # said in the view, not on stderr

    (end,) = [o["data"] for o in outputs(messages) if o["display_id"] == curves_id]
    assert WIDGET not in end and PLOTLY not in end  # what a saved notebook keeps
    assert 'data-deepfix-view="curves"' in end["text/html"] and "<svg" in end["text/html"]
    assert "<script" not in end["text/html"].lower()
    assert "nan_loss" in end["text/html"]  # the warning's range stays shaded
    assert end["text/plain"].startswith(
        "DeepFix training of in-a-kernel: Training stopped early (nan_loss)"
    )


@pytest.mark.slow
def test_a_failing_block_leaves_static_curves_too(kernel: Any) -> None:
    messages = run_cell(kernel, STOPPED.split("\nwith")[0] + "\n" + FAILED)
    assert "raised: the data loader broke" in printed(messages)
    (end,) = [o["data"] for o in outputs(messages)]
    assert WIDGET not in end and PLOTLY not in end
    assert "<svg" in end["text/html"]
    assert "Training failed (RuntimeError); step 199" in end["text/plain"]


@pytest.mark.slow
def test_lightning_callback_shows_the_analysis_in_place_of_the_live_view(kernel: Any) -> None:
    pytest.importorskip("lightning")
    messages = run_cell(kernel, STOPPED.split("\nwith")[0] + "\n" + LIGHTNING)
    run_ids = printed(messages).split("analysed ")[-1].split()
    analyses = [o for o in outputs(messages) if DEEPFIX in o["data"]]
    assert [o["data"][DEEPFIX]["result"]["run_id"] for o in analyses] == run_ids
    live, quiet = analyses
    # live: the live figure's output became the analysis (one output for the run) ...
    assert live["display_id"] is not None
    frames = [
        m
        for m in messages
        if m["content"].get("transient", {}).get("display_id") == live["display_id"]
    ]
    assert any(PLOTLY in m["content"]["data"] for m in frames)
    # ... quiet (live=False): no live figure, the analysis as a display of its own
    assert quiet["display_id"] is None
    for output in analyses:
        data = output["data"]
        assert list(data) == [DEEPFIX, "text/html", "text/plain"]
        assert data[DEEPFIX]["curves"]["series"]  # the renderer draws the run's curves
    assert not [o for o in outputs(messages) if WIDGET in o["data"] or PLOTLY in o["data"]]
