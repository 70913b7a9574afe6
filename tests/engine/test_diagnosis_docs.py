"""docs/diagnosis.md is generated from the declared rules and thresholds, and is current."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

from deepfix_notebook.engine import _advice, _curves, _facts, training
from deepfix_notebook.engine._thresholds import rule_docs, threshold, thresholds
from deepfix_notebook.engine.docs import REGENERATE, render
from deepfix_notebook.engine.training import BOOSTING_RULES, RULES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "diagnosis.md"
TRAINING_MODULES = [
    importlib.import_module(f"{training.__name__}.{info.name}")
    for info in pkgutil.iter_modules(training.__path__)
]
FAMILIES = {m.FAMILY for m in TRAINING_MODULES if isinstance(getattr(m, "FAMILY", None), str)}


def test_diagnosis_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), f"docs/diagnosis.md is stale: {REGENERATE}"


def test_check_fails_on_a_stale_file_and_passes_once_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location(
        "diagnosis_docs", ROOT / "scripts" / "diagnosis_docs.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    main = script.main
    path = tmp_path / "diagnosis.md"
    path.write_text("# hand-edited\n", encoding="utf-8")
    assert main(["--check", "--path", str(path)]) == 1
    assert "is stale" in capsys.readouterr().err
    assert main(["--path", str(path)]) == 0
    assert main(["--check", "--path", str(path)]) == 0


def test_a_family_without_a_place_in_the_template_is_an_error() -> None:
    with pytest.raises(ValueError, match="without a <!-- family: NAME --> block"):
        render("# no blocks\n")


def test_every_threshold_has_a_unit_a_source_and_a_doc() -> None:
    assert len(thresholds()) >= 50
    for limit in thresholds():
        assert limit.unit.strip() and limit.source.strip() and limit.doc.strip(), limit.name
        assert limit.family.strip(), limit.name


@pytest.mark.parametrize(
    "module", [*TRAINING_MODULES, _advice, _curves, _facts], ids=lambda m: m.__name__
)
def test_every_numeric_constant_is_declared(module: ModuleType) -> None:
    for name, value in vars(module).items():
        if not name.isupper():
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            assert threshold(name.lower()).value == value, name
        elif isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
            for key, item in value.items():
                assert threshold(f"{name.lower()}_{key}").value == item, f"{name}[{key!r}]"


def test_every_training_rule_is_documented_in_its_family() -> None:
    assert {"divergence", "gradients", "stability", "convergence", "optimisation",
            "generalisation", "leakage", "stopping", "boosting"} == FAMILIES  # fmt: skip
    networks = FAMILIES - {"boosting"}
    documented = {row.code for row in rule_docs() if row.family in networks}
    assert documented == {rule.__name__ for rule in RULES}
    boosted = {row.code for row in rule_docs("boosting")}
    assert boosted == {r.__name__ for r in BOOSTING_RULES if r.__module__.endswith(".boosting")}
    for module in TRAINING_MODULES:
        for row in rule_docs(getattr(module, "FAMILY", "")):
            assert callable(getattr(module, row.code)), f"{row.code} is documented elsewhere"


def test_rules_run_in_their_fixed_order() -> None:
    assert [rule.__name__ for rule in RULES] == [
        "nan_loss",
        "exploding_loss",
        "exploding_gradients",
        "vanishing_gradients",
        "loss_not_decreasing",
        "learning_rate_too_high",
        "learning_rate_too_low",
        "unstable_training",
        "overfitting",
        "underfitting",
        "suspicious_validation",
        "overtraining",
        "plateau",
        "slow_convergence",
        "insufficient_training",
    ]
