"""Write (or, with --check, verify) docs/diagnosis.md from the engine's declared rules.

python scripts/diagnosis_docs.py            # regenerate
python scripts/diagnosis_docs.py --check    # exit 1 when the file is stale
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from pathlib import Path

from deepfix_notebook.engine.docs import REGENERATE, render

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "docs" / "diagnosis.md"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description="Generate docs/diagnosis.md.")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--path", type=Path, default=DEFAULT_PATH, help="the file to write")
    args = parser.parse_args(argv)
    wanted = render()
    if not args.check:
        args.path.write_text(wanted, encoding="utf-8")
        return 0
    current = args.path.read_text(encoding="utf-8") if args.path.exists() else ""
    if current == wanted:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(), wanted.splitlines(), str(args.path), "generated", lineterm="", n=1
    )
    print(
        f"{args.path} is stale: it differs from what the declared rules and thresholds generate. "
        f"Run `{REGENERATE}` and commit the result.",
        *list(diff)[:40],
        sep="\n",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
