"""The control record EDI_DC40: who sends which IDoc to whom.

``ControlRecord`` names each field after what it means; the SAP field is in
the comment. Reading is lenient where real systems are (SNDPRT left empty,
no DOCNUM on an IDoc SAP will number itself) and strict where a value cannot
be trusted: IDOCTYP and MESTYP are mandatory, DOCNUM is up to 16 digits,
CREDAT/CRETIM must be a date and a time. Writing checks SAP's field lengths
and raises ``ConfigError`` when one is exceeded: ports and partner numbers
come from the partner's settings, so a value that does not fit is our setup.

For an IDoc we send to SAP (inbound there): ``direction="2"``, our port and
logical system as sender (``sender_partner_type="LS"``), SAP's port
(``SAP<SID>``) and logical system as receiver, and a DOCNUM from our own
sequence (``format_docnum``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from connectors.errors import ConfigError
from connectors.idoc.errors import IdocError, InvalidValueError, MissingFieldError
from connectors.idoc.values import (
    combine,
    format_date,
    format_time,
    parse_date,
    parse_digits,
    parse_time,
)

SEGMENT = "EDI_DC40"
DOCNUM_LENGTH = 16
OUTBOUND = "1"  # DIRECT: sent by SAP
INBOUND = "2"  # DIRECT: received by SAP


@dataclass(frozen=True)
class ControlRecord:
    idoc_type: str  # IDOCTYP, e.g. DELVRY07
    message_type: str  # MESTYP, e.g. SHPCON
    docnum: str = ""  # DOCNUM, 16 digits as SAP writes it; "" when SAP is to number it
    sender_port: str = ""  # SNDPOR
    sender_partner_type: str = ""  # SNDPRT, e.g. LS logical system, KU customer
    sender_partner: str = ""  # SNDPRN
    receiver_port: str = ""  # RCVPOR
    receiver_partner_type: str = ""  # RCVPRT
    receiver_partner: str = ""  # RCVPRN
    created_at: datetime | None = None  # CREDAT + CRETIM
    client: str = ""  # MANDT
    direction: str = ""  # DIRECT: 1 outbound from SAP, 2 inbound to SAP
    status: str = ""  # STATUS, e.g. 30 ready for dispatch
    release: str = ""  # DOCREL
    output_mode: str = ""  # OUTMOD
    is_test: bool = False  # TEST = X
    extension_type: str = ""  # CIMTYP
    message_code: str = ""  # MESCOD
    message_function: str = ""  # MESFCT
    sender_partner_function: str = ""  # SNDPFC
    receiver_partner_function: str = ""  # RCVPFC
    interchange_reference: str = ""  # REFINT
    group_reference: str = ""  # REFGRP
    message_reference: str = ""  # REFMES
    archive_key: str = ""  # ARCKEY
    serial: str = ""  # SERIAL


# (SAP field, attribute, maximum length) in the order of the EDI_DC40 structure
_TEXT_FIELDS = (
    ("MANDT", "client", 3),
    ("DOCNUM", "docnum", DOCNUM_LENGTH),
    ("DOCREL", "release", 4),
    ("STATUS", "status", 2),
    ("DIRECT", "direction", 1),
    ("OUTMOD", "output_mode", 1),
    ("TEST", "is_test", 1),
    ("IDOCTYP", "idoc_type", 30),
    ("CIMTYP", "extension_type", 30),
    ("MESTYP", "message_type", 30),
    ("MESCOD", "message_code", 3),
    ("MESFCT", "message_function", 3),
    ("SNDPOR", "sender_port", 10),
    ("SNDPRT", "sender_partner_type", 2),
    ("SNDPFC", "sender_partner_function", 2),
    ("SNDPRN", "sender_partner", 10),
    ("RCVPOR", "receiver_port", 10),
    ("RCVPRT", "receiver_partner_type", 2),
    ("RCVPFC", "receiver_partner_function", 2),
    ("RCVPRN", "receiver_partner", 10),
    ("CREDAT", "created_at", 8),
    ("CRETIM", "created_at", 6),
    ("REFINT", "interchange_reference", 14),
    ("REFGRP", "group_reference", 14),
    ("REFMES", "message_reference", 14),
    ("ARCKEY", "archive_key", 70),
    ("SERIAL", "serial", 20),
)
_SPECIAL = frozenset({"TEST", "CREDAT", "CRETIM"})


def format_docnum(number: int) -> str:
    """An IDoc number as SAP writes it: 16 digits, zero-padded."""
    text = f"{number:0{DOCNUM_LENGTH}d}"
    if number < 0 or len(text) > DOCNUM_LENGTH:
        raise ConfigError(f"IDoc number {number} does not fit DOCNUM (16 digits)")
    return text


def read_control(fields: Mapping[str, str], line: int | None = None) -> ControlRecord:
    """The control record from EDI_DC40's fields (values already stripped)."""
    try:
        return _read(fields, line)
    except IdocError as error:
        raise error.located(docnum=sound_docnum(fields), position=None) from None


def sound_docnum(fields: Mapping[str, str]) -> str:
    """EDI_DC40-DOCNUM when it is one (1 to 16 digits), to name the IDoc in an error; else ""."""
    docnum = fields.get("DOCNUM", "")
    is_sound = docnum.isascii() and docnum.isdigit() and len(docnum) <= DOCNUM_LENGTH
    return docnum if is_sound else ""


def _read(fields: Mapping[str, str], line: int | None) -> ControlRecord:
    for name in ("IDOCTYP", "MESTYP"):
        if not fields.get(name):
            raise MissingFieldError(
                "mandatory field is missing", segment=SEGMENT, field=name, line=line
            )
    values = {
        attribute: fields.get(name, "")
        for name, attribute, _ in _TEXT_FIELDS
        if name not in _SPECIAL
    }
    if values["docnum"]:
        values["docnum"] = _parsed(parse_digits, fields, "DOCNUM", line, DOCNUM_LENGTH)
    day = _parsed(parse_date, fields, "CREDAT", line)
    moment = _parsed(parse_time, fields, "CRETIM", line)
    return ControlRecord(
        **values, is_test=fields.get("TEST", "") == "X", created_at=combine(day, moment)
    )


def _parsed(parse, fields: Mapping[str, str], name: str, line: int | None, *args):
    try:
        return parse(fields.get(name, ""), *args)
    except ValueError as error:
        raise InvalidValueError(str(error), segment=SEGMENT, field=name, line=line) from None


def control_fields(control: ControlRecord) -> list[tuple[str, str]]:
    """EDI_DC40's fields in SAP's order, TABNAM first; empty ones left out.

    Raises ``ConfigError`` for a value longer than SAP's field or a DOCNUM
    that is not digits.
    """
    if not control.idoc_type or not control.message_type:
        raise ConfigError("a control record needs IDOCTYP and MESTYP")
    if control.docnum and not (control.docnum.isascii() and control.docnum.isdigit()):
        raise ConfigError(f"DOCNUM {control.docnum!r} is not digits")
    created = control.created_at
    fields = [("TABNAM", SEGMENT)]
    for name, attribute, length in _TEXT_FIELDS:
        if name == "TEST":
            value = "X" if control.is_test else ""
        elif name == "CREDAT":
            value = format_date(created) if created else ""
        elif name == "CRETIM":
            value = format_time(created) if created else ""
        else:
            value = getattr(control, attribute)
        if len(value) > length:
            raise ConfigError(f"EDI_DC40-{name} {value!r} is longer than {length} characters")
        if value:
            fields.append((name, value))
    return fields
