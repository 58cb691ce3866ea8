"""What orders tell apps above them, without knowing them (they connect receivers).

Sent inside the database transaction that changed the order, so a receiver's
writes commit or roll back with it; a receiver that starts work elsewhere
defers it with ``transaction.on_commit``. Arguments are plain values, so
receivers never hold an ``Order`` (other apps read orders through ``reads``).
"""

from django.dispatch import Signal

order_accepted = Signal()
"""A new order was stored (``order_id=``, ``channel_id=``, ``fulfillment_location=``,
``skus=`` its lines' channel SKUs); sent once per order, never for a replay."""
