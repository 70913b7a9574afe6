"""Views of results: plain text now; Plotly figures and the Panel report import lazily."""

from deepfix_notebook.views._text import render_analysis, render_knowledge

__all__ = ["render_analysis", "render_knowledge"]
