"""The Celery application: realtime and batch queues; the broker only carries transaction ids."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

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
