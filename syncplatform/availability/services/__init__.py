"""Available-to-sell use cases (importing this declares the app's transaction kinds)."""

from .components import Target, compute, targets_of
from .publication import (
    InventoryQuantity,
    publish_availability,
    publisher_for,
    queue_publication,
    record_published,
)
from .queries import UnknownLocation, UnknownSku, availability_of
from .recompute import recompute_availability, recompute_chunk
from .refresh import refresh_availability
from .safety import delete_safety_stock, recompute_location, save_safety_stock
from .scheduling import RECOMPUTE_CHUNK, schedule_sku_recompute, schedule_stock_recompute
from .stale import collect_stale_availability, mark_stale

__all__ = [
    "RECOMPUTE_CHUNK",
    "InventoryQuantity",
    "Target",
    "UnknownLocation",
    "UnknownSku",
    "availability_of",
    "collect_stale_availability",
    "compute",
    "delete_safety_stock",
    "mark_stale",
    "publish_availability",
    "publisher_for",
    "queue_publication",
    "recompute_availability",
    "recompute_chunk",
    "recompute_location",
    "record_published",
    "refresh_availability",
    "save_safety_stock",
    "schedule_sku_recompute",
    "schedule_stock_recompute",
    "targets_of",
]
