"""IDoc-XML with the ERP: SHPCON deliveries and WMMBXY movements out, INVOIC02 in.

Receiving a package (plain, or in a SOAP body)::

    for document in read_package(path_or_bytes_or_file):   # streamed, one IDoc at a time
        document.control.docnum                              # Delivery, GoodsMovement, Invoice

    for idoc in iter_idocs(source):                          # the generic form: control
        idoc.control, idoc.segments, idoc.segment_count      # record + segment tree

Sending a package::

    count = write_delvry07(deliveries, binary_file)          # streamed; soap=True wraps it

Errors: every refusal is an ``IdocError`` (a ``PermanentError``) naming the
IDoc (DOCNUM), the segment, the field and the line: ``MalformedXmlError``,
``UnsafeXmlError`` (DOCTYPE/entities), ``PackageTooLargeError``,
``IdocStructureError``, ``UnknownIdocTypeError``, ``MissingFieldError``,
``InvalidValueError``. Writers raise ``ConfigError`` for a control record
that cannot be sent (a port longer than SAP's field). Reading raises nothing
else, whatever the bytes (``OSError`` for a path that cannot be opened).

Everything here is pure: the same bytes read to the same documents and the
same documents write to the same bytes, nothing is remembered between calls,
so repeating a call is always safe (DOCNUMs come from the caller's sequence).

Modules: ``values`` (SAP's text for numbers, dates, times), ``control``
(EDI_DC40), ``segments`` (Idoc, Segment, accessors), ``package`` (the
streaming reader), ``writing`` (the streaming writer), ``soap`` (envelopes),
one module per IDoc type (``delvry07``, ``wmmbid02``, ``invoic02``:
dataclasses, ``read_*``, ``write_*``, ``*_idoc``), ``readers`` (IDOCTYP ->
reader), ``cli`` (the inspector).
"""

from connectors.idoc.control import ControlRecord, format_docnum
from connectors.idoc.delvry07 import (
    Delivery,
    DeliveryDate,
    DeliveryItem,
    DeliveryPartner,
    HandlingUnit,
    HandlingUnitItem,
    delvry07_idoc,
    read_delvry07,
    write_delvry07,
)
from connectors.idoc.errors import (
    IdocError,
    IdocStructureError,
    InvalidValueError,
    MalformedXmlError,
    MissingFieldError,
    PackageTooLargeError,
    UnknownIdocTypeError,
    UnsafeXmlError,
)
from connectors.idoc.invoic02 import (
    Amount,
    DocumentReference,
    Invoice,
    InvoiceDate,
    InvoiceItem,
    InvoicePartner,
    InvoiceTotal,
    ItemIdentifier,
    ItemTax,
    invoic02_idoc,
    read_invoic02,
    write_invoic02,
)
from connectors.idoc.package import DEFAULT_MAX_BYTES, iter_idocs
from connectors.idoc.readers import READERS, Reader, read_idoc, read_package
from connectors.idoc.segments import Idoc, Segment, build_segment
from connectors.idoc.soap import unwrap_soap, wrap_in_soap
from connectors.idoc.wmmbid02 import (
    GoodsMovement,
    GoodsMovementItem,
    read_wmmbid02,
    wmmbid02_idoc,
    write_wmmbid02,
)
from connectors.idoc.writing import package_bytes, write_idocs

__all__ = [
    "DEFAULT_MAX_BYTES",
    "READERS",
    "Amount",
    "ControlRecord",
    "Delivery",
    "DeliveryDate",
    "DeliveryItem",
    "DeliveryPartner",
    "DocumentReference",
    "GoodsMovement",
    "GoodsMovementItem",
    "HandlingUnit",
    "HandlingUnitItem",
    "Idoc",
    "IdocError",
    "IdocStructureError",
    "InvalidValueError",
    "Invoice",
    "InvoiceDate",
    "InvoiceItem",
    "InvoicePartner",
    "InvoiceTotal",
    "ItemIdentifier",
    "ItemTax",
    "MalformedXmlError",
    "MissingFieldError",
    "PackageTooLargeError",
    "Reader",
    "Segment",
    "UnknownIdocTypeError",
    "UnsafeXmlError",
    "build_segment",
    "delvry07_idoc",
    "format_docnum",
    "invoic02_idoc",
    "iter_idocs",
    "package_bytes",
    "read_delvry07",
    "read_idoc",
    "read_invoic02",
    "read_package",
    "read_wmmbid02",
    "unwrap_soap",
    "wmmbid02_idoc",
    "wrap_in_soap",
    "write_delvry07",
    "write_idocs",
    "write_invoic02",
    "write_wmmbid02",
]
