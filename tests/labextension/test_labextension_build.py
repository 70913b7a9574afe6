"""Packaging of the JupyterLab extension: one version, the wheel's shared data, JupyterLab's view.

The wheel test builds a real wheel (hatch-jupyter-builder runs ``npm install`` and ``npm run
build:prod``) from a copy of the checkout, so it checks what ``pip install .`` ships.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import deepfix_notebook
from deepfix_notebook._version import __version__

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "labextension"
PACKAGE = json.loads((LABEXTENSION / "package.json").read_text(encoding="utf-8"))
NAME = PACKAGE["name"]
# PEP 440 pre-releases spelled for npm, as labextension/scripts/check-version.mjs does.
PRE = {"a": "alpha", "b": "beta", "rc": "rc"}


def npm_version(python_version: str) -> str:
    match = re.fullmatch(r"(\d+\.\d+\.\d+)(?:(a|b|rc)(\d+))?", python_version)
    assert match, f"{python_version} is not X.Y.Z[aN|bN|rcN]"
    release, pre, number = match.groups()
    return f"{release}-{PRE[pre]}.{number}" if pre else release


def test_npm_version_spelling() -> None:
    assert npm_version("1.2.0") == "1.2.0"
    assert npm_version("1.2.0rc1") == "1.2.0-rc.1"
    assert npm_version("0.3.0a2") == "0.3.0-alpha.2"


def test_package_json_and_lock_carry_the_python_version() -> None:
    lock = json.loads((LABEXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    expected = npm_version(__version__)
    assert PACKAGE["version"] == expected
    assert lock["version"] == expected
    assert lock["packages"][""]["version"] == expected


def test_the_build_refuses_a_version_that_differs(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: the JupyterLab extension needs Node.js 20.19+.")
    (tmp_path / "deepfix_notebook").mkdir()
    (tmp_path / "deepfix_notebook" / "_version.py").write_text('__version__ = "9.8.7rc1"\n')
    (tmp_path / "labextension" / "scripts").mkdir(parents=True)
    shutil.copy(LABEXTENSION / "package.json", tmp_path / "labextension")
    script = tmp_path / "labextension" / "scripts" / "check-version.mjs"
    shutil.copy(LABEXTENSION / "scripts" / "check-version.mjs", script)
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"has version {PACKAGE['version']}" in done.stderr
    assert "npm version --no-git-tag-version 9.8.7-rc.1" in done.stderr
    ok = subprocess.run([node, str(LABEXTENSION / "scripts" / "check-version.mjs")], timeout=60)
    assert ok.returncode == 0


def test_labextension_paths_name_the_build_output() -> None:
    [entry] = deepfix_notebook._jupyter_labextension_paths()
    assert entry["dest"] == NAME
    built = Path(deepfix_notebook.__file__).parent / entry["src"]
    assert built.resolve() == (LABEXTENSION / PACKAGE["jupyterlab"]["outputDir"]).resolve()


def test_jupyterlab_lists_the_installed_extension_enabled(tmp_path: Path) -> None:
    """After ``pip install -e .`` (scripts/test.sh) or ``pip install .``, JupyterLab has it."""
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(tmp_path),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),  # no user's disabled list
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    listing = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    # "(python, deepfix-notebook)" follows when pip installed it, not after a develop link.
    line = f"{NAME} v{PACKAGE['version']} enabled OK"
    assert line in listing, (
        f"JupyterLab does not list {line!r}; install the package (`pip install -e .`) or link "
        f"the build (`jupyter labextension develop --overwrite .`).\n{listing}"
    )


def _copy_checkout(target: Path) -> None:
    """The files git would commit (tracked, or new and not ignored); node_modules linked."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "labextension" / "node_modules").symlink_to(LABEXTENSION / "node_modules")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheel_ships_the_prebuilt_extension_as_shared_data(tmp_path: Path) -> None:
    if not (LABEXTENSION / "node_modules").is_dir():
        subprocess.run(["npm", "ci"], cwd=LABEXTENSION, check=True, capture_output=True)
    source = tmp_path / "src"
    _copy_checkout(source)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    [wheel] = tmp_path.glob("deepfix_notebook-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        prefix = f"deepfix_notebook-{__version__}.data/data/share/jupyter/labextensions/{NAME}/"
        shipped = [n.removeprefix(prefix) for n in names if n.startswith(prefix)]
        package = json.loads(archive.read(prefix + "package.json"))
        install = json.loads(archive.read(prefix + "install.json"))
    assert {"package.json", "install.json", "static/style.js"} <= set(shipped)
    assert any(re.fullmatch(r"static/remoteEntry\.[0-9a-f]+\.js", n) for n in shipped)
    assert not [n for n in names if n.startswith("deepfix_notebook/labextension/")]
    # The anywidget bundle of widgets/ (AnalysisWidget, ComparisonWidget) is package data.
    assert {
        "deepfix_notebook/notebook/static/widget.js",
        "deepfix_notebook/notebook/static/widget.css",
    } <= set(names)
    assert package["version"] == npm_version(__version__)
    assert package["jupyterlab"]["_build"]["mimeExtension"] == "./mimeExtension"
    assert package["jupyterlab"]["_build"]["extension"] == "./extension"
    assert install["packageName"] == "deepfix-notebook"
