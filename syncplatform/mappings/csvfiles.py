"""Mapping tables as CSV: bulk import (with a per-row report) and export in the same format."""

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner

from .choices import CodeType, MappingKind
from .models import CodeMapping, CustomerMapping, LocationMapping, SkuMapping


@dataclass(frozen=True)
class CsvFormat:
    model: type
    key: tuple[str, ...]  # columns that identify a row (after ``channel``)
    values: tuple[str, ...]  # columns that are updated in place

    @property
    def header(self) -> list[str]:
        return ["channel", *self.key, *self.values]


FORMATS = {
    MappingKind.SKU: CsvFormat(SkuMapping, ("channel_sku",), ("erp_material", "erp_unit")),
    MappingKind.LOCATION: CsvFormat(
        LocationMapping, ("channel_location",), ("erp_plant", "erp_storage_location", "warehouse")
    ),
    MappingKind.CUSTOMER: CsvFormat(CustomerMapping, ("channel_customer_id",), ("erp_sold_to",)),
    MappingKind.CODE: CsvFormat(CodeMapping, ("code_type", "channel_code"), ("erp_code",)),
}
OPTIONAL = {"erp_storage_location", "warehouse"}


class BadMappingFile(Exception):
    """The file as a whole cannot be read (wrong header, not CSV); nothing was imported."""


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def import_mappings(kind: str, text: str, *, user=None) -> ImportReport:
    """Add or change mappings from CSV text; refuse bad rows with a reason each.

    Rows are keyed by channel + key columns: a known key is updated in place
    (and its history records ``user``), an unknown key is added. Good rows are
    applied even when others are refused; a repeated key in the same file is
    refused at its second occurrence. Running the same file twice changes nothing.
    """
    fmt = FORMATS[MappingKind(kind)]
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or [h.strip() for h in reader.fieldnames] != fmt.header:
        raise BadMappingFile(
            f"header must be {','.join(fmt.header)}; got {','.join(reader.fieldnames or [])}"
        )
    partners = {p.code: p for p in Partner.objects.all()}
    report, seen = ImportReport(), {}
    with transaction.atomic():
        for row in reader:
            # The physical line (blank lines and quoted newlines count), as an editor shows it.
            line = reader.line_num
            row = {name: (value or "").strip() for name, value in row.items() if name}
            try:
                key, values = _clean_row(fmt, row, partners)
            except ValueError as exc:
                report.refused.append((line, str(exc)))
                continue
            if key in seen:
                report.refused.append((line, f"same key as line {seen[key]}"))
                continue
            seen[key] = line
            _apply(fmt, key, values, user, report)
    return report


def _clean_row(fmt, row, partners):
    for name in fmt.header:
        if not row.get(name) and name not in OPTIONAL:
            raise ValueError(f"{name} is empty")
    channel = partners.get(row["channel"])
    if channel is None or channel.kind != PartnerKind.CHANNEL:
        raise ValueError(f"channel {row['channel']!r} is not a channel partner")
    values = {name: row[name] for name in fmt.values}
    if "code_type" in fmt.key and row["code_type"] not in CodeType.values:
        raise ValueError(
            f"code_type {row['code_type']!r} is not one of {', '.join(CodeType.values)}"
        )
    if "warehouse" in values:
        code = values.pop("warehouse")
        warehouse = partners.get(code) if code else None
        if code and (warehouse is None or warehouse.kind != PartnerKind.WAREHOUSE):
            raise ValueError(f"warehouse {code!r} is not a warehouse partner")
        values["warehouse_id"] = warehouse.pk if warehouse else None
    # Key columns too: a too-long key would otherwise abort the whole import at the database.
    for name, value in [*((k, row[k]) for k in fmt.key), *values.items()]:
        limit = getattr(fmt.model._meta.get_field(name), "max_length", None)
        if limit and value and len(value) > limit:
            raise ValueError(f"{name} is longer than {limit} characters")
    key = (channel.pk, *(row[name] for name in fmt.key))
    return key, values


def _apply(fmt, key, values, user, report):
    lookup = dict(zip(("channel_id", *fmt.key), key, strict=True))
    current = fmt.model.objects.filter(**lookup).first()
    if current is None:
        mapping = fmt.model(**lookup, **values)
        report.added += 1
    elif any(getattr(current, name) != value for name, value in values.items()):
        mapping = current
        for name, value in values.items():
            setattr(mapping, name, value)
        report.changed += 1
    else:
        report.unchanged += 1
        return
    mapping._history_user = user
    mapping.save()


def export_mappings(kind: str, queryset) -> str:
    """The rows as CSV in exactly the format ``import_mappings`` reads."""
    fmt = FORMATS[MappingKind(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fmt.header)
    for mapping in queryset.select_related("channel").order_by("pk"):
        row = [mapping.channel.code]
        for name in (*fmt.key, *fmt.values):
            if name == "warehouse":
                row.append(mapping.warehouse.code if mapping.warehouse_id else "")
            else:
                row.append(getattr(mapping, name))
        writer.writerow(row)
    return out.getvalue()
