"""Catalog use cases; importing this package declares the catalog's kinds and schedules."""

from . import drops, loads, prices_in_force, publication, pushed  # noqa: F401
