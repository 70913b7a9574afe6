"""The front end's contract types are generated from the contract's JSON schemas
(scripts/generate_contract_types.py): the checked-in widgets/src/contract.gen.ts is in step."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from deepfix_notebook.contract import json_schemas

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "widgets" / "src" / "contract.gen.ts"
TOOL = ROOT / "labextension" / "node_modules" / "json-schema-to-typescript"


def _toolchain() -> None:
    if shutil.which("node") is None or not TOOL.is_dir():
        pytest.skip("needs Node.js and labextension/node_modules (npm ci in labextension/)")


def test_contract_types_are_what_the_schemas_generate() -> None:
    _toolchain()
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_contract_types.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_exported_model_has_a_type() -> None:
    text = GENERATED.read_text(encoding="utf-8")
    declared = set(re.findall(r"^export (?:interface|type) (\w+)", text, flags=re.MULTILINE))
    assert set(json_schemas()) <= declared
    finding = text[text.index("export interface Finding {") :].split("}", 1)[0]
    assert "severity: Severity;" in finding  # vocabularies are their words, not `string`
    assert "step_range: [number, number] | null;" in finding  # tuples stay tuples
