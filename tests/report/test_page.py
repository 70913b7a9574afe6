"""The served page's template: plotly.js moved after the first paint, nothing else changed."""

from __future__ import annotations

from deepfix_notebook.report._page import page_template, plotly_after_paint

SCRIPTS = (
    '<script type="text/javascript" src="static/js/bokeh.min.js?v=1"></script>\n'
    '<script type="text/javascript" '
    'src="static/extensions/panel/bundled/plotlyplot/plotly-3.1.0.min.js"></script>\n'
    '<script type="text/javascript" src="static/extensions/panel/panel.min.js?v=2"></script>\n'
)


def test_plotly_is_loaded_by_the_page_not_before_it() -> None:
    out = str(plotly_after_paint(SCRIPTS))
    assert '<script type="text/javascript" src="static/js/bokeh.min.js?v=1">' in out
    assert "panel.min.js?v=2" in out
    assert 'src="static/extensions/panel/bundled/plotlyplot' not in out  # no blocking tag
    assert 'var src = "static/extensions/panel/bundled/plotlyplot/plotly-3.1.0.min.js"' in out
    assert out.index("panel.min.js") < out.index("window.Plotly = {")
    assert plotly_after_paint("<script src='x.js'></script>") == "<script src='x.js'></script>"


def test_template_extends_panels_page() -> None:
    from bokeh.embed.bundle import Bundle
    from bokeh.embed.elements import html_page_for_render_items
    from markupsafe import Markup

    class Scripts(Bundle):
        def _render_js(self) -> str:
            return Markup(SCRIPTS)

    html = html_page_for_render_items(
        Scripts(), {}, [], "T", template=page_template(), template_variables={}
    )
    assert "<title>T</title>" in html
    assert "window.Plotly = {" in html and 'plotlyplot/plotly-3.1.0.min.js"></script>' not in html
