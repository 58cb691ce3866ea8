"""What fulfilment tells apps above it, without knowing them (they connect receivers).

Both are sent inside the database transaction of the file that carried the
news (a 945 or an 846), so a receiver's writes commit or roll back with it;
a receiver must not call out to a partner from here.
"""

from django.dispatch import Signal

shipment_recorded = Signal()
"""A 945 set was recorded as a new ``Shipment`` (``shipment=``); sent once per shipment."""

stock_reported = Signal()
"""An 846 updated a warehouse's stock positions (``warehouse=``, ``interchange=``, ``materials=``).

``materials`` are the ERP materials the report named (its positions now
carry ``interchange`` unless a newer report had already arrived).
"""
