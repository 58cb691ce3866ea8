"""846 Inventory Inquiry/Advice: stock positions a 3PL reports per product.

``read_846(transaction_set) -> InventoryAdvice``; raises ``DocumentError``
(AK3/AK4 notes) for a set the platform cannot use. There is no writer: the
platform only receives 846s.

Dataclasses (what the fulfillment app turns into stock positions):

* ``InventoryAdvice``: purpose (BIA01, 00 original), report_type (BIA02),
  report_number (BIA03), reported_on (BIA04, date), parties (header N1
  loops), ``warehouse`` (the WH party, else RL reporting location, else SF),
  items.
* ``InventoryItem``: product_ids (LIN qualifier/id pairs, e.g. SK, UP, VN),
  ``upc``/``sku`` shortcuts, description (PID05), quantities, location (an
  N1 inside the LIN loop, when the partner reports per location).
* ``InventoryQuantity``: qualifier (QTY01: 33 available for sale, 17 on hand,
  ...), quantity (Decimal, QTY02), unit (first component of QTY03, e.g. EA).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connectors.edi.envelope import TransactionSet
from connectors.edi.errors import ElementSyntax
from connectors.edi.segment_reader import (
    calendar_date,
    missing_segment,
    need,
    need_quantity,
    noted,
    out_of_place,
    padded,
    problem,
    raise_for_notes,
    walk_set,
)
from connectors.edi.shipping import Party, PartyLoops
from connectors.edi.w940 import UPC_QUALIFIERS

WAREHOUSE_ROLES = ("WH", "RL", "SF")
SKU_QUALIFIERS = ("SK", "VN", "BP", "IN", "MG")


@dataclass
class ProductId:
    qualifier: str
    value: str


@dataclass
class InventoryQuantity:
    qualifier: str
    quantity: Decimal
    unit: str = ""


@dataclass
class InventoryItem:
    product_ids: tuple[ProductId, ...]
    quantities: tuple[InventoryQuantity, ...] = ()
    description: str = ""
    location: Party | None = None

    def product_id(self, *qualifiers: str) -> str:
        """The first id whose qualifier is in ``qualifiers`` (tried in order), or ''."""
        for qualifier in qualifiers:
            for product in self.product_ids:
                if product.qualifier == qualifier:
                    return product.value
        return ""

    @property
    def sku(self) -> str:
        return self.product_id(*SKU_QUALIFIERS)

    @property
    def upc(self) -> str:
        return self.product_id(*sorted(UPC_QUALIFIERS))

    def quantity(self, qualifier: str) -> Decimal | None:
        return next((q.quantity for q in self.quantities if q.qualifier == qualifier), None)


@dataclass
class InventoryAdvice:
    report_number: str
    reported_on: date
    purpose: str = "00"
    report_type: str = ""
    parties: tuple[Party, ...] = ()
    items: tuple[InventoryItem, ...] = ()

    @property
    def warehouse(self) -> Party | None:
        for role in WAREHOUSE_ROLES:
            for party in self.parties:
                if party.role == role:
                    return party
        return None


class _ItemDraft:
    __slots__ = ("description", "parties", "product_ids", "quantities")

    def __init__(self, product_ids: tuple[ProductId, ...]):
        self.product_ids = product_ids
        self.quantities: list[InventoryQuantity] = []
        self.description = ""
        self.parties = PartyLoops()

    def build(self) -> InventoryItem:
        location = self.parties.parties[0] if self.parties.parties else None
        return InventoryItem(self.product_ids, tuple(self.quantities), self.description, location)


@dataclass
class _AdviceDraft:
    component: str
    bia: list[str] | None = None
    reported_on: date | None = None
    parties: PartyLoops = field(default_factory=PartyLoops)
    items: list[_ItemDraft] = field(default_factory=list)

    @property
    def open_parties(self) -> PartyLoops:
        return self.items[-1].parties if self.items else self.parties


def read_846(ts: TransactionSet) -> InventoryAdvice:
    """The inventory advice in an 846 set; raises ``DocumentError`` with AK3/AK4 notes."""
    draft = _AdviceDraft(component=ts.delimiters.component)
    notes = walk_set(ts, _HANDLERS, draft)
    if draft.bia is None and not noted(notes, "BIA"):
        notes.append(missing_segment("BIA", 2, "BIA (beginning segment for inventory advice)"))
    raise_for_notes(ts, notes)
    bia = draft.bia
    return InventoryAdvice(
        report_number=bia[3],
        reported_on=draft.reported_on,
        purpose=bia[1],
        report_type=bia[2],
        parties=tuple(draft.parties.parties),
        items=tuple(item.build() for item in draft.items),
    )


def _bia(draft: _AdviceDraft, segment: list[str]) -> None:
    if draft.bia is not None:
        out_of_place("an 846 has one BIA")
    s = padded(segment, 5)
    need(s[1], 1, "transaction set purpose (BIA01)")
    need(s[3], 3, "report number (BIA03)")
    draft.reported_on = calendar_date(s[4], 4, "report date (BIA04)", required=True)
    draft.bia = s


def _n1(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.open_parties.start(segment)


def _n2_n3_n4(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.open_parties.amend(segment)


def _lin(draft: _AdviceDraft, segment: list[str]) -> None:
    draft.open_parties.is_open = False
    pairs = tuple(
        ProductId(segment[index], segment[index + 1])
        for index in range(2, len(segment) - 1, 2)
        if segment[index + 1]
    )
    if not pairs:
        problem(3, ElementSyntax.MANDATORY_MISSING, "", "LIN names no product id (LIN03)")
    draft.items.append(_ItemDraft(pairs))


def _pid(draft: _AdviceDraft, segment: list[str]) -> None:
    if draft.items:
        draft.items[-1].description = padded(segment, 6)[5]


def _qty(draft: _AdviceDraft, segment: list[str]) -> None:
    if not draft.items:
        out_of_place("QTY before any LIN")
    draft.open_parties.is_open = False
    s = padded(segment, 4)
    unit = s[3].split(draft.component, 1)[0] if draft.component else s[3]
    draft.items[-1].quantities.append(
        InventoryQuantity(
            need(s[1], 1, "quantity qualifier (QTY01)"),
            need_quantity(s[2], 2, "quantity (QTY02)"),
            unit,
        )
    )


_HANDLERS = {
    "BIA": _bia,
    "N1": _n1,
    "N2": _n2_n3_n4,
    "N3": _n2_n3_n4,
    "N4": _n2_n3_n4,
    "LIN": _lin,
    "PID": _pid,
    "QTY": _qty,
}
