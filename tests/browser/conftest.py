"""Browser fixtures: a real JupyterLab server and Debian's Chromium driven by Playwright.

``jupyterlab`` starts ``python -m jupyter lab`` on 127.0.0.1 (no token, no password) over a temp
copy of ``examples/``, with every Jupyter and IPython directory in a temp dir, and yields a
``JupyterLabServer`` (its URL, directories, log, and the clean-up tests share). ``browser_page``
is a Playwright page in the Chromium on PATH (``scripts/install-system.sh`` installs it);
Playwright's own browser download (``playwright install``) is never used.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_settings import (
    CHROMIUM_ARGS,
    EXAMPLES,
    LAB_SETTINGS,
    REPO,
    SCREENSHOTS,
    SERVER_START_TIMEOUT_S,
    VIEWPORT,
)
from process_helpers import free_port, stop_process_tree, tail


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives JupyterLab in a real headless Chromium")


def chromium_path() -> str | None:
    """Debian's Chromium on PATH, or None."""
    return shutil.which("chromium")


# --------------------------------------------------------------------------- JupyterLab


class _JupyterLab:
    """A started ``jupyter lab`` subprocess serving a temp copy of ``examples/``."""

    def __init__(self, base: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = base / "root"
        shutil.copytree(
            EXAMPLES,
            self.root,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc"),
        )
        home = base / "home"
        self.dirs = dirs = {
            "JUPYTER_CONFIG_DIR": home / "jupyter-config",
            "JUPYTER_DATA_DIR": home / "jupyter-data",
            "JUPYTER_RUNTIME_DIR": home / "jupyter-runtime",
            "IPYTHONDIR": home / "ipython",
            "DEEPFIX_HOME": home / "deepfix",
        }
        for path in dirs.values():
            path.mkdir(parents=True)
        settings = dirs["JUPYTER_CONFIG_DIR"] / "lab" / "user-settings"
        for name, values in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(values), encoding="utf-8")
        # JUPYTER_PATH is left as it is: JupyterLab still finds the labextensions installed in
        # sys.prefix/share/jupyter (ipywidgets, anywidget, plotly).
        pythonpath = os.environ.get("PYTHONPATH")
        env = {
            **os.environ,
            **{k: str(v) for k, v in dirs.items()},
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # The kernel imports the package under test from this checkout, whatever is installed.
            "PYTHONPATH": os.pathsep.join([str(REPO), *([pythonpath] if pythonpath else [])]),
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        env.pop("JUPYTER_TOKEN", None)
        self.stdout = base / "jupyterlab.out"
        self.stderr = base / "jupyterlab.err"
        command = [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                command, cwd=self.root, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        self._stopped = False

    def _get(self, path: str) -> int:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
            return int(response.status)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {self.process.returncode} before answering "
                    f"/api/status:\n{tail(self.stderr)}"
                )
            with contextlib.suppress(urllib.error.URLError, OSError):
                if self._get("/api/status") == 200 and self._get("/lab") == 200:
                    return
            time.sleep(0.25)
        raise RuntimeError(
            f"jupyter lab did not answer {self.url}/api/status within {timeout:.0f} s:\n"
            f"{tail(self.stderr)}"
        )

    def stop(self) -> None:
        """Terminate the server, wait, kill if needed; then any kernel it left behind."""
        if self._stopped:
            return
        self._stopped = True
        stop_process_tree(self.process, timeout=15)


@dataclass(frozen=True)
class JupyterLabServer:
    url: str
    root: Path
    stderr: Path
    config_dir: Path  # the server's JUPYTER_CONFIG_DIR
    data_dir: Path  # its JUPYTER_DATA_DIR (the notebook signatures that make a notebook trusted)

    def logtail(self, lines: int = 60) -> str:
        return tail(self.stderr, lines)

    def sessions(self) -> list[dict[str, Any]]:
        """The server's kernel sessions (``GET /api/sessions``)."""
        with urllib.request.urlopen(f"{self.url}/api/sessions", timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    @contextlib.contextmanager
    def extension_disabled(self, name: str) -> Iterator[None]:
        """Pages loaded meanwhile run without the labextension ``name``, as after ``jupyter
        labextension disable --level=user`` (the server reads ``labconfig/page_config.json`` on
        every page load); the global installation is left alone."""
        config = self.config_dir / "labconfig" / "page_config.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps({"disabledExtensions": {name: True}}), encoding="utf-8")
        try:
            yield
        finally:
            config.unlink()

    def leave_clean(self, page: Any, paths: list[str]) -> None:
        """Stop the kernels opened for ``paths`` and reset the workspace: the server is shared by
        the session's browser tests, and would otherwise reopen these tabs in theirs."""
        xsrf = next((c["value"] for c in page.context.cookies() if c["name"] == "_xsrf"), "")
        for session in self.sessions():
            if session["path"] in paths:
                page.request.delete(
                    f"{self.url}/api/sessions/{session['id']}", headers={"X-XSRFToken": xsrf}
                )
        page.goto(f"{self.url}/lab?reset", wait_until="domcontentloaded")
        page.locator(".jp-LabShell").wait_for(state="visible", timeout=45_000)
        page.wait_for_timeout(1000)  # the reset workspace is saved after the shell is up


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLabServer]:
    """A JupyterLab server on 127.0.0.1 over a temp copy of ``examples/`` (no token)."""
    server = _JupyterLab(tmp_path_factory.mktemp("jupyterlab"))
    atexit.register(server.stop)  # should the session die before the finaliser runs
    try:
        server.wait_ready(SERVER_START_TIMEOUT_S)
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    try:
        yield JupyterLabServer(
            server.url,
            server.root,
            server.stderr,
            config_dir=server.dirs["JUPYTER_CONFIG_DIR"],
            data_dir=server.dirs["JUPYTER_DATA_DIR"],
        )
    finally:
        server.stop()


# --------------------------------------------------------------------------- Chromium


@dataclass
class BrowserPage:
    """A Playwright page and every error the page reported (console errors, uncaught ones)."""

    page: Any
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browser_page() -> Iterator[BrowserPage]:
    """A 1400x1000 page in headless Debian Chromium; skipped only when Chromium is missing."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("chromium is not installed (run scripts/install-system.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            result = BrowserPage(page)
            page.on(
                "console",
                lambda msg: (
                    result.errors.append(f"console: {msg.text}") if msg.type == "error" else None
                ),
            )
            page.on("pageerror", lambda exc: result.errors.append(f"pageerror: {exc}"))
            yield result
            context.close()
        finally:
            browser.close()
