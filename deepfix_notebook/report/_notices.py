"""`Notices`: the banners at the top of the report, one per topic, each with a Retry button."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from deepfix_notebook.report._panels import NoticeKind, notice

if TYPE_CHECKING:
    from panel.layout import Column

Retry = Callable[[], Coroutine[Any, Any, None] | None]


class Notices:
    """Banners keyed by topic (``"backend"``, ``"store"``, ...); a topic shown again is replaced."""

    def __init__(self) -> None:
        import panel as pn

        self.view: Column = pn.Column(sizing_mode="stretch_width", css_classes=["deepfix-notices"])
        self._items: dict[str, Any] = {}

    @property
    def topics(self) -> list[str]:
        return list(self._items)

    def text(self, topic: str) -> str | None:
        """The HTML of the notice about ``topic`` (for tests and logs), or None."""
        item = self._items.get(topic)
        return None if item is None else str(item[0].object)

    def show(
        self,
        topic: str,
        text: str,
        kind: NoticeKind = "error",
        *,
        title: str | None = None,
        retry: Retry | None = None,
    ) -> None:
        """Show ``text`` (escaped) about ``topic``; ``retry`` adds a Retry button calling it."""
        import panel as pn

        parts: list[Any] = [notice(text, kind, title=title)]
        if retry is not None:
            button = pn.widgets.Button(
                label="Retry", color="primary", width=90, css_classes=["deepfix-retry"]
            )
            button.on_click(lambda _: pn.state.execute(retry))
            parts.append(button)
        row = pn.Row(*parts, sizing_mode="stretch_width", css_classes=[f"deepfix-notice-{topic}"])
        old = self._items.get(topic)
        self._items[topic] = row
        if old is None:
            self.view.append(row)
        else:
            self.view[self.view.objects.index(old)] = row

    def clear(self, topic: str) -> None:
        item = self._items.pop(topic, None)
        if item is not None:
            self.view.remove(item)
