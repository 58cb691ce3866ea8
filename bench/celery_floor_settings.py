"""Settings for ``bench/celery_floor.py``'s workers: production's, plus its empty task.

``celery -A syncplatform worker`` with ``DJANGO_SETTINGS_MODULE`` set to this
module; only that benchmark starts a worker on it, never production.
"""

from syncplatform.settings import *  # noqa: F403 - the production settings, unchanged

CELERY_IMPORTS = ("bench.celery_floor",)
