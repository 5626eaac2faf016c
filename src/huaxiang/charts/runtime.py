"""The script that makes charts interactive in a self-contained HTML page, offline.

One ``<script>`` holds vl-convert's bundle of Vega, Vega-Lite and vega-embed (about 900 KB, no
CDN) and a small start-up script that embeds every chart :func:`~huaxiang.charts.render.to_html`
put on the page. Nothing is fetched: the specs carry their data, vega-embed's action menu (whose
links lead to the online editor) is off, and the page works from ``file://``.

Building the bundle takes vl-convert about two seconds, so it is kept per process and in a file
under the user's cache directory (``$XDG_CACHE_HOME/huaxiang``, else ``~/.cache/huaxiang``),
named by the vl-convert and Vega-Lite versions it came from.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from huaxiang.charts.vega import VL_VERSION

CHART_ATTRIBUTE = "data-hx-chart"  # on every chart's element: "vega-lite" or "svg"
SPEC_ATTRIBUTE = "data-hx-spec"  # the id of the JSON script holding a Vega-Lite chart's spec
DRAWN_ATTRIBUTE = "data-hx-drawn"  # set once vega-embed has drawn the chart
ERROR_ATTRIBUTE = "data-hx-error"  # set, with the message, when it could not

EXPORTS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
START = f"""
(function () {{
  "use strict";
  function draw(element) {{
    var source = document.getElementById(element.getAttribute("{SPEC_ATTRIBUTE}"));
    if (!source) {{ return; }}
    var chart = JSON.parse(source.textContent);
    var options = Object.assign({{mode: "vega-lite", actions: false, renderer: "svg"}},
                                chart.options || {{}});
    window.vegaEmbed(element, chart.spec, options).then(function () {{
      element.setAttribute("{DRAWN_ATTRIBUTE}", "true");
    }}).catch(function (error) {{
      element.setAttribute("{ERROR_ATTRIBUTE}", String(error));
      console.error("chart " + element.id + ": " + error);
    }});
  }}
  function drawAll() {{
    document.querySelectorAll('[{CHART_ATTRIBUTE}="vega-lite"]').forEach(draw);
  }}
  if (document.readyState === "loading") {{
    document.addEventListener("DOMContentLoaded", drawAll);
  }} else {{
    drawAll();
  }}
}})();
"""


def html_runtime() -> str:
    """The one ``<script>`` element a page with interactive charts needs (place it once, anywhere).

    The bundle runs inside a function, so its top-level names cannot clash with other scripts;
    it leaves ``vegaEmbed``, ``vega`` and ``vegaLite`` on ``window``.
    """
    code = f"(function () {{\n{vega_bundle()}\n}}).call(window);\n{START}"
    return f"<script>{script_safe(code)}</script>"


def script_safe(code: str) -> str:
    """JavaScript that cannot end its ``<script>`` element early.

    ``</script`` and ``<!--`` inside strings or regular expressions are written with a backslash
    (``<\\/script``, ``<\\!--``), which JavaScript reads as the same characters.
    """
    code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE)
    return code.replace("<!--", "<\\!--")


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """vl-convert's JavaScript bundle of Vega, Vega-Lite and vega-embed (cached)."""
    path = _cache_file()
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            text = ""
        if "vegaEmbed" in text:
            return text
    import vl_convert as vlc

    text = str(vlc.javascript_bundle(EXPORTS, vl_version=VL_VERSION))
    if path is not None:
        _write(path, text)
    return text


def _cache_file() -> Path | None:
    try:
        converter = version("vl-convert-python")
    except PackageNotFoundError:
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    name = f"vega-bundle-{converter}-vl{VL_VERSION}.js"
    return Path(base) / "huaxiang" / re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _write(path: Path, text: str) -> None:
    """Atomically (another process may read it meanwhile); a read-only home only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(name, path)
    except OSError:
        Path(name).unlink(missing_ok=True)
