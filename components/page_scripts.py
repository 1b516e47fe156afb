"""The page's scripts: Dash's own, less two it would load for nothing.

- @babel/polyfill (core-js 2; 33 KB compressed) patches browsers older than the ones the page
  runs in anyway (its own scripts use structuredClone and async functions). Worse, it replaces
  the browser's String.prototype.trim with a slower copy of its own (core-js 2 finds the native
  one non-compliant: U+180E stopped being a space in Unicode 6.3), and plotly.js trims strings
  all through its draws. The one thing Dash's code needs from it, a global regeneratorRuntime,
  comes from assets/regenerator-runtime.min.js (tools/build_runtime_bundle.sh).
- dash_table's bundle (9 KB): the page draws no DataTable.

Measured on 12 alternating cold loads of the default page: every chart drawn in 1,522 ms
against 1,738 ms with both (median), and Play's redraw p95 84-85 ms against 98-104 ms.
"""

from __future__ import annotations

import re

from dash import Dash

#: Dash's scripts the page leaves out, by a part of the path Dash serves each under.
LEFT_OUT = ("/dash/deps/polyfill@", "/dash/dash_table/bundle.")

_LEFT_OUT_TAG = re.compile(r'<script src="[^"]*(?:' + "|".join(map(re.escape, LEFT_OUT)) + r')[^"]*"></script>\n?')


def without_left_out(scripts: str) -> str:
    """Dash's script tags (`{%scripts%}` of the index page) less those of `LEFT_OUT`."""
    return _LEFT_OUT_TAG.sub("", scripts)


class LeanDash(Dash):
    """Dash, its index page without the scripts of `LEFT_OUT`."""

    def interpolate_index(self, **kwargs) -> str:
        return super().interpolate_index(**{**kwargs, "scripts": without_left_out(kwargs["scripts"])})
