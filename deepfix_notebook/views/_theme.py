"""Colours and the scoped stylesheet of the static HTML views.

Every rule is scoped under `ROOT_CLASS`, so the stylesheet cannot restyle the page around it.
Colours come from JupyterLab's CSS variables when they exist (following its light or dark theme),
with fallbacks for a light page and, under ``prefers-color-scheme: dark``, for a dark one.
Severity colours are solid fills under white text, readable on any background (WCAG contrast of
white on each is at least 4.5, and each stands at least 3:1 from both white and near-black).
"""

from __future__ import annotations

from typing import Final

from deepfix_notebook.views._markup import Markup, html

ROOT_CLASS: Final = "deepfix-view"

SEVERITY_COLOURS: Final[dict[str, str]] = {
    "high": "#cf222e",
    "medium": "#9a6700",
    "low": "#0969da",
}
STATUS_COLOURS: Final[dict[str, str]] = {
    "completed": "#1a7f37",
    "partial": "#9a6700",
    "failed": "#cf222e",
}
# Line colours at least 3:1 against both a white and a near-black background.
SERIES_COLOURS: Final[tuple[str, ...]] = (
    "#1f6feb",
    "#c2410c",
    "#1a7f37",
    "#8250df",
    "#db2777",
    "#0e7490",
    "#64748b",
    "#9467bd",
)
BAD_COLOUR: Final = "#e11d48"
"""Marks of NaN/Inf values on charts."""

# (custom property, JupyterLab variable, light fallback, dark fallback)
_VARIABLES: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("--df-fg", "--jp-ui-font-color1", "#1f2328", "#e6edf3"),
    ("--df-muted", "--jp-ui-font-color2", "#59636e", "#9198a1"),
    ("--df-bg", "--jp-layout-color1", "#ffffff", "#0d1117"),
    ("--df-panel", "--jp-layout-color2", "#f6f8fa", "#161b22"),
    ("--df-border", "--jp-border-color2", "#d1d9e0", "#3d444d"),
    ("--df-font", "--jp-ui-font-family", "system-ui, -apple-system, 'Segoe UI', sans-serif", ""),
    ("--df-mono", "--jp-code-font-family", "ui-monospace, SFMono-Regular, Menlo, monospace", ""),
    ("--df-size", "--jp-ui-font-size1", "13px", ""),
)


def _declarations(dark: bool) -> str:
    parts = []
    for prop, jp_var, light, dark_value in _VARIABLES:
        value = dark_value if dark else light
        if value:
            parts.append(f"{prop}:var({jp_var}, {value});")
    return "".join(parts)


def _rules() -> str:
    r = f".{ROOT_CLASS}"
    rules = [
        f"{r}{{{_declarations(dark=False)}color:var(--df-fg);background:var(--df-bg);"
        "font-family:var(--df-font);font-size:var(--df-size);line-height:1.45;"
        "border:1px solid var(--df-border);border-radius:6px;padding:10px 14px;"
        "max-width:980px;box-sizing:border-box;overflow-wrap:anywhere}",
        f"@media (prefers-color-scheme: dark){{{r}{{{_declarations(dark=True)}}}}}",
        f"{r} *{{box-sizing:border-box}}",
        f"{r} h3{{font-size:1.25em;margin:0 0 4px 0;font-weight:600}}",
        f"{r} h4{{font-size:1.05em;margin:14px 0 6px 0;font-weight:600;"
        "border-bottom:1px solid var(--df-border);padding-bottom:2px}",
        f"{r} h5{{font-size:1em;margin:10px 0 4px 0;font-weight:600}}",
        f"{r} p{{margin:4px 0}}",
        f"{r} ul,{r} ol{{margin:4px 0;padding-left:22px}}",
        f"{r} li{{margin:3px 0}}",
        f"{r} code{{font-family:var(--df-mono);font-size:0.92em;background:var(--df-panel);"
        "border-radius:3px;padding:0 3px}",
        f"{r} .df-meta{{color:var(--df-muted);font-size:0.92em}}",
        f"{r} .df-badge{{display:inline-block;color:#fff;border-radius:10px;padding:0 7px;"
        "font-size:0.85em;font-weight:600;line-height:1.6;white-space:nowrap;"
        "vertical-align:baseline}",
        f"{r} .df-badges{{display:flex;gap:6px;flex-wrap:wrap;margin:4px 0}}",
        f"{r} .df-plain{{background:var(--df-panel);color:var(--df-fg);"
        "border:1px solid var(--df-border)}",
        f"{r} details{{border:1px solid var(--df-border);border-radius:4px;margin:4px 0;"
        "padding:2px 8px}",
        f"{r} details[open]{{background:var(--df-panel)}}",
        f"{r} summary{{cursor:pointer;padding:2px 0}}",
        f"{r} dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0}}",
        f"{r} dt{{color:var(--df-muted)}}",
        f"{r} dd{{margin:0}}",
        f"{r} table{{border-collapse:collapse;margin:4px 0;font-size:0.95em}}",
        f"{r} th,{r} td{{border:1px solid var(--df-border);padding:2px 8px;text-align:left;"
        "vertical-align:top}",
        f"{r} th{{background:var(--df-panel);font-weight:600}}",
        f"{r} td.df-num{{text-align:right;font-variant-numeric:tabular-nums}}",
        f"{r} td.df-cell{{text-align:center;color:#fff;font-weight:600}}",
        f"{r} td.df-empty{{text-align:center;color:var(--df-muted)}}",
        f"{r} .df-error{{color:{SEVERITY_COLOURS['high']};font-weight:600}}",
        f"{r} .df-status-note{{border-left:4px solid {SEVERITY_COLOURS['high']};padding:4px 10px;"
        "margin:8px 0;background:rgba(207,34,46,0.08)}",
        f"{r} .df-status-partial{{border-left-color:{SEVERITY_COLOURS['medium']};"
        "background:rgba(154,103,0,0.1)}",
        f"{r} .df-status-note p,{r} .df-status-note ul{{margin:4px 0}}",
        f"{r} .df-notice{{border-left:3px solid {SEVERITY_COLOURS['medium']};padding:2px 8px;"
        "margin:0 0 8px}",
        # Band labels and NaN counts keep a halo of the page's colour: legible over bands and
        # curves in light and dark themes.
        f"{r} .df-halo{{paint-order:stroke;stroke:var(--df-bg);stroke-width:3px;"
        "stroke-linejoin:round}",
        f"{r} figure{{margin:6px 0}}",
        f"{r} svg{{display:block;width:100%;max-width:680px;height:auto;color:var(--df-fg)}}",
        f"{r} figcaption{{font-size:0.9em;color:var(--df-muted)}}",
        f"{r} .df-key{{display:inline-block;margin-right:12px;white-space:nowrap}}",
        f"{r} .df-key i{{display:inline-block;width:14px;height:3px;margin-right:4px;"
        "vertical-align:middle}",
        f"{r} .df-item{{margin:8px 0;padding:6px 8px;border-left:3px solid var(--df-border)}}",
    ]
    for name, colour in {
        **SEVERITY_COLOURS,
        **{f"st-{k}": v for k, v in STATUS_COLOURS.items()},
    }.items():
        rules.append(f"{r} .df-{name}{{background:{colour}}}")
    for index, colour in enumerate(SERIES_COLOURS):
        rules.append(f"{r} i.df-c{index}{{background:{colour}}}")
    rules.append(f"{r} i.df-bad{{background:{BAD_COLOUR}}}")
    return "".join(rules)


STYLESHEET: Final = _rules()
"""The stylesheet, without the ``<style>`` tags; every selector starts with ``.deepfix-view``."""


def style_element() -> Markup:
    """The ``<style>`` element every view starts with."""
    return html("<style>{}</style>", Markup(STYLESHEET))
