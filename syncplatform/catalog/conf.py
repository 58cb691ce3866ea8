"""This app's settings: each a Django setting when the project defines it, else the environment.

Read on every use, so tests and operators change them without a restart.
"""

from django.conf import settings

from syncplatform.core.env import env_int


def _setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    return int(value) if value is not None else env_int(name, default)


def resume_after_seconds() -> int:
    """``SYNC_CATALOG_RESUME_SECONDS``: an unfinished load whose last chunk committed (or was
    queued) longer ago than this is queued again by the resumer (its task was lost)."""
    return _setting("SYNC_CATALOG_RESUME_SECONDS", 60)


def max_chunk_attempts() -> int:
    """``SYNC_CATALOG_MAX_CHUNK_ATTEMPTS``: a chunk that failed (or whose worker died) this
    many times in a row fails its load, naming the last error."""
    return _setting("SYNC_CATALOG_MAX_CHUNK_ATTEMPTS", 5)


def watchdog_seconds() -> int:
    """``SYNC_CATALOG_WATCHDOG_SECONDS``: when a load's transaction is still open this long
    after the load was queued, the sweeper runs it; it resumes the load if it stalled."""
    return _setting("SYNC_CATALOG_WATCHDOG_SECONDS", 3600)
