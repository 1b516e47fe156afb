"""Pure figure builders: tables from `rigflows.select` (+ a ViewState) in, `go.Figure` out.

Nothing here imports Dash, so every chart can be built and checked without a server, and a
chart exported as PNG carries its own title, units, key and source line.
"""
