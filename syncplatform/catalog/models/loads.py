"""One catalog file's load: its progress, checkpoint and summary, and the rows it refused."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..choices import UNFINISHED_LOAD_STATUSES, LoadOrigin, LoadStatus


class CatalogLoad(models.Model):
    """A catalog file stored under ``SYNC_VAR_DIR/catalog`` and loaded in chunks.

    Unique per ``(source, sha256)`` among originals that did not fail: the same
    bytes again are recorded with ``duplicate_of`` and never loaded.

    The load is planned when the file is stored (``plan``: the byte offset and
    line of every chunk's first IDoc, the byte ranges before the first IDoc
    and after the last); chunk ``next_chunk`` is the next to do. Each chunk
    commits its catalog writes, its counts and ``next_chunk`` in one database
    transaction, so a worker killed mid-chunk leaves the checkpoint at the last
    committed chunk and the chunk is redone from there.
    """

    source = models.ForeignKey(
        "catalog.CatalogSource", on_delete=models.PROTECT, related_name="loads"
    )
    file_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500, editable=False)
    origin = models.CharField(max_length=10, choices=LoadOrigin.choices)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=LoadStatus.choices, default=LoadStatus.QUEUED, editable=False
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    total = models.PositiveIntegerField(default=0, help_text="IDocs in the file.")
    plan = models.JSONField(default=dict, editable=False)
    next_chunk = models.PositiveIntegerField(default=0, editable=False)
    position = models.PositiveIntegerField(default=0, help_text="IDocs done (checkpoint).")
    chunk_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    read_count = models.PositiveIntegerField(default=0)
    added_count = models.PositiveIntegerField(default=0)
    changed_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    deleted_count = models.PositiveIntegerField(default=0)
    refused_count = models.PositiveIntegerField(default=0)
    listings_changed_count = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    transaction = models.OneToOneField(
        "audit.SyncTransaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last chunk committed or queued; the resumer's clock."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("run_catalogload", "Can run catalog loads now")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "sha256"],
                condition=Q(duplicate_of__isnull=True) & ~Q(status=LoadStatus.FAILED),
                name="uniq_catalog_load_sha256",
            )
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="catalog_load_due_idx")]

    def __str__(self):
        return f"{self.source} {self.file_name}"

    @property
    def is_finished(self) -> bool:
        return self.status not in UNFINISHED_LOAD_STATUSES

    @property
    def chunk_count(self) -> int:
        return len(self.plan.get("chunks", []))

    # --- progress ------------------------------------------------------------
    def rate(self, now=None) -> float | None:
        """IDocs per second since the load started; None before the first chunk."""
        if not self.started_at or not self.position:
            return None
        elapsed = ((self.finished_at or now or timezone.now()) - self.started_at).total_seconds()
        return self.position / elapsed if elapsed > 0 else None

    def eta_seconds(self, now=None) -> float | None:
        rate = self.rate(now)
        if rate is None or self.is_finished:
            return None
        return max(0.0, (self.total - self.position) / rate)

    @property
    def percent_done(self) -> int:
        if self.is_finished and self.status == LoadStatus.SUCCEEDED:
            return 100
        return int(100 * self.position / self.total) if self.total else 0

    def summary(self) -> str:
        """The sentence the load's transaction and the command end with."""
        return (
            f"read {self.read_count}, added {self.added_count}, changed {self.changed_count}, "
            f"unchanged {self.unchanged_count}, deleted {self.deleted_count}, "
            f"refused {self.refused_count}; {self.listings_changed_count} listing(s) to publish"
        )

    # --- transitions ---------------------------------------------------------
    def start(self) -> None:
        self.status = LoadStatus.RUNNING
        self.started_at = self.started_at or timezone.now()

    def finish(self) -> None:
        self.status = LoadStatus.SUCCEEDED
        self.finished_at = timezone.now()

    def fail(self, code: str, message: str) -> None:
        self.status = LoadStatus.FAILED
        self.error_code, self.error_message = code, message
        self.finished_at = timezone.now()


class RefusedRow(models.Model):
    """A record of a load's file that was not taken, and why (downloadable as CSV)."""

    load = models.ForeignKey(CatalogLoad, on_delete=models.CASCADE, related_name="refused_rows")
    position = models.PositiveIntegerField(help_text="1-based IDoc in the file.")
    docnum = models.CharField(max_length=20, blank=True)
    key = models.CharField(max_length=120, blank=True, help_text="MATNR or condition key.")
    segment = models.CharField(max_length=30, blank=True)
    field = models.CharField(max_length=30, blank=True)
    reason = models.TextField()
    line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["load", "position", "id"]

    def __str__(self):
        return f"#{self.position} {self.key}: {self.reason}"
