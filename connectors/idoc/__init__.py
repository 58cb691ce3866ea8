"""IDoc-XML with the ERP: SHPCON deliveries and WMMBXY movements out, INVOIC02 in,
the material master (MATMAS05) and prices (COND_A04) in.

Receiving a package (plain, or in a SOAP body)::

    for document in read_package(path_or_bytes_or_file):   # streamed, one IDoc at a time
        document.control.docnum                              # Delivery, GoodsMovement, Invoice

    for idoc in iter_idocs(source):                          # the generic form: control
        idoc.control, idoc.segments, idoc.segment_count      # record + segment tree

Sending a package::

    count = write_delvry07(deliveries, binary_file)          # streamed; soap=True wraps it

Reading a catalog file (any size; one record at a time, a bad one refused
in its place as a ``RefusedRow`` with its reason, the load goes on)::

    for row in read_materials(binary_file):                  # Material | RefusedRow
        row.number, row.units, row.sales_areas, row.content_hash()
    for row in read_prices(binary_file):                     # Price | RefusedRow

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
one module per IDoc type (``delvry07``, ``wmmbid02``, ``invoic02``,
``matmas05``, ``cond_a04``: dataclasses, ``read_*``, ``write_*``,
``*_idoc``), ``records`` (the record-at-a-time reader of large master-data
files), ``catalog_files`` (generator of large MATMAS05/COND_A04 test files),
``readers`` (IDOCTYP -> reader), ``cli`` (the inspector and generators).
"""

from connectors.idoc.cond_a04 import Price, cond_a04_idoc, read_prices, write_prices
from connectors.idoc.control import ControlRecord, format_docnum
from connectors.idoc.delvry07 import (
    Delivery,
    DeliveryDate,
    DeliveryItem,
    DeliveryPartner,
    HandlingUnit,
    HandlingUnitItem,
    delvry07_idoc,
    delvry07_written,
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
    RefusedRow,
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
from connectors.idoc.matmas05 import (
    Material,
    MaterialDescription,
    MaterialUnit,
    PlantData,
    SalesArea,
    matmas05_idoc,
    read_materials,
    write_materials,
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
from connectors.idoc.writing import WrittenIdoc, package_bytes, write_idocs

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
    "Material",
    "MaterialDescription",
    "MaterialUnit",
    "MissingFieldError",
    "PackageTooLargeError",
    "PlantData",
    "Price",
    "Reader",
    "RefusedRow",
    "SalesArea",
    "Segment",
    "UnknownIdocTypeError",
    "UnsafeXmlError",
    "WrittenIdoc",
    "build_segment",
    "cond_a04_idoc",
    "delvry07_idoc",
    "delvry07_written",
    "format_docnum",
    "invoic02_idoc",
    "iter_idocs",
    "matmas05_idoc",
    "package_bytes",
    "read_delvry07",
    "read_idoc",
    "read_invoic02",
    "read_materials",
    "read_package",
    "read_prices",
    "read_wmmbid02",
    "unwrap_soap",
    "wmmbid02_idoc",
    "wrap_in_soap",
    "write_delvry07",
    "write_idocs",
    "write_invoic02",
    "write_materials",
    "write_prices",
    "write_wmmbid02",
]
