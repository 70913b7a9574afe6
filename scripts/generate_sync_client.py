"""Generate the synchronous client from the asynchronous one, as httpx's ecosystem does.

    python scripts/generate_sync_client.py          # rewrite deepfix_notebook/client/_sync.py
    python scripts/generate_sync_client.py --check  # fail when _sync.py is stale

`_async.py` is the only client written by hand. unasync drops ``async``/``await`` and renames
the names below; the output is formatted with ruff so it reads like the source.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "deepfix_notebook" / "client" / "_async.py"
TARGET = ROOT / "deepfix_notebook" / "client" / "_sync.py"
RENAMES = {
    "AsyncDeepFixClient": "DeepFixClient",
    "AsyncClient": "Client",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncRetrying": "Retrying",
    "AsyncSleep": "Sleep",
    "asleep": "sleep",
    "anotify": "notify",
    "aclose": "close",
}
HEADER = "# Generated from _async.py by scripts/generate_sync_client.py: edit _async.py instead.\n"


def generate() -> str:
    """The text `_sync.py` should have."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "async" / "client.py"
        source.parent.mkdir()
        source.write_text(SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
        rule = unasync.Rule("/async/", "/sync/", additional_replacements=RENAMES)
        unasync.unasync_files([str(source)], [rule])
        text = HEADER + (Path(tmp) / "sync" / "client.py").read_text(encoding="utf-8")
    formatted = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return formatted.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    text = generate()
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(
                f"{TARGET.relative_to(ROOT)} is stale: run python scripts/generate_sync_client.py"
            )
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
