"""params.yaml, dataset metadata, deepchecks results and YAML safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepfix_notebook.artifacts import ArtifactError, load_directory
from deepfix_notebook.contract import ErrorCode

METRICS = "step,epoch,loss,val_loss\n0,0,1.0,1.1\n1,1,0.8,0.9\n2,2,0.6,0.8\n"


def make_run(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "run"
    for name, text in {"training_artifacts/metrics.csv": METRICS, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def load_error(root: Path) -> ArtifactError:
    with pytest.raises(ArtifactError) as info:
        load_directory(root)
    return info.value


def test_params_nested_and_string_values_are_coerced(tmp_path: Path) -> None:
    params = (
        "model:\n  name: resnet18\noptimizer:\n  _target_: torch.optim.AdamW\n  lr: '3e-4'\n"
        "  weight_decay: '0.01'\ntrainer:\n  max_epochs: '40'\nbatch_size: '64'\n"
        "dropout: 0.1\naugmentation: true\nseed: 7\n"
    )
    bundle = load_directory(make_run(tmp_path, {"training_artifacts/params.yaml": params}))
    p = bundle.params
    assert p is not None
    assert p.model_name == "resnet18" and p.optimizer == "AdamW"
    assert p.learning_rate == pytest.approx(3e-4) and isinstance(p.learning_rate, float)
    assert p.batch_size == 64 and p.num_epochs == 40 and p.weight_decay == 0.01
    assert p.dropout_rate == 0.1 and p.augmentation is True
    assert p.sources["learning_rate"] == "optimizer.lr"
    assert p.raw["seed"] == 7


def test_params_aliases_flat(tmp_path: Path) -> None:
    params = (
        "architecture: vgg\nlr: 0.1\nepochs: 5\nmax_grad_norm: 1.0\nlr_scheduler_type: cosine\n"
    )
    p = load_directory(make_run(tmp_path, {"training_artifacts/params.yaml": params})).params
    assert p is not None
    assert (p.model_name, p.learning_rate, p.num_epochs, p.grad_clip, p.scheduler) == (
        "vgg",
        0.1,
        5,
        1.0,
        "cosine",
    )


@pytest.mark.parametrize("lr", ["0", "-0.1", "fast", "[0.1, 0.2]"])
def test_learning_rate_must_be_positive(tmp_path: Path, lr: str) -> None:
    error = load_error(make_run(tmp_path, {"training_artifacts/params.yaml": f"lr: {lr}\n"}))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert error.field == "lr" and "learning_rate" in error.message


def test_bad_optional_params_warn(tmp_path: Path) -> None:
    params = "batch_size: -3\ndropout: 2\noptimizer: 5\n"
    bundle = load_directory(make_run(tmp_path, {"training_artifacts/params.yaml": params}))
    assert bundle.params is not None and bundle.params.batch_size is None
    assert sum("ignored" in w for w in bundle.warnings) == 3


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_yaml_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    error = load_error(make_run(tmp_path, {"training_artifacts/params.yaml": text}))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert "mapping" in error.message and error.file == "training_artifacts/params.yaml"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = load_error(make_run(tmp_path, {"training_artifacts/params.yaml": "a: 1\nb: [1,\n"}))
    assert "line" in error.message


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    for level in "bcdefghij":
        alias = "*" + chr(ord(level) - 1)
        bomb += f"{level}: &{level} [{', '.join([alias] * 10)}]\n"
    error = load_error(make_run(tmp_path, {"training_artifacts/params.yaml": bomb}))
    assert error.code is ErrorCode.ARTIFACT_INVALID
    assert "aliases" in error.message


def test_yaml_python_tags_are_refused(tmp_path: Path) -> None:
    evil = "lr: !!python/object/apply:os.system ['echo pwned']\n"
    error = load_error(make_run(tmp_path, {"training_artifacts/params.yaml": evil}))
    assert error.code is ErrorCode.ARTIFACT_INVALID


def test_yaml_binary_garbage(tmp_path: Path) -> None:
    error = load_error(make_run(tmp_path, {"dataset/metadata.yaml": bytes(range(256))}))
    assert error.code is ErrorCode.ARTIFACT_INVALID and error.file == "dataset/metadata.yaml"


def test_dataset_metadata_derives_imbalance(tmp_path: Path) -> None:
    meta = (
        "dataset_name: pets\nnum_train_samples: 1100\nnum_classes: 3\n"
        "class_names: [cat, dog, fish]\nclass_counts: [800, 200, 100]\nimage_size: [64, 64]\n"
    )
    stats = '{"train_mean": [0.5, 0.4, 0.3], "train_std": [0.2, 0.2, 0.2]}'
    bundle = load_directory(
        make_run(tmp_path, {"dataset/metadata.yaml": meta, "dataset/statistics.json": stats})
    )
    d = bundle.dataset
    assert d is not None
    assert d.class_counts == {"cat": 800, "dog": 200, "fish": 100}
    assert d.imbalance_ratio == pytest.approx(8.0)
    assert d.statistics["train_mean"] == [0.5, 0.4, 0.3]
    assert bundle.warnings == [
        "No training_artifacts/params.yaml: advice about learning rate, "
        "batch size and epochs will be less specific."
    ]


def test_dataset_inconsistencies_are_warnings(tmp_path: Path) -> None:
    meta = "dataset_name: x\nnum_train_samples: 50\nnum_classes: 3\nclass_counts: {a: 10, b: 0}\n"
    bundle = load_directory(make_run(tmp_path, {"dataset/metadata.yaml": meta}))
    text = " ".join(bundle.warnings)
    assert "num_classes is 3 but class_counts has 2" in text
    assert "add up to 10" in text and "b have no training samples" in text


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ("dataset_name: x\nnum_classes: 3\n", "num_train_samples"),
        ("dataset_name: x\nnum_train_samples: 0\nnum_classes: 3\n", "num_train_samples"),
        ("dataset_name: x\nnum_train_samples: 10\nnum_classes: 1\n", "num_classes"),
        ("num_train_samples: 10\nnum_classes: 2\n", "dataset_name"),
    ],
)
def test_dataset_rules(tmp_path: Path, meta: str, field: str) -> None:
    error = load_error(make_run(tmp_path, {"dataset/metadata.yaml": meta}))
    assert error.code is ErrorCode.ARTIFACT_INVALID and error.field == field


def test_regression_datasets_need_no_classes(tmp_path: Path) -> None:
    meta = "dataset_name: houses\nnum_train_samples: 500\ntask_type: regression\n"
    bundle = load_directory(make_run(tmp_path, {"dataset/metadata.yaml": meta}))
    assert bundle.dataset is not None and bundle.dataset.is_regression


def test_statistics_must_be_an_object(tmp_path: Path) -> None:
    error = load_error(make_run(tmp_path, {"dataset/statistics.json": "[1, 2]"}))
    assert error.file == "dataset/statistics.json"


def test_deepchecks_results_read_defensively(tmp_path: Path) -> None:
    results = (
        "dataset_name: pets\nresults:\n  train_test_validation:\n"
        '  - header: Label Drift\n    json_result: \'{"value": {"Drift score": 0.31}}\'\n'
        "    display_txt: [line one, line two]\n"
        "  - header: New Labels\n    json_result: {value: {new_labels: {}}}\n"
        "  - not a check\n"
        "  data_integrity: nope\n"
    )
    bundle = load_directory(make_run(tmp_path, {"deepchecks/results.yaml": results}))
    dc = bundle.deepchecks
    assert dc is not None
    checks = dc.checks()
    assert [c.header for _, c in checks] == ["Label Drift", "New Labels"]
    assert checks[0][1].json_result == {"value": {"Drift score": 0.31}}
    assert checks[0][1].display_txt == "line one\nline two"
    assert sum("skipped" in w for w in bundle.warnings) == 2


def test_deepchecks_needs_results(tmp_path: Path) -> None:
    error = load_error(make_run(tmp_path, {"deepchecks/results.yaml": "dataset_name: x\n"}))
    assert error.field == "results"
