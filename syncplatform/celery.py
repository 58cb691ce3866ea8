"""The Celery application: realtime and batch queues; the broker only carries transaction ids."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syncplatform.settings")

app = Celery("syncplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
