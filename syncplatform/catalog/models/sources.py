"""Where an ERP's material master and prices come from."""

from django.db import models
from django.db.models import Q

from syncplatform.core.fields import EncryptedTextField
from syncplatform.core.models import TimeStampedModel
from syncplatform.partners.choices import PartnerKind

from ..choices import SourceKind


class CatalogSource(TimeStampedModel):
    """One ERP feed of one IDoc type (``MATMAS05`` or ``COND_A04``), pushed and/or dropped.

    Pushed: IDocs of ``kind`` that ``partner`` posts to ``/api/v1/erp/<code>/idocs``
    become loads of the source that ``accepts_push`` (at most one per partner
    and kind). Dropped: with an SFTP host, the source's beat row ("poll catalog
    source <code>") takes the files matching ``file_pattern`` from
    ``inbound_folder`` once their size and mtime hold still ``settle_seconds``,
    stores each, queues its load and moves it to ``archive_folder`` (or
    ``error_folder`` when it cannot be stored), like a warehouse's files.

    A material is deleted only when a file says so (E1MARAM LVORM; E1MVKEM
    LVORM delists it from that sales area). A material missing from a file,
    even a full one, is left as it was: SAP's full distributions are often
    filtered (by material type, by plant), and knowing what a file left out
    would cost a write for every unchanged row.
    """

    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="catalog_sources",
        limit_choices_to={"kind": PartnerKind.ERP},
    )
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=SourceKind.choices)
    is_active = models.BooleanField(default=True)
    accepts_push = models.BooleanField(
        default=False,
        help_text="Pushed IDocs of this type from this ERP load into this source "
        "(one source per ERP and type may take them).",
    )
    # 10,000 materials: a chunk's task takes seconds, and the loading process peaked at
    # 240 MB RSS with 20,000 (100,000-material load, SKU mappings created on the way).
    chunk_size = models.PositiveIntegerField(
        default=10000,
        help_text="IDocs per chunk: one task, one database transaction and one checkpoint each.",
    )
    sftp_host = models.CharField(max_length=200, blank=True, help_text="Blank: no drop folder.")
    sftp_port = models.PositiveIntegerField(default=22)
    sftp_username = models.CharField(max_length=100, blank=True)
    sftp_password = EncryptedTextField(blank=True)
    sftp_private_key = EncryptedTextField(blank=True, help_text="OpenSSH/PEM private key text.")
    sftp_known_hosts = models.TextField(
        blank=True,
        help_text="Pinned host key: one known_hosts line, e.g. '[host]:22 ssh-ed25519 AAAA…'.",
    )
    inbound_folder = models.CharField(max_length=200, default="inbound")
    archive_folder = models.CharField(max_length=200, default="archive")
    error_folder = models.CharField(max_length=200, default="error")
    file_pattern = models.CharField(
        max_length=60, default="*.xml", help_text="Which file names to take (fnmatch)."
    )
    settle_seconds = models.PositiveSmallIntegerField(
        default=2, help_text="A file is taken when size and mtime hold still this long."
    )
    # Drops are streamed to disk (a window of a few MB in memory), so this bounds disk
    # use, not memory: 8 GB takes a generated full extract of a million materials (~3.3 GB).
    max_file_megabytes = models.PositiveIntegerField(
        default=8192, help_text="Larger drop files are refused (moved to the error folder)."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "kind"],
                condition=Q(accepts_push=True),
                name="uniq_catalog_push_source",
            )
        ]

    def __str__(self):
        return self.code

    @property
    def has_drop_folder(self) -> bool:
        return bool(self.sftp_host)
