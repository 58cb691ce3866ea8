"""Hourly figures behind the dashboard's charts, rolled up from the transactions.

The charts read these small tables (24 or 168 rows a series) instead of
scanning a table of a million transactions. ``rollup.roll_up_recent_hours``
recomputes the last few hours from indexed time windows and upserts them, so a
run that repeats or overlaps another writes the same rows.
"""

from django.db import models


class KindHour(models.Model):
    """What happened to the transactions of one kind received in one hour (UTC).

    Counted by the hour the transaction was received (``created_at``), as its
    state was when the hour was last rolled up: ``failed`` counts failed and
    resolved ones. ``latency_p50_ms``/``latency_p95_ms``: received to succeeded,
    over the succeeded ones (None when none succeeded).
    """

    hour = models.DateTimeField()
    kind = models.CharField(max_length=40)
    received = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    latency_p50_ms = models.PositiveBigIntegerField(null=True, blank=True)
    latency_p95_ms = models.PositiveBigIntegerField(null=True, blank=True)
    rolled_up_at = models.DateTimeField()

    class Meta:
        verbose_name = "hourly figures of a kind"
        verbose_name_plural = "hourly figures of kinds"
        constraints = [models.UniqueConstraint(fields=["hour", "kind"], name="uniq_kind_hour")]

    def __str__(self):
        return f"{self.kind} {self.hour:%Y-%m-%d %H:00}"


class ShipmentHour(models.Model):
    """Shipments reported in one hour (UTC) and how long after posting they shipped.

    ``delay_p50_s``/``delay_p95_s``: from the order's posting to the ERP to the
    warehouse's 945 arriving, in seconds (None when the hour had no shipment).
    """

    hour = models.DateTimeField(unique=True)
    shipments = models.PositiveIntegerField(default=0)
    delay_p50_s = models.PositiveBigIntegerField(null=True, blank=True)
    delay_p95_s = models.PositiveBigIntegerField(null=True, blank=True)
    rolled_up_at = models.DateTimeField()

    class Meta:
        verbose_name = "hourly shipment figures"
        verbose_name_plural = "hourly shipment figures"

    def __str__(self):
        return f"shipments {self.hour:%Y-%m-%d %H:00}"
