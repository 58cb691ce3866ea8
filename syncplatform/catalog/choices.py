"""Catalog states, source kinds and the transaction kinds this app declares."""

from django.db import models

CATALOG_LOAD = "catalog.load"
CATALOG_POLL = "catalog.poll"
CATALOG_IDOC_IN = "catalog.idoc.in"
CATALOG_RESUME = "catalog.resume"


class SourceKind(models.TextChoices):
    """What a source's files carry: the IDoc type they are read as."""

    MATMAS05 = "MATMAS05", "Material master (MATMAS05)"
    COND_A04 = "COND_A04", "Prices (COND_A04)"


class LoadOrigin(models.TextChoices):
    SFTP = "sftp", "SFTP drop folder"
    PUSH = "push", "Pushed to the IDoc endpoint"
    COMMAND = "command", "load_catalog command"
    UPLOAD = "upload", "Admin"


class LoadStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate (not loaded)"


UNFINISHED_LOAD_STATUSES = (LoadStatus.QUEUED, LoadStatus.RUNNING)
FINISHED_LOAD_STATUSES = (LoadStatus.SUCCEEDED, LoadStatus.FAILED, LoadStatus.DUPLICATE)


class PublishState(models.TextChoices):
    """Where a listing stands with its channel; publication picks ``PENDING`` ones."""

    PENDING = "pending", "Changed, to publish"
    PUBLISHED = "published", "Published"
    FAILED = "failed", "Publication failed"
