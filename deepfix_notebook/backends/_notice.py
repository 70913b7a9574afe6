"""How a result says the embedded engine answered for an unreachable server (offline modes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deepfix_notebook.contract import AnalysisResult

LOCAL_BACKEND_NAME = "local (server unreachable)"


def fallback_notice(result: AnalysisResult) -> str | None:
    """The notice of a result the embedded engine made because the server (or its MLflow) was
    unreachable, such as "DeepFix server http://… unreachable (…). Analysed with the embedded
    engine instead."; None for any other result."""
    if result.backend == LOCAL_BACKEND_NAME and result.warnings:
        return result.warnings[0]
    return None


def notice_html(text: str) -> str:
    """One notice line (escaped), shown above a view or in place of a raw warning."""
    from deepfix_notebook.views._markup import html

    return str(html("<p class='deepfix-notice' role='status'><b>DeepFix</b>: {}</p>", text))
