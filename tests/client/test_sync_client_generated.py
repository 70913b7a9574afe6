"""The sync client is generated from the async one (scripts/generate_sync_client.py): in step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_sync_client_is_what_the_async_one_generates() -> None:
    pytest.importorskip("unasync")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_sync_client.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
