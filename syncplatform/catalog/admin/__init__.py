"""Catalog admin: sources (Run now), loads with progress and refused rows, read-only catalog."""

from . import catalog, loads, publication, sources  # noqa: F401
