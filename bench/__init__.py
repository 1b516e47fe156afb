"""The Rig Flows benchmark: page readiness against a bare Dash floor, and callback latency.

Run with `python -m bench` (or `make bench`); see bench/README.md. Not part of the tests.
"""
