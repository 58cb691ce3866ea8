"""ANSI X12 EDI with 3PL warehouses: 940 out, 945/846/997 in, 997 back.

Receiving a file::

    interchanges = read_interchanges(data)          # EnvelopeError on a broken file
    for interchange in interchanges:
        for group in interchange.groups:
            results = read_group(group)             # one SetResult per set
            ack = build_997(group, results)         # AK3/AK4 for refused sets
            reply = write_997(ack, envelope)        # envelope: our ids + next numbers
            for result in results:
                result.document                     # ShippingAdvice, InventoryAdvice...
                result.error                        # DocumentError (AK3/AK4 notes)

Sending shipping orders::

    data = write_940([ShippingOrder(...)], envelope)

Errors: ``EnvelopeError`` (the whole file) and ``DocumentError`` (one set),
both ``PermanentError``; the writers raise ``ConfigError`` for an impossible
envelope (an id longer than 15 characters, a control number out of range).
Reading never raises anything else, whatever the bytes.

Modules: ``tokenizer`` (delimiters from the ISA, segments), ``envelope``
(Interchange/FunctionalGroup/TransactionSet + validation), ``control_numbers``
(compared as numbers, duplicates), ``writer``
(Envelope, fixed-width ISA), ``w940``/``w945``/``w846``/``ack997``
(documents), ``group_reader`` (per-set outcomes), ``cli`` (the inspector).
"""

from connectors.edi.ack997 import FunctionalAck, SetAck, build_997, read_997, write_997
from connectors.edi.envelope import (
    FunctionalGroup,
    Interchange,
    TransactionSet,
    iter_interchanges,
    read_interchanges,
)
from connectors.edi.errors import DocumentError, ElementNote, EnvelopeError, SegmentNote
from connectors.edi.group_reader import SetResult, read_group, read_set
from connectors.edi.shipping import CarrierRouting, PackageMark, Party, QualifiedDate, Reference
from connectors.edi.tokenizer import Delimiters, tokenize
from connectors.edi.w846 import InventoryAdvice, InventoryItem, InventoryQuantity, read_846
from connectors.edi.w940 import ShippingOrder, ShippingOrderLine, read_940, write_940
from connectors.edi.w945 import ShippingAdvice, ShippingAdviceLine, read_945, write_945
from connectors.edi.writer import EdiIdentity, Envelope

__all__ = [
    "CarrierRouting",
    "Delimiters",
    "DocumentError",
    "EdiIdentity",
    "ElementNote",
    "Envelope",
    "EnvelopeError",
    "FunctionalAck",
    "FunctionalGroup",
    "Interchange",
    "InventoryAdvice",
    "InventoryItem",
    "InventoryQuantity",
    "PackageMark",
    "Party",
    "QualifiedDate",
    "Reference",
    "SegmentNote",
    "SetAck",
    "SetResult",
    "ShippingAdvice",
    "ShippingAdviceLine",
    "ShippingOrder",
    "ShippingOrderLine",
    "TransactionSet",
    "build_997",
    "iter_interchanges",
    "read_846",
    "read_940",
    "read_945",
    "read_997",
    "read_group",
    "read_interchanges",
    "read_set",
    "tokenize",
    "write_940",
    "write_945",
    "write_997",
]
