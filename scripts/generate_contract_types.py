"""Generate the front end's TypeScript types from the contract's JSON schemas.

    python scripts/generate_contract_types.py          # rewrite widgets/src/contract.gen.ts
    python scripts/generate_contract_types.py --check  # fail when contract.gen.ts is stale

Every model `deepfix_notebook.contract.json_schemas()` exports (what ``deepfix schema`` prints)
becomes one TypeScript type, by json-schema-to-typescript (a pinned devDependency of
labextension/, whose ``npm install`` is the one the wheel build runs). Nothing is fetched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "widgets" / "src" / "contract.gen.ts"
TOOLCHAIN = ROOT / "labextension"
BANNER = (
    "/* Generated from the contract's JSON schemas (`deepfix schema`) by\n"
    " * scripts/generate_contract_types.py: edit the pydantic models, then rerun it. */"
)
# widgets/package.json's prettier settings, so `npm run lint` accepts the file as generated.
STYLE = {"printWidth": 100, "singleQuote": True, "trailingComma": "none", "arrowParens": "avoid"}
# json-schema-to-typescript's Node API: the schema on stdin, the TypeScript on stdout.
_COMPILE_JS = """
const { createRequire } = require('node:module');
const load = createRequire(process.argv[1]);
const { compile } = load('json-schema-to-typescript');
let input = '';
process.stdin.on('data', chunk => (input += chunk));
process.stdin.on('end', async () => {
  const { schema, options } = JSON.parse(input);
  process.stdout.write(await compile(schema, schema.title, options));
});
"""


class GenerationError(RuntimeError):
    """The types could not be generated (Node.js or the toolchain is missing, or it failed)."""


def contract_schema() -> dict[str, Any]:
    """One schema holding every exported model under ``definitions``; its root is their union.

    Pydantic's serialisation schemas list a field with a default as optional, but
    ``model_dump`` always writes it: every property is required here, as on the wire.
    """
    from deepfix_notebook.contract import json_schemas

    definitions: dict[str, Any] = {}
    for name, schema in json_schemas().items():
        own = dict(schema)
        for inner, definition in own.pop("$defs", {}).items():
            if definitions.setdefault(inner, definition) != definition:
                raise GenerationError(f"two different schemas are named {inner!r}")
        definitions[name] = own
    for definition in definitions.values():
        if definition.get("type") == "object" and "properties" in definition:
            definition["required"] = list(definition["properties"])
        for field in definition.get("properties", {}).values():
            _for_typescript(field)
    text = json.dumps(definitions).replace('"#/$defs/', '"#/definitions/')
    names = list(json_schemas())
    return {
        "title": "ContractModel",
        "description": "Any model of the DeepFix contract (CONTRACT.md), as serialised to JSON.",
        "anyOf": [{"$ref": f"#/definitions/{name}"} for name in names],
        "definitions": json.loads(text),
    }


def _for_typescript(node: Any) -> None:
    """Fit a field's schema to json-schema-to-typescript, in place: no ``title`` (which would
    name a type alias per field), and tuples as draft-07 ``items`` lists (it ignores
    ``prefixItems``)."""
    if isinstance(node, list):
        for item in node:
            _for_typescript(item)
        return
    if not isinstance(node, dict):
        return
    node.pop("title", None)
    if "prefixItems" in node:
        node["items"] = node.pop("prefixItems")
    for value in node.values():
        _for_typescript(value)


def generate() -> str:
    """The text contract.gen.ts should have."""
    node = shutil.which("node")
    package = TOOLCHAIN / "node_modules" / "json-schema-to-typescript"
    if node is None or not package.is_dir():
        raise GenerationError(
            "needs Node.js and labextension/node_modules: run `npm ci` in labextension/"
        )
    options = {
        "bannerComment": BANNER,
        "additionalProperties": False,  # the contract ignores unknown fields; types list known ones
        "unreachableDefinitions": True,
        "style": STYLE,
    }
    done = subprocess.run(
        [node, "-e", _COMPILE_JS, str(TOOLCHAIN / "package.json")],
        input=json.dumps({"schema": contract_schema(), "options": options}),
        capture_output=True,
        text=True,
        cwd=TOOLCHAIN,
    )
    if done.returncode != 0:
        raise GenerationError(f"json-schema-to-typescript failed:\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    try:
        text = generate()
    except GenerationError as error:
        print(f"generate_contract_types: {error}", file=sys.stderr)
        return 2
    if args.check:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            stale = TARGET.relative_to(ROOT)
            print(f"{stale} is stale: run python scripts/generate_contract_types.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
