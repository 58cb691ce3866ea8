"""How we exchange IDocs with one ERP: ports, partner numbers, package size, who may push."""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models import F

from syncplatform.partners.choices import PartnerKind

ERP = {"kind": PartnerKind.ERP}


class IdocConfig(models.Model):
    """An ERP partner's IDoc settings, as SAP's port and partner profile name them.

    Outbound IDocs (to the ERP) carry ``our_port``/``our_partner`` as sender
    (EDI_DC40-SNDPOR/SNDPRT/SNDPRN) and ``erp_port``/``erp_partner`` as
    receiver; the ERP answers IDocs addressed back to ``our_partner``. Every
    field is at most SAP's length (ports 10, partner numbers 10, types 2).

    Inbound pushes (``POST /api/v1/erp/<code>/idocs``) authenticate with HTTP
    basic auth (``inbound_username`` and the password, stored hashed) or with
    an API key of one of the partner's API clients.
    """

    partner = models.OneToOneField(
        "partners.Partner",
        on_delete=models.CASCADE,
        related_name="idoc_config",
        limit_choices_to=ERP,
    )
    idoc_url = models.URLField(
        max_length=500,
        verbose_name="ERP IDoc URL",
        help_text="Base URL of the ERP's IDoc services (inbound packages, statuses, stock), "
        "e.g. http://127.0.0.1:8001. User, password and timeout are the partner's ERP "
        "endpoint's.",
    )
    our_port = models.CharField(max_length=10, default="SYNCPLAT", help_text="SNDPOR")
    our_partner_type = models.CharField(max_length=2, default="LS", help_text="SNDPRT")
    our_partner = models.CharField(
        max_length=10, default="SYNCPLAT", help_text="SNDPRN: our logical system in the ERP."
    )
    erp_port = models.CharField(max_length=10, help_text="RCVPOR, e.g. SAPPRD.")
    erp_partner_type = models.CharField(max_length=2, default="LS", help_text="RCVPRT")
    erp_partner = models.CharField(
        max_length=10, help_text="RCVPRN: the ERP's logical system, e.g. PRDCLNT100."
    )
    erp_client = models.CharField(max_length=3, blank=True, help_text="MANDT (optional).")
    package_size = models.PositiveIntegerField(
        default=500, help_text="Most IDocs in one package sent to the ERP."
    )
    inbound_username = models.CharField(
        max_length=100, blank=True, help_text="HTTP basic auth user the ERP pushes IDocs with."
    )
    inbound_password_hash = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = "IDoc config"

    def __str__(self):
        return f"IDoc config for {self.partner}"

    def set_inbound_password(self, clear: str) -> None:
        self.inbound_password_hash = make_password(clear) if clear else ""

    def accepts_basic_auth(self, username: str, password: str) -> bool:
        """Whether these are the inbound credentials (the hash comparison is constant-time)."""
        if not (self.inbound_username and self.inbound_password_hash):
            return False
        matches = check_password(password, self.inbound_password_hash)
        return matches and username == self.inbound_username


class DocnumSequence(models.Model):
    """Our DOCNUMs (EDI_DC40-DOCNUM) for one ERP; each number is handed out once."""

    partner = models.OneToOneField("partners.Partner", on_delete=models.CASCADE, related_name="+")
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.partner}: {self.last_value}"

    @classmethod
    def reserve(cls, partner, count: int) -> int:
        """The first of ``count`` consecutive new numbers for ``partner``.

        One UPDATE: concurrent packages serialise on the row, each gets its own
        block, and a rolled-back package gives its block back. Call inside the
        transaction that stores the IDocs.
        """
        sequence, _ = cls.objects.get_or_create(partner=partner)
        cls.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + count)
        sequence.refresh_from_db(fields=["last_value"])
        return sequence.last_value - count + 1
