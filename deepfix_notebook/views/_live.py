"""HTML of the live training monitor: its early warnings, a status line, a note."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from deepfix_notebook.views._markup import escape, html, join

if TYPE_CHECKING:
    from deepfix_notebook.contract import Analysis


def early_warnings_html(items: Sequence[Analysis], stop: Analysis | None) -> str:
    """The warnings so far as a list, and whether training was asked to stop (``stop``)."""
    rows = []
    for item in items:
        finding = item.findings
        rows.append(
            html(
                "<li><b>{}</b> ({}): {} {} <i>Fix:</i> {}</li>",
                finding.code.value if finding.code else "finding",
                finding.severity.value,
                finding.description,
                finding.evidence,
                item.recommendations.action,
            )
        )
    stopped: object = ""
    if stop is not None:
        code = stop.findings.code.value if stop.findings.code else "finding"
        stopped = html("<p><b>Training was asked to stop: {} (stop_on).</b></p>", code)
    return str(
        html(
            '<div class="deepfix-early-warnings"><b>DeepFix early warnings</b><ul>{}</ul>{}</div>',
            join(rows),
            stopped,
        )
    )


def live_status_html(status: str) -> str:
    """The live monitor's one-line status, where no figure can be drawn."""
    return str(html("<b>DeepFix live</b>: {}", status))


def note_html(text: str) -> str:
    """A plain-text note as HTML."""
    return str(escape(text))


def early_warnings_text(items: Sequence[Analysis], stop: Analysis | None) -> str:
    """`early_warnings_html` as plain text: the view of frontends without HTML (nbconvert to
    text, a terminal IPython)."""
    lines = ["DeepFix early warnings"]
    for item in items:
        finding = item.findings
        code = finding.code.value if finding.code else "finding"
        lines.append(
            f"- {code} ({finding.severity.value}): {finding.description} {finding.evidence} "
            f"Fix: {item.recommendations.action}"
        )
    if stop is not None:
        code = stop.findings.code.value if stop.findings.code else "finding"
        lines.append(f"Training was asked to stop: {code} (stop_on).")
    return "\n".join(lines)
