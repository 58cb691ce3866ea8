"""What would fix a failure: its cause, read off the failed transaction by error code.

A failed transaction stores its error code and the message an operator reads.
A *cause reader*, declared for an error code, turns one failed row into the
causes that fixing would clear, each with its fixes (links). Codes without a
reader fall back to one cause per kind, code and partner. A new code with a
fix of its own is one declaration here::

    @cause_reader("mapping_missing")
    def missing_mappings(failure: Failure) -> list[Cause]: ...
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from syncplatform.audit import registry


@dataclass(frozen=True)
class Failure:
    """One open failure as the grouping reads it (values of a failed transaction)."""

    id: int
    kind: str
    code: str
    message: str
    partner_id: int | None
    partner_code: str
    finished_at: datetime | None


@dataclass(frozen=True)
class Fix:
    """A link to what fixes a cause; offered only to a user with ``permission`` (if any)."""

    label: str
    url: str
    permission: str = ""

    def offered_to(self, user) -> bool:
        return not self.permission or user.has_perm(self.permission)


@dataclass(frozen=True)
class Cause:
    """One thing to fix. ``subject`` tells causes of one kind and code apart ("sku X")."""

    kind: str
    code: str
    partner_id: int | None
    subject: str
    title: str
    fixes: tuple[Fix, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """A stable id for URLs: the same cause has the same key on every page load."""
        raw = f"{self.kind}\x1f{self.code}\x1f{self.partner_id}\x1f{self.subject}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


CauseReader = Callable[[Failure], list[Cause]]
_READERS: dict[str, CauseReader] = {}


def cause_reader(code: str):
    """Declare the decorated function as the reader of failures with error ``code``."""

    def declare(reader: CauseReader) -> CauseReader:
        _READERS[code] = reader
        return reader

    return declare


def causes_of(failure: Failure) -> list[Cause]:
    """The causes of one failure: its code's reader's, else one generic cause."""
    reader = _READERS.get(failure.code)
    causes = reader(failure) if reader else []
    return causes or [generic_cause(failure)]


def generic_cause(failure: Failure) -> Cause:
    try:
        described = registry.kind(failure.kind).description
    except registry.UnknownKind:
        described = failure.kind
    where = f" ({failure.partner_code})" if failure.partner_code else ""
    return Cause(
        kind=failure.kind,
        code=failure.code,
        partner_id=failure.partner_id,
        subject="",
        title=f"{described}: {failure.code or 'failed'}{where}",
        fixes=partner_fixes(failure),
    )


def partner_fixes(failure: Failure) -> tuple[Fix, ...]:
    if failure.partner_id is None:
        return ()
    url = reverse("admin:partners_partner_change", args=[failure.partner_id])
    return (Fix(f"Partner settings of {failure.partner_code}", url, "partners.view_partner"),)


# --- mapping_missing --------------------------------------------------------------------
# MissingMappings (syncplatform/mappings/services.py) writes
# "missing mappings for channel <code>: sku A, location B, customer C, code tax X";
# tests/console/test_console_failure_groups.py holds this parser to that format.
MISSING_PREFIX = re.compile(r"^missing mappings for channel (?P<channel>\S+): (?P<gaps>.+)$", re.S)

# entry type -> (admin model, the form's field for the channel's value, what an operator reads)
MAPPING_FORMS = {
    "sku": ("skumapping", "channel_sku", "SKU {value} has no mapping"),
    "location": ("locationmapping", "channel_location", "location {value} has no mapping"),
    "customer": ("customermapping", "channel_customer_id", "customer {value} has no mapping"),
}


def missing_entries(message: str) -> list[str]:
    """The gaps a ``mapping_missing`` message names, as written: ``["sku A", "code tax X"]``."""
    found = MISSING_PREFIX.match(message.strip())
    if not found:
        return []
    return [gap.strip() for gap in found["gaps"].split(", ") if gap.strip()]


def mapping_entry(entry: str) -> tuple[str, dict[str, str]] | None:
    """``"sku A"`` -> ``("skumapping", {"channel_sku": "A"})``; None if unreadable."""
    entry_type, _, rest = entry.partition(" ")
    if entry_type in MAPPING_FORMS and rest:
        model, field_name, _ = MAPPING_FORMS[entry_type]
        return model, {field_name: rest}
    if entry_type == "code":
        code_type, _, value = rest.partition(" ")
        if code_type and value:
            return "codemapping", {"code_type": code_type, "channel_code": value}
    return None


def describe_entry(entry: str) -> str:
    entry_type, _, rest = entry.partition(" ")
    if entry_type in MAPPING_FORMS:
        return MAPPING_FORMS[entry_type][2].format(value=rest)
    if entry_type == "code":
        code_type, _, value = rest.partition(" ")
        return f"{code_type} code {value} has no mapping"
    return entry


@cause_reader("mapping_missing")
def missing_mappings(failure: Failure) -> list[Cause]:
    """One cause per missing mapping: adding it is the fix (an order may need several)."""
    causes = []
    for entry in missing_entries(failure.message):
        form = mapping_entry(entry)
        fixes = []
        if form is not None and failure.partner_id is not None:
            model, values = form
            query = urlencode({"channel": failure.partner_id, **values})
            url = f"{reverse(f'admin:mappings_{model}_add')}?{query}"
            fixes.append(Fix("Add the mapping", url, f"mappings.add_{model}"))
        causes.append(
            Cause(
                kind=failure.kind,
                code=failure.code,
                partner_id=failure.partner_id,
                subject=entry,
                title=f"{describe_entry(entry)} ({failure.partner_code})",
                fixes=(*fixes, *partner_fixes(failure)),
            )
        )
    return causes


# --- the ERP refused a document ----------------------------------------------------------
# connectors/erp/faults.py writes "ERP fault <CODE>: <the ERP's own text>"; the text says
# what to fix (a blocked material, a closed period), so it is the group's subject.
ERP_FAULT = re.compile(r"^ERP fault \S+: (?P<text>.+)$", re.S)


@cause_reader("erp_validation")
@cause_reader("erp_fault")
def erp_refusal(failure: Failure) -> list[Cause]:
    refused = ERP_FAULT.match(failure.message.strip())
    if refused is None:
        return []
    text = " ".join(refused["text"].split())[:200]
    where = f" ({failure.partner_code})" if failure.partner_code else ""
    return [
        Cause(
            kind=failure.kind,
            code=failure.code,
            partner_id=failure.partner_id,
            subject=text,
            title=f"ERP refused: {text}{where}",
            fixes=partner_fixes(failure),
        )
    ]
