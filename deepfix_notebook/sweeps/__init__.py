"""Sweep triage: every run of an experiment diagnosed, and which hyperparameters go with which
problems. Above the backends (it analyses through them), below the CLI, notebook and report."""

from deepfix_notebook.sweeps._sweep import Progress, run_sweep
from deepfix_notebook.sweeps._text import render_sweep

__all__ = ["Progress", "render_sweep", "run_sweep"]
