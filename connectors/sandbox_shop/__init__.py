"""The sandbox shop: a Shopify Admin GraphQL server for the demo, tests and benchmarks.

It speaks the real request and answer shapes of ``productSet``,
``productVariantsBulkUpdate`` and ``inventorySetQuantities`` (and the reads a
publisher needs: ``productVariants(query: "sku:...")``, ``product``,
``inventoryItem``, ``locations``), parsed, validated and executed by
graphql-core against a subset of Shopify's schema (``schema``). It keeps what
it is sent (``store``), charges every request its calculated cost against a
leaky bucket (``throttle``) and injects faults (``faults``). Run it with
``python -m connectors.sandbox_shop --bind 127.0.0.1:8002`` and
``SANDBOX_SHOP_TOKEN`` set (``--help`` for the options), or embed
:class:`SandboxShop` in any WSGI server. URLs are listed in ``app``.
"""

from .app import SandboxShop
from .store import ShopStore

__all__ = ["SandboxShop", "ShopStore"]
