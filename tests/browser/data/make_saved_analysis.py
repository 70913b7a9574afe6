"""Regenerate ``saved_analysis.ipynb``: real ``%deepfix`` outputs, executed once and saved.

Run from the repository root: ``python tests/browser/data/make_saved_analysis.py``. The notebook
runs in a temp copy of ``examples/`` (so its ``runs/...`` paths are those of the browser tests'
JupyterLab root) with a temp ``DEEPFIX_HOME``, through nbclient and a real IPython kernel. Widget
state is not stored, as JupyterLab does not store it by default: the saved outputs are what a
user's saved notebook holds.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
NOTEBOOK = HERE / "saved_analysis.ipynb"
CELLS = [
    (
        "markdown",
        "# Saved DeepFix outputs\n\n"
        "Executed once by `make_saved_analysis.py`; the browser tests open it without running "
        "it, so what shows comes from the saved outputs alone.",
    ),
    ("code", "%load_ext deepfix_notebook"),
    ("code", "%deepfix analyze runs/overfitting"),
    ("code", "%deepfix compare runs/overfitting runs/diverging runs/quickstart"),
    ("code", '%deepfix ask "validation loss goes up"'),
]


def build(path: Path = NOTEBOOK) -> Path:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    for index, (kind, source) in enumerate(CELLS):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        notebook.cells.append(make(source, id=f"saved-analysis-{index}"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(REPO / "examples", root, ignore=shutil.ignore_patterns("__pycache__"))
        os.environ.update(
            DEEPFIX_HOME=str(Path(tmp) / "deepfix"),
            MLFLOW_DISABLE_TELEMETRY="true",
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        )
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        client = NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(root)}},
            store_widget_state=False,
        )
        client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                raise RuntimeError(f"{cell.source!r} failed: {errors[0].get('evalue')}")
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else NOTEBOOK))
