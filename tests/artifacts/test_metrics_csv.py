"""metrics.csv: shapes, normalisation, and every bad input of the contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deepfix_notebook.artifacts import ArtifactError, load_directory, read_metrics_csv
from deepfix_notebook.artifacts._rows import check_training_rules
from deepfix_notebook.contract import ErrorCode


def write_csv(tmp_path: Path, text: str | bytes, name: str = "metrics.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def read_error(path: Path) -> ArtifactError:
    with pytest.raises(ArtifactError) as info:
        table, _ = read_metrics_csv(path)
        check_training_rules(table, path.name)
    return info.value


def test_wide_keras_names_are_normalised_and_originals_kept(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "step,epoch,loss,accuracy,val_loss,val_accuracy,lr\n"
        "0,0,1.0,0.5,1.1,0.4,0.01\n1,1,0.8,0.6,0.9,0.5,0.01\n2,2,0.6,0.7,0.8,0.6,0.001\n",
    )
    table, warnings = read_metrics_csv(path)
    assert warnings == []
    assert table.names == [
        "train_loss",
        "val_loss",
        "train_accuracy",
        "val_accuracy",
        "learning_rate",
    ]
    assert table.display_name("train_loss") == "loss"
    assert table.display_name("learning_rate") == "lr"
    assert table.step.tolist() == [0, 1, 2]
    assert table.epoch is not None and table.epoch.tolist() == [0.0, 1.0, 2.0]
    values = table.series("val_accuracy")[2]
    assert values.tolist() == [0.4, 0.5, 0.6]


def test_validation_every_k_steps_is_sparse_not_nan(tmp_path: Path) -> None:
    rows = ["step,epoch,train_loss,val_loss"]
    rows += [f"{s},{s // 10},{1 / (s + 1)},{'' if s % 10 else 0.5}" for s in range(30)]
    table, _ = read_metrics_csv(write_csv(tmp_path, "\n".join(rows) + "\n"))
    steps, epochs, _ = table.series("val_loss")
    assert steps.tolist() == [0, 10, 20]
    assert epochs is not None and epochs.tolist() == [0.0, 1.0, 2.0]
    assert len(table.metrics["train_loss"]) == 30
    assert np.isnan(table.dense("val_loss")).sum() == 27


def test_lightning_rows_sharing_a_step_merge_without_warning(tmp_path: Path) -> None:
    text = (
        "epoch,step,train_loss_step,val_loss,val_acc,train_loss_epoch\n"
        "0,49,0.9,,,\n0,99,0.7,,,\n0,99,,0.8,0.6,\n0,99,,,,0.8\n1,149,0.5,,,\n1,199,0.4,,,\n"
        "1,199,,0.6,0.7,\n1,199,,,,0.45\n"
    )
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert warnings == []
    assert table.step.tolist() == [49, 99, 149, 199]
    assert table.metrics["train_loss"].source_name == "train_loss_step"  # logged most often
    assert "train_loss_epoch" in table.names
    assert table.series("val_accuracy")[2].tolist() == [0.6, 0.7]
    assert table.notes and "train_loss_epoch" in table.notes[0]


def test_long_format_pivots_like_mlflow_history(tmp_path: Path) -> None:
    text = "key,value,step,timestamp\n" + "".join(
        f"loss,{1 / (s + 1)},{s},{1700000000 + s}\nval_loss,{2 / (s + 1)},{s},1\n" for s in range(5)
    )
    text += "lr-Adam,0.001,0,1\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert table.format == "long"
    assert table.step.tolist() == [0, 1, 2, 3, 4]
    assert table.series("train_loss")[2][-1] == pytest.approx(0.2)
    assert table.series("learning_rate")[0].tolist() == [0]
    assert warnings == []


def test_long_format_repeated_key_step_keeps_last(tmp_path: Path) -> None:
    text = "key,value,step\nloss,3,0\nloss,2,1\nloss,1,2\nloss,9,1\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert table.series("train_loss")[2].tolist() == [3, 9, 1]
    assert any("repeated" in w for w in warnings)


def test_keras_csvlogger_without_step_uses_epoch(tmp_path: Path) -> None:
    text = "epoch,accuracy,loss\n0,0.5,1.0\n1,0.6,0.8\n2,0.7,0.6\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert table.step.tolist() == [0, 1, 2]
    assert any("epoch column is used as the step" in w for w in warnings)


def test_empty_file(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, ""))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert "empty" in error.message


def test_header_only(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,epoch,train_loss\n"))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert "no rows" in error.message


def test_two_rows_are_too_few(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,train_loss\n0,1.0\n1,0.9\n"))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.field == "train_loss"
    assert "Only 2 row(s)" in error.message


def test_no_train_loss_names_what_was_found(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,val_loss\n0,1\n1,1\n2,1\n"))
    assert "No train-loss column" in error.message and "val_loss" in error.message


def test_non_numeric_cell_in_a_metric_names_row_and_value(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,train_loss\n0,1.0\n1,oops\n2,0.5\n"))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.field == "train_loss"
    assert error.details["row"] == 2 and error.details["value"] == "oops"


def test_unknown_text_column_is_dropped_with_warning(tmp_path: Path) -> None:
    text = "step,train_loss,note,my_metric\n0,1.0,start,5\n1,0.9,x,6\n2,0.8,end,7\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert "note" not in table.names and "my_metric" in table.names
    assert any("'note' is not numeric" in w for w in warnings)


def test_step_going_backwards_is_invalid(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,train_loss\n0,1\n5,0.9\n3,0.8\n6,0.7\n"))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.field == "step" and error.details["row"] == 3
    assert "from 5 to 3" in error.message


@pytest.mark.parametrize("bad", ["-1", "1.5", "", "inf"])
def test_step_must_be_a_whole_number(tmp_path: Path, bad: str) -> None:
    error = read_error(write_csv(tmp_path, f"step,train_loss\n0,1\n{bad},0.9\n2,0.8\n"))
    assert error.field == "step" and error.details["row"] == 2


def test_negative_epoch_is_invalid(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,epoch,train_loss\n0,0,1\n1,-1,0.9\n2,1,0.8\n"))
    assert error.field == "epoch"


def test_duplicate_steps_keep_last_value_with_warning(tmp_path: Path) -> None:
    text = "step,train_loss\n0,1.0\n1,0.9\n1,0.85\n2,0.8\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    assert table.step.tolist() == [0, 1, 2]
    assert table.series("train_loss")[2].tolist() == [1.0, 0.85, 0.8]
    assert any("logged twice" in w for w in warnings)


def test_nan_and_inf_are_data_not_errors(tmp_path: Path) -> None:
    text = "step,train_loss,val_loss\n0,1.0,1.0\n1,inf,\n2,nan,NaN\n3,-Infinity,1\n"
    table, warnings = read_metrics_csv(write_csv(tmp_path, text))
    loss = table.series("train_loss")[2]
    assert loss[1] == np.inf and np.isnan(loss[2]) and loss[3] == -np.inf
    steps, _, val = table.series("val_loss")
    assert steps.tolist() == [0, 2, 3] and np.isnan(val[1])
    assert warnings == []


def test_negative_loss_is_a_warning_not_a_rejection(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "training_artifacts").mkdir(parents=True)
    (run / "training_artifacts" / "metrics.csv").write_text(
        "step,train_loss\n0,-0.5\n1,-0.6\n2,-0.7\n"
    )
    bundle = load_directory(run)
    assert bundle.metrics is not None
    assert any("negative" in w for w in bundle.warnings)


def test_binary_garbage(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, bytes(range(256)) * 64))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert "binary" in error.message


def test_not_utf8(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,train_lo\xdfss\n0,1\n".encode("latin-1")))
    assert "UTF-8" in error.message


def test_duplicate_header_names(tmp_path: Path) -> None:
    error = read_error(write_csv(tmp_path, "step,loss,loss\n0,1,1\n1,1,1\n2,1,1\n"))
    assert error.field == "header"


def test_utf8_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    text = "\ufeffstep,loss\r\n0,1\r\n1,0.5\r\n2,0.25\r\n"
    table, _ = read_metrics_csv(write_csv(tmp_path, text))
    assert table.series("train_loss")[2].tolist() == [1, 0.5, 0.25]


@pytest.mark.parametrize(
    ("text", "row", "shown"),
    [
        ("step,epoch,train_loss\n0,0,1.0\n1,1,0.9\n1e30,2,0.8\n3,3,0.7\n", 3, "1e+30"),
        ("step,train_loss\n0,1.0\n1,0.9\n2,0.8\n9223372036854775808,0.7\n", 4, "9.22"),
        ("key,value,step\ntrain_loss,1.0,0\ntrain_loss,0.9,1e30\ntrain_loss,0.8,2\n", 2, "1e+30"),
    ],
)
def test_a_step_beyond_int64_is_reported_as_given_never_wrapped(
    tmp_path: Path, text: str, row: int, shown: str
) -> None:
    error = read_error(write_csv(tmp_path, text))
    assert error.code is ErrorCode.ARTIFACT_INVALID and error.field == "step"
    assert "-9223372036854775808" not in error.message
    assert f"row {row} is {shown}" in error.message
    assert "int64" in error.message and "9223372036854775807" in error.message


def test_an_epoch_beyond_int64_is_not_made_the_step(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "epoch,train_loss\n0,1.0\n1,0.9\n1e30,0.8\n")
    table, warnings = read_metrics_csv(path)
    assert table.step.tolist() == [0, 1, 2]
    assert "rows are numbered from 0" in warnings[0]
