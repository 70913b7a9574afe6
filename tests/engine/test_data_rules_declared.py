"""The dataset, deepchecks and cross-artifact rules declare every threshold and document every
rule in their family of `docs/diagnosis.md`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

from deepfix_notebook.engine import cross_artifact, dataset, deepchecks
from deepfix_notebook.engine._thresholds import rule_docs, threshold


def modules(package: ModuleType) -> list[ModuleType]:
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


FAMILIES = [
    *((m, "dataset") for m in modules(dataset)),
    *((m, "deepchecks") for m in modules(deepchecks)),
    (cross_artifact, "cross_artifact"),
]


@pytest.mark.parametrize(("module", "family"), FAMILIES, ids=lambda m: getattr(m, "__name__", m))
def test_every_numeric_constant_is_declared_in_its_family(module: ModuleType, family: str) -> None:
    source = inspect.getsource(module)
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, int | float) and not isinstance(value, bool):
            declared = threshold(name.lower())
            assert declared.value == value, name
            if f"\n{name} = " in source:  # defined here, not imported
                assert declared.family == family, name


def test_every_dataset_rule_is_documented_in_rule_order() -> None:
    documented = [row.code for row in rule_docs("dataset")]
    assert list(dict.fromkeys(documented)) == [rule.__name__ for rule in dataset.RULES]


def test_every_judged_deepchecks_code_is_documented() -> None:
    judged = {kind.code.value for kind in deepchecks.KINDS.values() if kind.judge and kind.code}
    documented = {row.code for row in rule_docs("deepchecks")}
    assert judged <= documented
    assert rule_docs("deepchecks")[-1].condition.startswith("any check: a FAIL condition")


def test_each_cross_artifact_link_documents_its_row() -> None:
    rows = rule_docs("cross_artifact")
    assert [(r.code, r.condition) for r in rows] == [
        (link.cause.value, link.found_together) for link in cross_artifact.LINKS
    ]
    assert rows[0].condition == "small_dataset + overfitting/overtraining"
    assert rows[2].condition == (
        "learning_rate_too_high + nan_loss/exploding_loss/exploding_gradients, "
        "no grad_clip in params"
    )
    assert rows[-1].condition == "unstable_training with batch_size < 16"
