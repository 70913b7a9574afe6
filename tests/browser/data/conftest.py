"""``saved_analysis.ipynb`` is test data opened by JupyterLab, not a notebook to run (nbval)."""

collect_ignore = ["saved_analysis.ipynb"]
