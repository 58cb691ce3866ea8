"""How the simulated warehouse behaves, as one frozen value."""

from dataclasses import dataclass, field
from decimal import Decimal

from connectors.edi.shipping import CarrierRouting
from connectors.edi.writer import EdiIdentity
from connectors.errors import ConfigError
from connectors.sandbox_warehouse.inventory import StockedProduct

WAREHOUSE_IDENTITY = EdiIdentity("ZZ", "SANDBOX3PL")
PLATFORM_IDENTITY = EdiIdentity("ZZ", "SYNCPLATFORM")


@dataclass(frozen=True, kw_only=True)
class WarehouseSettings:
    """Times are seconds, shares 0..1; ``ConfigError`` on construction when out of range.

    ``identity``/``partner`` address the 846s (replies to a 940 swap the 940's
    own envelope identities instead). ``carrier`` fills what a 940's W66
    leaves blank. ``seed_products`` are listed in 846s before any 940 names
    them; every product starts with ``starting_stock`` on hand.
    """

    identity: EdiIdentity = WAREHOUSE_IDENTITY
    partner: EdiIdentity = PLATFORM_IDENTITY
    ship_delay: float = 5.0
    short_share: float = 0.0
    inventory_every: float = 60.0  # 0: never
    poll_seconds: float = 1.0
    carrier: CarrierRouting = field(
        default_factory=lambda: CarrierRouting(
            scac="SBXP", transportation_method="U", payment_method="PP"
        )
    )
    seed_products: tuple[StockedProduct, ...] = ()
    starting_stock: Decimal = Decimal(100)
    warehouse_name: str = "SANDBOX 3PL"
    version: str = "004010"
    max_file_bytes: int = 16 * 1024 * 1024

    def __post_init__(self):
        if not 0 <= self.short_share <= 1:
            raise ConfigError(f"short share {self.short_share} is not between 0 and 1")
        if self.ship_delay < 0 or self.inventory_every < 0 or self.poll_seconds <= 0:
            raise ConfigError("ship delay and inventory interval must be >= 0, poll > 0")
