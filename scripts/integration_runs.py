"""A small MLflow store of runs logged by each integration's own MLflow support, healthy and faulty.

    python scripts/integration_runs.py DIR [--only xgboost lightgbm ...]

Writes ``DIR/mlflow.db`` (SQLite) and ``DIR/artifacts``: one experiment per integration (xgboost
and LightGBM autolog, scikit-learn autolog, Lightning's MLFlowLogger, Keras 3 autolog on the torch
backend, the Hugging Face Trainer's MLflow callback with a tiny randomly initialised model). Every
run is tagged with what a diagnosis should say: ``deepfix.expect`` (codes at medium or high, all
required), ``deepfix.expect_any`` (one of them) and ``deepfix.forbid``. CPU only, fixed seeds, no
downloads; each training takes seconds. DeepFix's own logging is never used: the point is to read
runs as the integrations log them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SEED = 0
HEALTHY_FORBID = (
    "nan_loss,exploding_loss,exploding_gradients,loss_not_decreasing,overfitting,"
    "unstable_training,learning_rate_too_high,learning_rate_too_low"
)


def classification(n: int = 900, noise: float = 1.0) -> tuple[np.ndarray, ...]:
    """A 2-class problem with 8 features, 3 informative, label noise from ``noise``."""
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(n, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] - x[:, 2] + noise * rng.normal(size=n) > 0).astype("int64")
    cut = int(n * 2 / 3)
    return x[:cut], y[:cut], x[cut:], y[cut:]


@contextmanager
def labelled(
    name: str, *, expect: str = "", expect_any: str = "", forbid: str = ""
) -> Iterator[None]:
    import mlflow

    with mlflow.start_run(run_name=name):
        mlflow.set_tags(
            {"deepfix.expect": expect, "deepfix.expect_any": expect_any, "deepfix.forbid": forbid}
        )
        yield


def xgboost_runs() -> None:
    import mlflow
    import xgboost as xgb

    mlflow.xgboost.autolog(log_models=False, log_datasets=False, silent=True)
    xt, yt, xv, yv = classification()
    with labelled("xgb-early-stopped", forbid="overfitting,overtraining,learning_rate_too_high"):
        model = xgb.XGBClassifier(
            n_estimators=400, learning_rate=0.05, max_depth=3, early_stopping_rounds=20
        )
        model.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)], verbose=False)
    with labelled("xgb-eta-too-high", expect="overfitting,learning_rate_too_high"):
        model = xgb.XGBClassifier(n_estimators=200, learning_rate=0.5, max_depth=6)
        model.fit(xt, yt, eval_set=[(xt, yt), (xv, yv)], verbose=False)
    mlflow.xgboost.autolog(disable=True)


def lightgbm_runs() -> None:
    import lightgbm as lgb
    import mlflow

    mlflow.lightgbm.autolog(log_models=False, log_datasets=False, silent=True)
    xt, yt, xv, yv = classification()
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 7, "verbose": -1}
    with labelled("lgb-early-stopped", forbid="overfitting,overtraining,learning_rate_too_high"):
        lgb.train(
            params,
            lgb.Dataset(xt, yt),
            1000,
            valid_sets=[lgb.Dataset(xv, yv)],
            valid_names=["valid"],
            callbacks=[lgb.early_stopping(20, verbose=False)],
        )
    with labelled("lgb-too-few-rounds", expect_any="insufficient_training,learning_rate_too_low"):
        slow = {**params, "learning_rate": 0.01}
        lgb.train(slow, lgb.Dataset(xt, yt), 40, valid_sets=[lgb.Dataset(xv, yv)])
    mlflow.lightgbm.autolog(disable=True)


def sklearn_runs() -> None:
    import mlflow
    from sklearn.neural_network import MLPClassifier

    mlflow.sklearn.autolog(log_models=False, log_datasets=False, silent=True)
    xt, yt, _, _ = classification()
    with labelled("sklearn-mlp"):  # autolog logs final scores only: nothing to judge over time
        MLPClassifier(hidden_layer_sizes=(16,), max_iter=200, random_state=SEED).fit(xt, yt)
    mlflow.sklearn.autolog(disable=True)


def lightning_runs(uri: str) -> None:
    import lightning as L
    import torch
    from lightning.pytorch.loggers import MLFlowLogger
    from torch.utils.data import DataLoader, TensorDataset

    xt, yt, xv, yv = classification()

    class Net(L.LightningModule):
        def __init__(self, lr: float, optimizer: str) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2)
            )

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            x, y = batch
            loss = torch.nn.functional.cross_entropy(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: list[torch.Tensor], _: int) -> None:
            x, y = batch
            logits = self.net(x)
            self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
            self.log("val_acc", (logits.argmax(1) == y).float().mean())

        def configure_optimizers(self) -> torch.optim.Optimizer:
            kind = torch.optim.SGD if self.hparams["optimizer"] == "SGD" else torch.optim.Adam
            return kind(self.parameters(), lr=self.hparams["lr"])

    def fit(name: str, lr: float, optimizer: str, tags: dict[str, str]) -> None:
        L.seed_everything(SEED, verbose=False)
        train = DataLoader(TensorDataset(torch.tensor(xt), torch.tensor(yt)), batch_size=32)
        val = DataLoader(TensorDataset(torch.tensor(xv), torch.tensor(yv)), batch_size=256)
        logger = MLFlowLogger(
            experiment_name="lightning", tracking_uri=uri, run_name=name, tags=tags
        )
        trainer = L.Trainer(
            max_epochs=10,
            logger=logger,
            log_every_n_steps=5,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            accelerator="cpu",
        )
        trainer.fit(Net(lr, optimizer), train, val)

    fit("lightning-healthy", 1e-3, "Adam", _tags(forbid=HEALTHY_FORBID))
    fit(
        "lightning-lr-too-high",
        20.0,
        "SGD",
        _tags(expect_any="learning_rate_too_high,exploding_loss,nan_loss,unstable_training"),
    )


def keras_runs() -> None:
    import keras
    import mlflow

    mlflow.keras.autolog(log_models=False, log_datasets=False, silent=True)
    xt, yt, xv, yv = classification(n=300, noise=1.5)

    def model(width: int, lr: float) -> keras.Model:
        keras.utils.set_random_seed(SEED)
        net = keras.Sequential(
            [
                keras.Input((8,)),
                keras.layers.Dense(width, activation="relu"),
                keras.layers.Dense(width, activation="relu"),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )
        net.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return net

    with labelled("keras-healthy", forbid=HEALTHY_FORBID):
        model(16, 1e-3).fit(xt, yt, validation_data=(xv, yv), epochs=20, batch_size=32, verbose=0)
    with labelled("keras-overfit", expect_any="overfitting,overtraining"):
        model(256, 3e-3).fit(xt, yt, validation_data=(xv, yv), epochs=50, batch_size=32, verbose=0)
    mlflow.keras.autolog(disable=True)


def huggingface_runs(out: Path) -> None:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    rng = np.random.default_rng(SEED)
    tokens = rng.integers(5, 60, size=(480, 12))
    labels = (tokens[:, :6] > 32).sum(axis=1) > 3  # depends on the first half of the tokens

    class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
        def __init__(self, rows: slice) -> None:
            self.ids = torch.tensor(tokens[rows])
            self.labels = torch.tensor(labels[rows].astype("int64"))

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
            return {"input_ids": self.ids[i], "labels": self.labels[i]}

    config = BertConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=16,
        num_labels=2,
    )

    def fit(name: str, lr: float, tags: dict[str, str]) -> None:
        torch.manual_seed(SEED)
        args = TrainingArguments(
            output_dir=str(out / name),
            run_name=name,
            learning_rate=lr,
            num_train_epochs=6,
            per_device_train_batch_size=32,
            eval_strategy="epoch",
            logging_steps=4,
            report_to=["mlflow"],
            save_strategy="no",
            use_cpu=True,
            seed=SEED,
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=BertForSequenceClassification(config),
            args=args,
            train_dataset=Tokens(slice(0, 384)),
            eval_dataset=Tokens(slice(384, None)),
        )
        with labelled(name, **tags):  # the callback logs into the active run
            trainer.train()

    fit("hf-healthy", 1e-3, {"forbid": "nan_loss,exploding_loss,learning_rate_too_high"})
    fit("hf-lr-too-high", 3.0, {"expect_any": "learning_rate_too_high,loss_not_decreasing,"
        "exploding_loss,unstable_training,underfitting"})  # fmt: skip


def _tags(*, expect: str = "", expect_any: str = "", forbid: str = "") -> dict[str, str]:
    return {"deepfix.expect": expect, "deepfix.expect_any": expect_any, "deepfix.forbid": forbid}


def build(out: Path, only: list[str] | None = None) -> str:
    """Write the store under ``out``; its tracking URI."""
    import mlflow

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    out.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{(out / 'mlflow.db').resolve()}"
    mlflow.set_tracking_uri(uri)
    os.environ["MLFLOW_TRACKING_URI"] = uri  # the Hugging Face callback reads the environment
    artifacts = (out / "artifacts").resolve().as_uri()
    makers: dict[str, Callable[[], None]] = {
        "xgboost": xgboost_runs,
        "lightgbm": lightgbm_runs,
        "sklearn": sklearn_runs,
        "lightning": lambda: lightning_runs(uri),
        "keras": keras_runs,
        "huggingface": lambda: huggingface_runs(out / "hf"),
    }
    for name, make in makers.items():
        if only and name not in only:
            continue
        if mlflow.get_experiment_by_name(name) is None:
            mlflow.create_experiment(name, artifact_location=f"{artifacts}/{name}")
        mlflow.set_experiment(name)
        os.environ["MLFLOW_EXPERIMENT_NAME"] = name
        make()
    return uri


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory for mlflow.db and artifacts/")
    parser.add_argument("--only", nargs="+", help="integrations to run (default: all)")
    args = parser.parse_args(argv)
    print(build(args.out, args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
