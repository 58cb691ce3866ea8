"""The dashboard's charts, drawn as SVG on the server from the hourly rollup.

Server-side SVG rather than a JavaScript charting library: nothing to vendor or
load (no CDN, no licence file to carry), the page works with scripts off, and a
test reads the chart's numbers straight out of the markup (``data-values``).
Each chart is a few polylines over hourly points: 24 for a day, 168 for a week.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import KindHour, ShipmentHour
from .rollup import HOUR, floor_hour

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
PALETTE = ("#417690", "#c0392b", "#e67e22", "#27ae60", "#8e44ad", "#7f8c8d")
MAX_KIND_LINES = len(PALETTE)
WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 560, 180, 48, 22, 10


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float | None]  # one per hour, None where nothing was measured


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    hours: list[datetime]
    series: list[Series]

    def svg(self) -> SafeString:
        return draw(self)


def window_hours(window: str, now: datetime | None = None) -> list[datetime]:
    """The hours (UTC, floored) a window's chart shows, oldest first, the current one last."""
    end = floor_hour(now or timezone.now())
    count = int(WINDOWS[window] / HOUR)
    return [end - HOUR * (count - 1 - i) for i in range(count)]


def dashboard_charts(window: str, order_kind: str, now: datetime | None = None) -> list[Chart]:
    hours = window_hours(window, now)
    kind_rows = KindHour.objects.filter(hour__gte=hours[0], hour__lte=hours[-1]).order_by()
    by_kind: dict[str, dict[datetime, KindHour]] = {}
    for row in kind_rows:
        by_kind.setdefault(row.kind, {})[row.hour] = row
    orders = by_kind.get(order_kind, {})
    shipments = {
        row.hour: row
        for row in ShipmentHour.objects.filter(hour__gte=hours[0], hour__lte=hours[-1]).order_by()
    }

    def order_values(read):
        return [read(orders[h]) if h in orders else None for h in hours]

    busiest = sorted(by_kind, key=lambda k: -sum(r.received for r in by_kind[k].values()))
    return [
        Chart(
            "Order fallout rate",
            "%",
            hours,
            [Series("failed of received", order_values(_fallout_percent))],
        ),
        Chart(
            "Received → posted latency",
            "s",
            hours,
            [
                Series("p50", order_values(lambda r: _seconds(r.latency_p50_ms))),
                Series("p95", order_values(lambda r: _seconds(r.latency_p95_ms))),
            ],
        ),
        Chart(
            "Posted → shipped delay",
            "h",
            hours,
            [
                Series("p50", [_hours_of(shipments.get(h), "delay_p50_s") for h in hours]),
                Series("p95", [_hours_of(shipments.get(h), "delay_p95_s") for h in hours]),
            ],
        ),
        Chart(
            "Throughput per kind",
            "/h",
            hours,
            [
                Series(
                    kind, [by_kind[kind][h].received if h in by_kind[kind] else 0 for h in hours]
                )
                for kind in busiest[:MAX_KIND_LINES]
            ],
        ),
    ]


def _fallout_percent(row: KindHour) -> float | None:
    return round(100 * row.failed / row.received, 1) if row.received else None


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 1000, 2)


def _hours_of(row: ShipmentHour | None, field_name: str) -> float | None:
    value = getattr(row, field_name) if row is not None else None
    return None if value is None else round(value / 3600, 2)


def draw(chart: Chart) -> SafeString:
    """One SVG line chart: y from 0 to the largest value, the window's hours along x."""
    points = [v for s in chart.series for v in s.values if v is not None]
    top = max(points, default=0) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    count = max(len(chart.hours) - 1, 1)

    def xy(i: int, value: float) -> str:
        x = PAD_LEFT + plot_w * i / count
        y = PAD_TOP + plot_h * (1 - value / top)
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg class="console-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(chart.title)} ({escape(chart.unit)})</title>",
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + plot_h}" x2="{WIDTH - 8}" '
        f'y2="{PAD_TOP + plot_h}" class="axis"/>',
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + plot_h}" '
        'class="axis"/>',
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">'
        f"{_label(top)} {escape(chart.unit)}</text>",
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + plot_h}" text-anchor="end">0</text>',
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}">{chart.hours[0]:%d %b %H:00}</text>',
        f'<text x="{WIDTH - 8}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{chart.hours[-1]:%d %b %H:00} UTC</text>",
    ]
    for index, series in enumerate(chart.series):
        color = PALETTE[index % len(PALETTE)]
        values = ",".join("" if v is None else _label(v) for v in series.values)
        parts.append(
            f'<g class="series" data-label="{escape(series.label)}" data-values="{values}">'
        )
        for run in _runs(series.values):
            if len(run) == 1:
                i, value = run[0]
                x, y = xy(i, value).split(",")
                parts.append(f'<circle cx="{x}" cy="{y}" r="2" fill="{color}"/>')
            else:
                line = " ".join(xy(i, value) for i, value in run)
                parts.append(f'<polyline points="{line}" fill="none" stroke="{color}"/>')
        parts.append("</g>")
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def legend(chart: Chart) -> list[tuple[str, str]]:
    return [(PALETTE[i % len(PALETTE)], s.label) for i, s in enumerate(chart.series)]


def _runs(values: list[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive measured points; an hour without a value breaks the line."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((i, value))
    return [run for run in runs if run]


def _label(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:.0f}"
