"""The Knowledge page: search the knowledge base behind the recommendations."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from deepfix_notebook.contract import KnowledgeDomain, QueryType
from deepfix_notebook.report._notices import Notices
from deepfix_notebook.report._panels import knowledge_pane, notice

if TYPE_CHECKING:
    from deepfix_notebook.backends import AnalysisBackend

ANY = "any"
MAX_RESULTS = 10


class KnowledgePage:
    """A query, an optional domain, and the entries found (best first)."""

    def __init__(self, backend: AnalysisBackend, notices: Notices) -> None:
        import panel as pn

        self.backend = backend
        self.notices = notices
        self.query = pn.widgets.TextInput(
            label="Question",
            placeholder="e.g. validation loss rises while training loss falls",
            width=480,
            css_classes=["deepfix-question"],
        )
        self.domain = pn.widgets.Select(
            label="Domain", options=[ANY, *(d.value for d in KnowledgeDomain)], width=160
        )
        self.kind = pn.widgets.Select(
            label="Looking for", options=[q.value for q in QueryType], width=160
        )
        self.button = pn.widgets.Button(label="Search", color="primary", align="end")
        self.body = pn.Column(sizing_mode="stretch_width")
        self.view = pn.Column(
            pn.Row(self.query, self.domain, self.kind, self.button),
            self.body,
            sizing_mode="stretch_width",
        )
        self.button.on_click(lambda _: pn.state.execute(self.search))
        self.query.param.watch(lambda _: pn.state.execute(self.search), "enter_pressed")

    async def search(self) -> None:
        from pydantic import ValidationError

        from deepfix_notebook.contract import KnowledgeQuery

        text = (self.query.value_input or self.query.value or "").strip()
        try:
            query = KnowledgeQuery.model_validate(
                {
                    "query": text,
                    "domain": None if self.domain.value == ANY else self.domain.value,
                    "query_type": self.kind.value,
                    "max_results": MAX_RESULTS,
                }
            )
        except ValidationError as error:
            first = error.errors()[0]
            self.body.objects = [notice(f"{first['loc'][0]}: {first['msg']}", "warning")]
            return
        self.body.loading = True
        try:
            response = await asyncio.to_thread(self.backend.query_knowledge, query)
        except Exception as error:  # the backend is down, or answered with an error
            self.notices.show(
                "knowledge",
                f"{self.backend.name} could not search the knowledge base: {error}",
                title="Search failed.",
                retry=self.search,
            )
            return
        finally:
            self.body.loading = False
        self.notices.clear("knowledge")
        self.body.objects = [knowledge_pane(response)]
