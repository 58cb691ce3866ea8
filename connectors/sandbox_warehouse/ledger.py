"""What the simulated warehouse remembers between polls and restarts.

One JSON file, ``<state>/warehouse.json``, rewritten atomically (temporary
file + ``os.replace``) after every change, so a killed warehouse restarts
where it was:

- ``last_control_number``: the last ISA13/GS06 it used (one counter for all
  its interchanges; 1..999999999, then 1 again);
- ``answered``: interchanges already answered, ``QUALIFIER:SENDER:ISA13``,
  so a 940 file uploaded twice (a retried put) is not shipped twice;
- ``products``: every product seen in a 940 (and the seed list), for the 846;
- ``shipped``: total quantity shipped per product, subtracted from stock;
- ``pending``: shipments waiting for their ship time (the processed 940 file,
  the interchanges of it to ship, the time in epoch seconds);
- ``cancelled``: depositor order numbers cancelled before they shipped.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from connectors.sandbox_warehouse.inventory import StockedProduct

LEDGER_FILE = "warehouse.json"
MAX_CONTROL_NUMBER = 999_999_999
# Enough to recognise any resend in a demo; older entries are forgotten first.
_MAX_REMEMBERED = 10_000


@dataclass
class PendingShipment:
    """Ship the orders of ``interchanges`` in ``file`` (relative to the root) at ``due_at``."""

    file: str
    interchanges: list[str]
    due_at: float


@dataclass
class WarehouseLedger:
    path: Path
    last_control_number: int = 0
    answered: list[str] = field(default_factory=list)
    products: dict[str, StockedProduct] = field(default_factory=dict)
    shipped: dict[str, Decimal] = field(default_factory=dict)
    pending: list[PendingShipment] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, state_folder: Path) -> "WarehouseLedger":
        """The ledger in ``state_folder``, empty when there is none yet."""
        path = Path(state_folder) / LEDGER_FILE
        if not path.exists():
            return cls(path)
        saved = json.loads(path.read_text())
        return cls(
            path,
            last_control_number=saved["last_control_number"],
            answered=saved["answered"],
            products={key: StockedProduct(**value) for key, value in saved["products"].items()},
            shipped={key: Decimal(value) for key, value in saved["shipped"].items()},
            pending=[PendingShipment(**entry) for entry in saved["pending"]],
            cancelled=saved["cancelled"],
        )

    def save(self) -> None:
        saved = {
            "last_control_number": self.last_control_number,
            "answered": self.answered[-_MAX_REMEMBERED:],
            "products": {key: asdict(product) for key, product in self.products.items()},
            "shipped": {key: str(quantity) for key, quantity in self.shipped.items()},
            "pending": [asdict(entry) for entry in self.pending],
            "cancelled": self.cancelled[-_MAX_REMEMBERED:],
        }
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(saved, indent=1, sort_keys=True))
        os.replace(temporary, self.path)

    def next_control_number(self) -> int:
        """Take the next number and save at once, so no number is ever used twice."""
        self.last_control_number = self.last_control_number % MAX_CONTROL_NUMBER + 1
        self.save()
        return self.last_control_number

    def remember_product(self, product: StockedProduct) -> None:
        self.products.setdefault(product.key, product)

    def record_shipped(self, product: StockedProduct, quantity: Decimal) -> None:
        self.shipped[product.key] = self.shipped.get(product.key, Decimal(0)) + quantity
