"""`DeepFixCallback` with real Lightning on CPU: tiny models, a few epochs, real MLflow stores."""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from deepfix_notebook import DeepFixCallback  # noqa: E402
from deepfix_notebook.artifacts import list_runs, load_mlflow_run  # noqa: E402
from deepfix_notebook.backends import ServerUnreachableWarning  # noqa: E402
from deepfix_notebook.client import DeepFixConnectionError  # noqa: E402
from deepfix_notebook.training._monitor import NotebookSurface  # noqa: E402
from deepfix_notebook.views import MIME_ANALYSIS  # noqa: E402

PLOTLY = "application/vnd.plotly.v1+json"
pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning:lightning", "ignore::DeprecationWarning", "ignore::FutureWarning"
)


class Classifier(pl.LightningModule):
    """A small MLP; ``nan_from`` turns the loss NaN from that global step, ``fail_at_epoch``
    raises in that epoch."""

    def __init__(
        self, lr: float = 0.01, nan_from: int | None = None, fail_at_epoch: int | None = None
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(16, 3)
        )

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if self.hparams.fail_at_epoch == self.current_epoch:
            raise RuntimeError("the data loader broke")
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        if self.hparams.nan_from is not None and self.global_step >= self.hparams.nan_from:
            loss = loss * float("nan")
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())

    def configure_optimizers(self) -> Any:
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        return {
            "optimizer": optimizer,
            "lr_scheduler": torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5),
        }


class Slow(pl.Callback):
    """Makes each training step last ``seconds`` (so a live view has time to show)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def on_train_batch_end(self, *args: Any) -> None:
        time.sleep(self.seconds)


def data(n: int = 192, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
    return TensorDataset(x, y)


def fit(
    callback: DeepFixCallback,
    tmp_path: Path,
    *,
    model: Classifier | None = None,
    epochs: int = 6,
    logger: Any = False,
    every: int = 2,
    step_time: float = 0.0,
) -> Any:
    """Train ``model`` with ``callback``; each step takes at least ``step_time`` seconds."""
    train, val = data(), data(64, seed=1)
    trainer = pl.Trainer(
        max_epochs=epochs,
        callbacks=[callback, Slow(step_time)],
        logger=logger,
        log_every_n_steps=every,
        default_root_dir=tmp_path,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(
        model or Classifier(),
        DataLoader(train, batch_size=32, shuffle=True),
        DataLoader(val, batch_size=64),
    )
    return trainer


def codes(result: Any) -> set[str]:
    return {a.findings.code.value for _, a in result.findings() if a.findings.code}


# --------------------------------------------------------------------------- saving + sync


def test_sync_run_goes_to_the_default_store_with_params_dataset_and_analysis(
    tmp_path: Path, deepfix_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    callback = DeepFixCallback("lit-sync", experiment="lightning", dataset=data())
    fit(callback, tmp_path)
    assert callback.run_id is not None and callback.result is not None
    assert callback.result.run_id == callback.run_id
    assert (deepfix_env / "mlflow.db").is_file()
    (summary,) = list_runs(experiment="lightning")
    assert summary.status == "FINISHED" and summary.run_name == "lit-sync"

    bundle = load_mlflow_run(callback.run_id)
    assert bundle.files[:2] == ("training_artifacts/metrics.csv", "training_artifacts/params.yaml")
    table = bundle.metrics
    assert table is not None
    # 6 steps per epoch, logged every 2 steps; one validation and one epoch mean per epoch.
    assert table.display_name("train_loss") == "train_loss_step"
    assert table.series("train_loss")[0].tolist() == list(range(2, 37, 2))
    assert table.series("train_loss_epoch")[0].tolist() == [6, 12, 18, 24, 30, 36]
    assert table.series("val_loss")[1].tolist() == [0, 1, 2, 3, 4, 5]  # epochs of the rows
    assert "grad_norm" in table and "val_accuracy" in table
    lr_steps, _, rates = table.series("learning_rate")
    assert rates[0] == pytest.approx(0.01) and rates[-1] == pytest.approx(0.0025)
    assert len(lr_steps) == len(table)
    assert not any("logged twice" in w for w in bundle.warnings)

    params = bundle.params
    assert params is not None
    assert (params.optimizer, params.learning_rate, params.batch_size) == ("Adam", 0.01, 32)
    assert (params.num_epochs, params.scheduler, params.dropout_rate) == (6, "StepLR", 0.1)
    assert params.raw["hparams.lr"] == 0.01 and params.raw["trainer.log_every_n_steps"] == 2

    dataset = bundle.dataset
    assert dataset is not None and dataset.num_train_samples == 192
    assert sum(dataset.class_counts.values()) == 192 and dataset.num_classes == 3
    assert len(dataset.statistics["train_mean"]) == 4
    assert bundle.previous_analysis is not None  # the result was written back
    assert "DeepFix analysis of" in capsys.readouterr().out


@pytest.mark.parametrize("store", ["sqlite", "file"])
def test_mlflow_logger_run_receives_the_artifacts(
    store: str,
    tmp_path: Path,
    deepfix_env: Path,
    make_sqlite_store: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lightning.pytorch.loggers import MLFlowLogger

    if store == "sqlite":
        sqlite = make_sqlite_store("lit")
        uri, experiment = sqlite.uri, sqlite.experiment
    else:  # MLflow 3 refuses file stores unless asked (Lightning's default is ./mlruns)
        monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        uri, experiment = (tmp_path / "mlruns").as_uri(), "lit-file"
    logger = MLFlowLogger(experiment_name=experiment, tracking_uri=uri, run_name="with-logger")
    callback = DeepFixCallback(verbose=False)
    fit(callback, tmp_path, logger=logger)
    assert callback.run_id == logger.run_id
    assert callback.result is not None and callback.result.run_id == logger.run_id
    bundle = load_mlflow_run(logger.run_id, uri)
    assert "training_artifacts/metrics.csv" in bundle.files and bundle.metrics is not None
    assert bundle.params is not None and bundle.params.raw["hparams.lr"] == 0.01
    assert bundle.previous_analysis is not None
    run = logger.experiment.get_run(logger.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["lr"] == "0.01"  # Lightning's own hparams, next to ours
    assert run.data.params["optimizer"] == "Adam"
    assert not (deepfix_env / "mlflow.db").exists()  # nothing went to the default store


# --------------------------------------------------------------------------- analysis modes


def test_async_mode_submits_and_wait_fetches_and_writes_back(tmp_path: Path) -> None:
    callback = DeepFixCallback(analysis_mode="async", verbose=False)
    fit(callback, tmp_path)
    assert callback.request_id is not None and callback.result is None
    result = callback.wait(timeout=60)
    assert result.run_id == callback.run_id and callback.result is result
    assert load_mlflow_run(callback.run_id).previous_analysis is not None


def test_off_mode_only_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    callback = DeepFixCallback(analysis_mode="off")
    fit(callback, tmp_path, epochs=3)
    assert callback.result is None and callback.request_id is None
    bundle = load_mlflow_run(callback.run_id)
    assert bundle.metrics is not None and bundle.previous_analysis is None
    assert f"run saved to MLflow run {callback.run_id}" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="no analysis to wait for"):
        callback.wait()


def test_server_down_fallback_continues_without_analysis(tmp_path: Path, refused_uri: str) -> None:
    callback = DeepFixCallback(server_url=refused_uri, max_retries=0, verbose=False)
    with pytest.warns(ServerUnreachableWarning, match="unreachable"):
        fit(callback, tmp_path, epochs=3)
    assert callback.result is not None and callback.result.status.value == "failed"
    assert "could not be reached" in callback.result.summary
    bundle = load_mlflow_run(callback.run_id)  # saved all the same
    assert bundle.metrics is not None and bundle.previous_analysis is None


def test_server_down_local_mode_analyses_in_process(tmp_path: Path, refused_uri: str) -> None:
    callback = DeepFixCallback(
        server_url=refused_uri, offline_mode="local", max_retries=0, verbose=False
    )
    with pytest.warns(ServerUnreachableWarning):
        fit(callback, tmp_path, epochs=3)
    assert callback.result is not None and callback.result.status.value != "failed"
    assert callback.result.backend == "local (server unreachable)"


def test_server_down_strict_raises_after_saving(tmp_path: Path, refused_uri: str) -> None:
    callback = DeepFixCallback(
        "strict", experiment="strict", server_url=refused_uri, offline_mode="strict", max_retries=0
    )
    with pytest.raises(DeepFixConnectionError):
        fit(callback, tmp_path, epochs=3)
    (summary,) = list_runs(experiment="strict")
    assert summary.status == "FINISHED"  # saved before the analysis failed, not re-saved
    assert load_mlflow_run(summary.run_id).metrics is not None


# --------------------------------------------------------------------------- live monitor


def test_nan_loss_stops_training_with_stop_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stopped = DeepFixCallback(stop_on=("nan_loss",), verbose=False)
    with caplog.at_level(logging.WARNING, logger="deepfix_notebook"):
        trainer = fit(stopped, tmp_path, model=Classifier(nan_from=13), epochs=8, every=1)
    assert trainer.should_stop and trainer.global_step < 8 * 6
    assert trainer.global_step <= 16  # within a few steps of the first NaN
    assert stopped.stop_reason is not None
    assert stopped.stop_reason.findings.code.value == "nan_loss"
    assert "nan_loss" in codes(stopped.result)
    said = [r for r in caplog.records if "nan_loss" in r.getMessage()]
    assert len(said) == 1 and "Stopping training" in said[0].getMessage()

    caplog.clear()
    going_on = DeepFixCallback(verbose=False)  # the same NaN, no stop_on: runs to the end
    with caplog.at_level(logging.WARNING, logger="deepfix_notebook"):
        trainer = fit(going_on, tmp_path, model=Classifier(nan_from=13), epochs=8, every=1)
    assert trainer.global_step == 8 * 6 and going_on.stop_reason is None
    assert [w.findings.code.value for w in going_on.warnings].count("nan_loss") == 1
    # said once, although every later row is NaN again
    assert len([r for r in caplog.records if "nan_loss" in r.getMessage()]) == 1


class Notebook:
    """IPython's ``display`` as a fake: every output and the handles of those with an id."""

    def __init__(self) -> None:
        self.shown: list[dict[str, Any]] = []
        self.outputs: list[list[dict[str, Any]]] = []  # each output's bundles, the last kept

    def __call__(self, bundle: dict[str, Any], **kwargs: Any) -> Any:
        assert kwargs.get("raw") is True
        self.shown.append(bundle)
        self.outputs.append([bundle])
        return self.Handle(self, self.outputs[-1]) if kwargs.get("display_id") else None

    class Handle:
        def __init__(self, notebook: Notebook, bundles: list[dict[str, Any]]) -> None:
            self.notebook, self.bundles = notebook, bundles

        def update(self, bundle: dict[str, Any], **kwargs: Any) -> None:
            assert kwargs.get("raw") is True
            self.notebook.shown.append(bundle)
            self.bundles.append(bundle)


def test_notebook_surface_shows_live_curves_then_the_analysis_in_their_place(
    tmp_path: Path,
) -> None:
    notebook = Notebook()
    callback = DeepFixCallback(stop_on=["nan_loss"])
    callback.surface = NotebookSurface(display=notebook)
    fit(callback, tmp_path, model=Classifier(nan_from=20), epochs=5, every=1, step_time=0.05)
    figures = [b for b in notebook.shown if PLOTLY in b]
    assert figures, "the live curves were never shown"
    names = {trace.get("name") for trace in figures[-1][PLOTLY]["data"]}
    assert "train_loss_step" in names
    alerts = [
        b["text/html"] for b in notebook.shown if "deepfix-early-warnings" in b.get("text/html", "")
    ]
    assert alerts and "nan_loss" in alerts[-1] and "asked to stop" in alerts[-1]
    # Two outputs: the warnings, and the live figure that became the analysis.
    (curves,) = [o for o in notebook.outputs if any(PLOTLY in b for b in o)]
    assert len(notebook.outputs) == 2
    final = curves[-1]
    assert callback.result is not None and final is notebook.shown[-1]
    assert list(final) == [MIME_ANALYSIS, "text/html", "text/plain"]
    assert final[MIME_ANALYSIS]["result"]["run_id"] == callback.result.run_id
    assert final[MIME_ANALYSIS]["curves"]["series"]["train_loss"]["label"] == "train_loss_step"
    assert callback.result.run_id in final["text/plain"]


def test_a_fit_that_raises_in_a_notebook_leaves_static_curves(tmp_path: Path) -> None:
    notebook = Notebook()
    callback = DeepFixCallback("crash-in-a-notebook")
    callback.surface = NotebookSurface(display=notebook)
    with pytest.raises(RuntimeError, match="data loader broke"):
        fit(callback, tmp_path, model=Classifier(fail_at_epoch=2), epochs=4, every=1)
    (curves,) = notebook.outputs  # no warnings; the curves' output, shown or updated at the end
    end = curves[-1]
    assert PLOTLY not in end and MIME_ANALYSIS not in end
    assert 'data-deepfix-view="curves"' in end["text/html"] and "<svg" in end["text/html"]
    assert "Training failed (RuntimeError)" in end["text/plain"]


# --------------------------------------------------------------------------- failures


def test_an_exception_during_fit_saves_what_was_logged(tmp_path: Path) -> None:
    callback = DeepFixCallback("crash", experiment="lit-crash")
    with pytest.raises(RuntimeError, match="data loader broke"):
        fit(callback, tmp_path, model=Classifier(fail_at_epoch=3), epochs=6)
    assert callback.run_id is not None and callback.result is None
    (summary,) = list_runs(experiment="lit-crash")
    assert summary.status == "FAILED"
    table = load_mlflow_run(callback.run_id).metrics
    assert table is not None and table.series("train_loss_epoch")[0].tolist() == [6, 12, 18]


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="analysis_mode must be"):
        DeepFixCallback(analysis_mode="later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stop_on takes early-warning codes"):
        DeepFixCallback(stop_on=("overfitting",))
    with pytest.raises(ValueError, match="not both"):
        DeepFixCallback(server_url="http://x", backend=object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="server_url must be the http"):
        DeepFixCallback(server_url="localhost:8000")
    with pytest.raises(ValueError, match="offline_mode"):
        DeepFixCallback(offline_mode="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="poll_interval"):
        DeepFixCallback(poll_interval=0)
    with pytest.raises(ValueError, match="max_retries"):
        DeepFixCallback(max_retries=-1)


def test_nan_is_still_data_in_the_saved_metrics(tmp_path: Path) -> None:
    callback = DeepFixCallback(analysis_mode="off", verbose=False)
    fit(callback, tmp_path, model=Classifier(nan_from=5), epochs=2, every=1)
    values = load_mlflow_run(callback.run_id).metrics.series("train_loss")[2]  # type: ignore[union-attr]
    assert math.isnan(values[-1]) and not math.isnan(values[0])


def test_a_dataset_that_cannot_be_described_costs_only_its_metadata(tmp_path: Path) -> None:
    callback = DeepFixCallback(analysis_mode="off", verbose=False, dataset=object())
    with pytest.warns(RuntimeWarning, match="without dataset metadata: TypeError"):
        fit(callback, tmp_path, epochs=3)
    bundle = load_mlflow_run(callback.run_id)
    assert bundle.dataset is None and bundle.metrics is not None
