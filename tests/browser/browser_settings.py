"""Settings every browser test shares: paths, timeouts, Chromium's flags, JupyterLab's settings.

A module of its own (not ``conftest``): test modules import it by name, and ``conftest`` is a
different module in each test directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SCREENSHOTS = REPO / "test-output" / "screenshots"
SERVER_START_TIMEOUT_S = 90.0
VIEWPORT = {"width": 1400, "height": 1000}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# JupyterLab user settings for the test server: no news or update checks (no network here, and
# their toast would cover the page) and every cell rendered (no virtual scrolling of the notebook).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
