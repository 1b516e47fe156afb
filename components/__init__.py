"""Dash components: one module per view, each with its layout and its (thin) callbacks.

Callbacks only parse their inputs into a ViewState and hand it to `rigflows.select` and
`rigflows.figures`; all logic worth testing lives there.
"""
