"""Catalog use cases; importing this package declares the catalog's kinds and schedules."""

from . import loads  # noqa: F401
