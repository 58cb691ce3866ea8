"""syncplatform: the Django project (state, transactions, idempotency, retries, audit)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
