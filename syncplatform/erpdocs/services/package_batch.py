"""A package of IDocs as an outbound batch: one ERP's pending postings of one kind.

``PostingPackage`` supplies the parts ``audit.batches.build_batch`` puts
together (lock, number, build, store, send). Numbers: a block of DOCNUMs from
the ERP's own sequence, one per IDoc; the package is named by its first. The
message id the ERP deduplicates by is drawn once, when the package is stored.
"""

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from connectors.errors import PermanentError
from connectors.idoc import format_docnum, package_bytes
from syncplatform.audit.services import open_transaction

from ..choices import ERP_IDOC_OUT
from ..models import DocnumSequence, Idoc, IdocConfig, IdocPackage, Posting
from .erp import idoc_client_for
from .outbound_idocs import (
    IDOC_TYPES,
    Partners,
    PostingRow,
    control_as_fields,
    control_record,
    posting_idoc,
)


class PostingPackage:
    """The pending postings of ``kind`` (a message type) for the ERP of ``config``."""

    def __init__(self, config: IdocConfig, kind: str):
        self.config, self.kind = config, kind
        self.partners = Partners.of(config)
        self.created_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.erp_docnums: list[str] = []
        self._count = 0

    def lock_pending(self, limit: int) -> list[PostingRow]:
        rows = (
            Posting.objects.pending(self.config.partner_id, self.kind)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values_list(
                "pk", "kind", "delivery_number", "document", "resend_of_id", "resend_of__docnum"
            )[:limit]
        )
        postings = [PostingRow._make(row) for row in rows]
        self._count = len(postings)
        return postings

    def prepare(self, postings: Sequence[PostingRow]) -> Sequence[PostingRow]:
        return postings  # each posting carries its whole document

    def next_number(self) -> int:
        return DocnumSequence.reserve(self.config.partner, self._count)

    def open_file(self, postings: Sequence[PostingRow], number: int, *, publish: bool):
        package = IdocPackage.objects.create(
            erp_id=self.config.partner_id,
            idoc_type=IDOC_TYPES[self.kind],
            message_type=self.kind,
            first_docnum=format_docnum(number),
            idoc_count=len(postings),
            message_id=uuid.uuid4().hex,
            content=b"",  # the bytes follow, once written
        )
        resent = sum(1 for posting in postings if posting.resends_docnum)
        package.transaction = open_transaction(
            kind=ERP_IDOC_OUT,
            partner=self.config.partner,
            business_key=package.file_name,
            correlation_id=f"idoc-package-{package.pk}",
            subject=package,
            message=f"{package.file_name}: {len(postings)} {self.kind} IDoc(s) for "
            f"{self.config.partner.code}" + (f", {resent} of them resent" if resent else ""),
            publish=publish,
        )
        package.save(update_fields=["transaction"])
        return package

    def write(self, postings: Sequence[PostingRow], number: int) -> bytes:
        return package_bytes(
            posting_idoc(posting, self._control(posting, number + offset))
            for offset, posting in enumerate(postings)
        )

    def attach_items(self, package: IdocPackage, postings: Sequence[PostingRow]) -> None:
        first = int(package.first_docnum)
        Idoc.objects.bulk_create(
            Idoc(
                package=package,
                position=offset + 1,
                posting_id=posting.pk,
                docnum=format_docnum(first + offset),
                control=control_as_fields(self._control(posting, first + offset)),
                resends_id=posting.resends_id,
            )
            for offset, posting in enumerate(postings)
        )
        Posting.objects.filter(pk__in=[p.pk for p in postings]).mark_packaged()

    def store_bytes(self, package: IdocPackage, content: bytes) -> None:
        package.content = content
        package.sha256 = hashlib.sha256(content).hexdigest()
        package.save(update_fields=["content", "sha256"])

    def send(self, package: IdocPackage) -> str:
        """Idempotent: the ERP answers the package's message id again with its first answer."""
        client = idoc_client_for(self.config)
        self.erp_docnums = client.send_package(bytes(package.content), package.message_id)
        if len(self.erp_docnums) != package.idoc_count:
            raise PermanentError(
                f"{package.file_name}: the ERP answered {len(self.erp_docnums)} IDoc numbers "
                f"for {package.idoc_count} IDocs (message {package.message_id})",
                code="erp_idoc_count",
            )
        return (
            f"{package.file_name}: {package.idoc_count} IDoc(s) taken by the ERP as "
            f"{self.erp_docnums[0]}..{self.erp_docnums[-1]} (message {package.message_id})"
        )

    def mark_sent(self, package: IdocPackage) -> None:
        record_erp_docnums(package, self.erp_docnums)
        package.mark_sent()

    def _control(self, posting: PostingRow, docnum: int):
        return control_record(
            self.partners, self.kind, docnum, self.created_at, posting.resends_docnum
        )


def record_erp_docnums(package: IdocPackage, erp_docnums: list[str]) -> None:
    """The ERP's number of each IDoc, by position (one statement per 500 IDocs)."""
    idocs = list(Idoc.objects.filter(package=package).only("pk", "position").order_by("position"))
    for idoc in idocs:
        idoc.erp_docnum = erp_docnums[idoc.position - 1]
    Idoc.objects.bulk_update(idocs, ["erp_docnum"], batch_size=500)
