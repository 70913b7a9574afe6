"""The served page: Panel's page template, with plotly.js loaded after the first paint.

plotly.js is 4.6 MB of JavaScript that only the Run and Compare pages draw with; evaluated before
the document renders, it doubled the overview's first paint (benchmarks/README.md). The template
takes its blocking ``<script>`` out and loads it once Bokeh has shown the document, or as soon as
a plot is asked for; plots asked for before it arrives are drawn when it does. The exported file
keeps plotly.js inline: it has no server.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Template

_PLOTLY_SCRIPT = re.compile(
    r'<script[^>]*\ssrc="([^"]*/plotlyplot/plotly-[^"]*)"[^>]*></script>\s*'
)
# Until plotly.js is there, `window.Plotly` is a stand-in whose calls (the ones Panel's Plotly view
# makes) wait for it: a plot asked for early is drawn when it arrives, nothing fails meanwhile.
LOADER = """<script>
(function () {
  var src = __SRC__, script = null, arrived;
  var ready = new Promise(function (resolve) { arrived = resolve; });
  function load() {
    if (script) return;
    script = document.createElement("script");
    script.src = src;
    script.onload = function () {
      // A view removed while plotly.js was on its way still relayouts its (purged) div.
      var plotly = window.Plotly;
      ["relayout", "restyle"].forEach(function (name) {
        var call = plotly[name];
        plotly[name] = function (gd) {
          return gd && gd._fullLayout ? call.apply(plotly, arguments) : Promise.resolve(gd);
        };
      });
      arrived(plotly);
    };
    document.head.appendChild(script);
  }
  function later(path) {
    return function () {
      var args = arguments;
      load();
      return ready.then(function (plotly) {
        var owner = path.length > 1 ? plotly[path[0]] : plotly;
        return owner[path[path.length - 1]].apply(owner, args);
      });
    };
  }
  window.Plotly = {
    newPlot: later(["newPlot"]), react: later(["react"]), addFrames: later(["addFrames"]),
    relayout: later(["relayout"]), restyle: later(["restyle"]), purge: later(["purge"]),
    Plots: {resize: later(["Plots", "resize"])}
  };
  function whenShown() {
    var index = window.Bokeh && window.Bokeh.index;
    if (index && index.roots && index.roots.length) setTimeout(load, 50);
    else setTimeout(whenShown, 50);
  }
  document.addEventListener("DOMContentLoaded", whenShown);
})();
</script>
"""


def plotly_after_paint(bokeh_js: str) -> str:
    """``bokeh_js`` (the page's script tags) with plotly.js loaded by `LOADER` instead."""
    from markupsafe import Markup

    match = _PLOTLY_SCRIPT.search(str(bokeh_js))
    if match is None:
        return bokeh_js
    loader = LOADER.replace("__SRC__", _js(match.group(1)))
    return Markup(_PLOTLY_SCRIPT.sub("", str(bokeh_js), count=1) + loader)


@cache
def page_template() -> Template:
    """Panel's ``base.html`` with `plotly_after_paint` applied to its scripts."""
    from panel.io.resources import BASE_TEMPLATE

    environment = BASE_TEMPLATE.environment.overlay()
    environment.filters["deepfix_plotly_after_paint"] = plotly_after_paint
    template: Template = environment.from_string(
        '{% extends "base.html" %}{% block js_resources %}'
        "{{ bokeh_js | deepfix_plotly_after_paint if bokeh_js }}{% endblock js_resources %}"
    )
    return template


def _js(text: str) -> str:
    return json.dumps(text).replace("<", "\\u003c")
