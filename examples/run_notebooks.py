"""Execute the example notebooks in place and keep their saved outputs small and kernel-free.

    python examples/run_notebooks.py                  # every examples/*.ipynb
    python examples/run_notebooks.py 01_quickstart    # some of them

Each notebook runs top to bottom in a fresh ``python3`` kernel started in its own directory
(nbclient, the engine behind ``jupyter nbconvert --execute``), as nbval runs them in CI. A live
widget cannot be shown from a saved file, so widget views and widget state are dropped: what is
saved is the static view DeepFix sends alongside every widget (its JSON mime type, HTML, text),
which JupyterLab and GitHub render without a kernel. Prints how long each notebook took.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TIMEOUT_S = 120  # per cell


def run(path: Path) -> float:
    """Execute ``path`` in place; return the seconds it took."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        store_widget_state=False,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in map(_without_widget, cell.outputs) if o is not None]
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return seconds


def _without_widget(output: Any) -> Any:
    """The output without its widget view; None when nothing but the widget's repr is left."""
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return output
    del data[WIDGET_VIEW]
    return output if set(data) - {"text/plain"} else None


def main(names: list[str]) -> None:
    paths = [EXAMPLES / f"{n.removesuffix('.ipynb')}.ipynb" for n in names]
    for path in paths or sorted(EXAMPLES.glob("*.ipynb")):
        seconds = run(path)
        size = path.stat().st_size / 1024
        print(f"{path.name:<32} {seconds:6.1f} s  {size:7.0f} KB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
