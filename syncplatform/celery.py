"""The Celery application: realtime and batch queues; the broker only carries transaction ids."""

import gc
import os

from celery import Celery
from celery.signals import task_prerun, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncplatform.settings")

app = Celery("syncplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _freeze_startup_objects(**kwargs):
    # Django's and the apps' import-time objects live as long as the worker: frozen,
    # the collector stops re-walking them during big batches (a 10,000-order 940
    # run spent a third of its CPU in garbage collection).
    gc.freeze()


@task_prerun.connect
def _drop_unusable_connections(**kwargs):
    # CELERY_DB_REUSE_MAX keeps connections across tasks, which makes Celery's
    # Django fixup skip its own check; after a PostgreSQL restart a worker then
    # failed every task with "connection already closed" (found by make chaos).
    # Django closes a connection here that is broken or past its age; the next
    # query opens a fresh one.
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
