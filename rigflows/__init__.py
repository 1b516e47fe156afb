"""Rig Flows data layer: curated tables, their validation, and pure view logic.

Modules, in the order data flows through them:
`schema` (one table's rules) → `load` (read + validate one directory) → `integrity`
(rules across tables) → `geo` (country geometry) → `dataset` (the loaded, immutable whole) →
`models` (mining load and strain estimates) → `state` (what the reader sees) → `select`
(the rows behind a view) → `figures` (plotly figures from those rows).
"""
