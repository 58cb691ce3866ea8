"""What can be wrong with IDoc-XML, said precisely enough to act on.

Every refusal is an ``IdocError`` (a ``PermanentError``: sending the same
bytes again will not help) that names, as far as they are known:

* the IDoc: its ``docnum`` (EDI_DC40-DOCNUM) and its ``position`` in the
  package (1-based), which is all there is for an IDoc SAP has not numbered;
* the ``segment`` (``E1EDL24``) and its ``segment_number``, SAP's SEGNUM:
  the 1-based position among the IDoc's data segments, depth first;
* the ``field`` (``LFIMG``);
* the ``line`` (and ``column`` for XML syntax) in the file;
* the ``detail``: what is wrong, for a person.

``str(error)`` reads
``IDoc 0000000000004711, segment E1EDL24 #7, field LFIMG, line 42: 'x' is not a number``.

The subclasses say which kind of problem it is; the transaction runner only
needs ``PermanentError``, the operator reads the message.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.errors import PermanentError


class IdocError(PermanentError):
    """Base class of every refusal; see the module docstring for the attributes."""

    code = "idoc"

    def __init__(
        self,
        detail: str,
        *,
        docnum: str = "",
        position: int | None = None,
        segment: str = "",
        segment_number: int | None = None,
        field: str = "",
        line: int | None = None,
        column: int | None = None,
    ):
        self.detail = detail
        self.docnum = docnum
        self.position = position
        self.segment = segment
        self.segment_number = segment_number
        self.field = field
        self.line = line
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = []
        if self.docnum:
            parts.append(f"IDoc {self.docnum}")
        elif self.position is not None:
            parts.append(f"IDoc #{self.position} of the package (no DOCNUM)")
        if self.segment:
            number = f" #{self.segment_number}" if self.segment_number else ""
            parts.append(f"segment {self.segment}{number}")
        if self.field:
            parts.append(f"field {self.field}")
        if self.line:
            parts.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        return f"{', '.join(parts)}: {self.detail}" if parts else self.detail

    def located(self, *, docnum: str, position: int | None) -> IdocError:
        """This error, naming the IDoc it was found in (segment readers do not know it)."""
        self.docnum = self.docnum or docnum
        self.position = self.position if self.position is not None else position
        self.args = (self.describe(),)
        return self


class MalformedXmlError(IdocError):
    """The bytes are not well-formed XML (``line`` and ``column`` say where)."""

    code = "idoc_malformed_xml"


class UnsafeXmlError(IdocError):
    """The document declares a DOCTYPE: DTDs and entity declarations (XXE) are refused."""

    code = "idoc_unsafe_xml"


class PackageTooLargeError(IdocError):
    """The package is over the size limit; reading stopped at the limit."""

    code = "idoc_too_large"


class IdocStructureError(IdocError):
    """Elements are not where IDoc-XML puts them: no IDOC, no EDI_DC40, a
    mandatory segment missing or repeated, a package root that does not match
    the IDoc type."""

    code = "idoc_structure"


class UnknownIdocTypeError(IdocError):
    """EDI_DC40-IDOCTYP names a type no reader was given for."""

    code = "idoc_unknown_type"


class MissingFieldError(IdocError):
    """A mandatory field is absent or empty."""

    code = "idoc_missing_field"


class InvalidValueError(IdocError):
    """A field's value does not parse (number, date, time, digits) or cannot be written."""

    code = "idoc_invalid_value"


@dataclass(frozen=True, slots=True)
class RefusedRow:
    """One record of a master-data file (a material, a price) that was not accepted.

    Not an exception: the catalog readers yield it in the record's place and
    go on with the next one, so one bad row never stops a million-row load.
    ``position`` is the 1-based IDoc in the file, ``docnum`` its DOCNUM,
    ``key`` the record's business key as far as it was read (MATNR, or the
    condition's VAKEY), ``segment`` and ``field`` where the problem is, and
    ``reason`` what is wrong, for a person (``EAN11 4006381333932: check
    digit should be 1``). ``line`` is the segment's line in the file.
    """

    position: int
    docnum: str
    key: str
    segment: str
    field: str
    reason: str
    line: int | None = None
