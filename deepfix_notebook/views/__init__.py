"""Views of results: text, self-contained HTML, JSON payloads, mime bundles, Plotly figures.

Plotly is imported inside `views.figures` functions only, so importing this package is cheap.
"""

from deepfix_notebook.views._bundle import (
    MIME_ANALYSIS,
    MIME_COMPARISON,
    MIME_KNOWLEDGE,
    PAYLOAD_VERSION,
    analysis_bundle,
    analysis_payload,
    comparison_bundle,
    comparison_payload,
    curves_bundle,
    knowledge_bundle,
)
from deepfix_notebook.views._downsample import downsample
from deepfix_notebook.views._html import analysis_html, comparison_html, knowledge_html
from deepfix_notebook.views._payload import curves_payload
from deepfix_notebook.views._sweep import MIME_SWEEP, sweep_html, sweep_payload
from deepfix_notebook.views._text import render_analysis, render_comparison, render_knowledge
from deepfix_notebook.views.figures import (
    comparison_figure,
    figure_size_bytes,
    findings_matrix,
    ranged_findings,
    run_figure,
)

__all__ = [
    "MIME_ANALYSIS",
    "MIME_COMPARISON",
    "MIME_KNOWLEDGE",
    "MIME_SWEEP",
    "PAYLOAD_VERSION",
    "analysis_bundle",
    "analysis_html",
    "analysis_payload",
    "comparison_bundle",
    "comparison_figure",
    "comparison_html",
    "comparison_payload",
    "curves_bundle",
    "curves_payload",
    "downsample",
    "figure_size_bytes",
    "findings_matrix",
    "knowledge_bundle",
    "knowledge_html",
    "ranged_findings",
    "render_analysis",
    "render_comparison",
    "render_knowledge",
    "run_figure",
    "sweep_html",
    "sweep_payload",
]
