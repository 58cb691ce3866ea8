"""Which reader turns which IDoc type into its dataclass.

``READERS`` maps IDOCTYP to a function ``Idoc -> document``: only the types
this connector knows. The platform declares the documents it accepts in its
own registry and passes its mapping (``{**READERS, "MATMAS05": read_matmas}``)
to ``read_package``; nothing here needs an edit for a new type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType

from connectors.idoc.delvry07 import IDOC_TYPE as DELVRY07
from connectors.idoc.delvry07 import read_delvry07
from connectors.idoc.errors import IdocError, UnknownIdocTypeError
from connectors.idoc.invoic02 import IDOC_TYPE as INVOIC02
from connectors.idoc.invoic02 import read_invoic02
from connectors.idoc.package import DEFAULT_MAX_BYTES, Source, iter_idocs
from connectors.idoc.segments import Idoc
from connectors.idoc.wmmbid02 import IDOC_TYPE as WMMBID02
from connectors.idoc.wmmbid02 import read_wmmbid02

Reader = Callable[[Idoc], object]

READERS: Mapping[str, Reader] = MappingProxyType(
    {
        DELVRY07: read_delvry07,
        INVOIC02: read_invoic02,
        WMMBID02: read_wmmbid02,
    }
)


def read_idoc(idoc: Idoc, readers: Mapping[str, Reader] = READERS) -> object:
    """The dataclass of one IDoc; ``UnknownIdocTypeError`` when no reader has its type."""
    control = idoc.control
    reader = readers.get(control.idoc_type)
    if reader is None:
        known = ", ".join(sorted(readers)) or "none"
        raise UnknownIdocTypeError(
            f"IDoc type {control.idoc_type} is not one this platform reads (it reads {known})",
            docnum=control.docnum,
            position=idoc.position or None,
            segment="EDI_DC40",
            field="IDOCTYP",
        )
    try:
        return reader(idoc)
    except IdocError as error:
        raise error.located(docnum=control.docnum, position=idoc.position or None) from None


def read_package(
    source: Source,
    readers: Mapping[str, Reader] = READERS,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[object]:
    """Each IDoc of a package as its dataclass, streamed (see ``iter_idocs``).

    The first IDoc that cannot be read raises its error; the ones yielded
    before it were sound. A caller that accepts or refuses a package whole
    reads it through once before applying anything.
    """
    for idoc in iter_idocs(source, max_bytes=max_bytes):
        yield read_idoc(idoc, readers)
