"""``GET /metrics``: Prometheus text format, computed from the database at each scrape.

Workers are many processes on many hosts, so nothing is counted in process
memory: ``PlatformCollector`` reads the shared database when Prometheus scrapes,
with queries that stay cheap at a million transactions.

- ``syncplatform_transactions_open{kind,state}``: every received, processing,
  retrying and failed transaction (the state index ``tx_due_idx``).
- ``syncplatform_transactions_created_24h{kind,state}``: transactions received
  in the last 24 hours, by their state now (the ``created_at`` index).
- ``syncplatform_attempt_duration_seconds{kind,outcome}``: a gauge histogram of
  the attempts that ended in the last ``SYNC_METRICS_WINDOW_MINUTES`` (15),
  from the durations the runner records on each attempt's event. A window and
  not a counter since start: the events are the one shared record of attempts,
  and a cumulative count would mean scanning all of them. The window's first
  event is found by bisecting the event ids (about 25 index lookups); the rows
  after it are aggregated in one query.
- ``syncplatform_queue_depth{lane}``: messages waiting per lane (a lane the
  broker did not answer for is left out).
- ``syncplatform_schedule_last_run_age_seconds{schedule,job}``: per beat row
  that has run.
- ``syncplatform_breaker_state{endpoint,state}``: only once an app declares a
  breaker model (issue 13).

Access (``metrics_view``): a bearer token equal to ``SYNC_METRICS_TOKEN``, or a
client address inside ``SYNC_METRICS_ALLOWED_NETWORKS``. No credentials: 401;
a wrong token or an address outside the networks: 403.
"""

import hmac
import ipaddress
import json
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_celery_beat.models import PeriodicTask
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeHistogramMetricFamily, GaugeMetricFamily

from syncplatform.audit.choices import EventKind, TransactionState
from syncplatform.audit.dispatch import RUN_SCHEDULED_JOB_TASK
from syncplatform.audit.models import SyncTransaction, TransactionEvent
from syncplatform.core.client_address import client_address

from .broker import queue_depths
from .dashboard import breaker_states

OPEN_STATES = (
    TransactionState.RECEIVED,
    TransactionState.PROCESSING,
    TransactionState.RETRYING,
    TransactionState.FAILED,
)
# Upper bounds in seconds: a SOAP posting takes tens of ms; a 940 batch or a catalog
# chunk minutes.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
ATTEMPT_OUTCOMES = {
    EventKind.ATTEMPT_SUCCEEDED: "succeeded",
    EventKind.ATTEMPT_FAILED: "retrying",
    EventKind.FAILED: "failed",
}


class PlatformCollector:
    """Reads the figures above from the database when ``collect`` is called."""

    def collect(self):
        yield self._open_transactions()
        yield self._recent_transactions()
        yield self._attempt_durations()
        yield self._queue_depths()
        yield self._schedule_ages()
        breakers = breaker_states()
        if breakers is not None:
            yield self._breakers(breakers)

    def _open_transactions(self):
        family = GaugeMetricFamily(
            "syncplatform_transactions_open",
            "Transactions waiting, running, retrying or failed, by kind and state.",
            labels=["kind", "state"],
        )
        for row in _count_by_kind_and_state(SyncTransaction.objects.filter(state__in=OPEN_STATES)):
            family.add_metric([row["kind"], row["state"]], row["count"])
        return family

    def _recent_transactions(self):
        family = GaugeMetricFamily(
            "syncplatform_transactions_created_24h",
            "Transactions received in the last 24 hours, by kind and their state now.",
            labels=["kind", "state"],
        )
        since = timezone.now() - timedelta(hours=24)
        for row in _count_by_kind_and_state(SyncTransaction.objects.filter(created_at__gte=since)):
            family.add_metric([row["kind"], row["state"]], row["count"])
        return family

    def _attempt_durations(self):
        window = settings.SYNC_METRICS_WINDOW_MINUTES
        family = GaugeHistogramMetricFamily(
            "syncplatform_attempt_duration_seconds",
            f"Durations of the attempts that ended in the last {window} minutes.",
            labels=["kind", "outcome"],
        )
        first = first_event_id_since(timezone.now() - timedelta(minutes=window))
        if first is None:
            return family
        for row in _attempt_buckets(first):
            cumulative = [(str(le), row[f"le_{n}"]) for n, le in enumerate(DURATION_BUCKETS)]
            cumulative.append(("+Inf", row["count"]))
            family.add_metric(
                [row["transaction__kind"], ATTEMPT_OUTCOMES[row["kind"]]],
                cumulative,
                (row["total_ms"] or 0) / 1000,
            )
        return family

    def _queue_depths(self):
        family = GaugeMetricFamily(
            "syncplatform_queue_depth", "Messages waiting on each lane's queue.", labels=["lane"]
        )
        for lane, depth in queue_depths().items():
            if depth is not None:
                family.add_metric([lane], depth)
        return family

    def _schedule_ages(self):
        family = GaugeMetricFamily(
            "syncplatform_schedule_last_run_age_seconds",
            "Seconds since beat last ran each scheduled job (rows that never ran are left out).",
            labels=["schedule", "job"],
        )
        now = timezone.now()
        rows = PeriodicTask.objects.filter(task=RUN_SCHEDULED_JOB_TASK, last_run_at__isnull=False)
        for name, args, last_run_at in rows.values_list("name", "args", "last_run_at"):
            family.add_metric([name, _job_key(args)], (now - last_run_at).total_seconds())
        return family

    def _breakers(self, breakers):
        family = GaugeMetricFamily(
            "syncplatform_breaker_state",
            "1 for each ERP endpoint's circuit-breaker state now.",
            labels=["endpoint", "state"],
        )
        for breaker in breakers:
            family.add_metric([breaker.endpoint, breaker.code], 1)  # closed, open, half_open
        return family


def _job_key(args: str) -> str:
    """The declared job key a beat row runs: its first argument (``["key", partner_id]``)."""
    try:
        values = json.loads(args or "[]")
    except ValueError:
        return ""
    return str(values[0]) if values else ""


def _count_by_kind_and_state(rows):
    return rows.order_by().values("kind", "state").annotate(count=Count("pk"))


def _attempt_buckets(first_event_id: int):
    buckets = {
        f"le_{n}": Count("pk", filter=Q(duration_ms__lte=int(le * 1000)))
        for n, le in enumerate(DURATION_BUCKETS)
    }
    return (
        TransactionEvent.objects.filter(
            pk__gte=first_event_id, kind__in=list(ATTEMPT_OUTCOMES), duration_ms__isnull=False
        )
        .order_by()
        .values("transaction__kind", "kind")
        .annotate(count=Count("pk"), total_ms=Sum("duration_ms"), **buckets)
    )


def first_event_id_since(moment) -> int | None:
    """The id of the first event at or after ``moment``, by bisecting ids (None: none since).

    Event ids grow with time (ids come from a sequence as events are written), so
    a bisection over ids with one primary-key lookup a step stands in for an index on
    ``at``, which every insert on the intake path would otherwise pay for.
    """
    bounds = TransactionEvent.objects.aggregate(low=Min("pk"), high=Max("pk"))
    low, high = bounds["low"], bounds["high"]
    if high is None or _at_or_after(high) < moment:
        return None
    while low < high:
        middle = (low + high) // 2
        if _at_or_after(middle) < moment:
            low = middle + 1
        else:
            high = middle
    return low


def _at_or_after(event_id: int):
    return (
        TransactionEvent.objects.filter(pk__gte=event_id)
        .order_by("pk")
        .values_list("at", flat=True)
        .first()
    )


def is_allowed(request) -> tuple[bool, int]:
    """(allowed, status to answer otherwise): 401 without credentials, 403 with wrong ones."""
    token = settings.SYNC_METRICS_TOKEN
    offered = request.headers.get("Authorization", "")
    if offered:
        scheme, _, value = offered.partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(value.strip(), token):
            return True, 200
        return False, 403
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False, 401
    allowed = settings.SYNC_METRICS_ALLOWED_NETWORKS
    if any(address in ipaddress.ip_network(n, strict=False) for n in allowed):
        return True, 200
    return False, 401


@require_GET
def metrics_view(request):
    allowed, status = is_allowed(request)
    if not allowed:
        response = HttpResponse(
            "metrics need a bearer token or an allowed network\n",
            status=status,
            content_type="text/plain",
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
