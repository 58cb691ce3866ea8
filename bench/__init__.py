"""Benchmarks for ``make bench``: each prints its figure beside a baseline from the same run.

``python -m bench`` runs them all in sequence (``--only NAME`` for some) and
prints a summary table; see bench/__main__.py.
"""
