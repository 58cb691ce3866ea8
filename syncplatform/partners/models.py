"""Trading partners and how we reach them."""

from django.core.validators import MinValueValidator
from django.db import models

from syncplatform.core.fields import EncryptedTextField
from syncplatform.core.models import TimeStampedModel

from .choices import PartnerKind


class Partner(TimeStampedModel):
    """A sales channel, an ERP or a 3PL warehouse; ``code`` is what CSVs and URLs use."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=PartnerKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class ChannelConfig(models.Model):
    """How a sales channel's orders are handled.

    ``default_sold_to`` is the ERP one-time-customer account used when a
    channel customer has no customer mapping; leave it blank to require a
    mapping for every customer (the order then fails naming the customer).
    The other defaults complete webhook orders that arrive without a value
    (``default_location``, ``default_shipping_method``, ``empty_address_text``);
    a webhook order that still lacks one is kept and waits, naming the default
    to set.
    """

    partner = models.OneToOneField(
        Partner,
        on_delete=models.CASCADE,
        related_name="channel_config",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
    )
    erp = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": PartnerKind.ERP},
        help_text="The ERP that receives this channel's orders.",
    )
    default_sold_to = models.CharField(max_length=20, blank=True)
    default_location = models.CharField(
        max_length=40,
        blank=True,
        help_text="Channel location used when a payload names none (webhooks).",
    )
    webhook_secret = EncryptedTextField(
        blank=True, help_text="Shared secret for signed webhooks (Shopify HMAC). Encrypted."
    )
    default_shipping_method = models.CharField(
        max_length=40,
        blank=True,
        help_text="Channel shipping method for webhook orders without a shipping line "
        "(pickup, digital goods); it needs a shipping_method code mapping like any other. "
        "Blank: such an order waits for a person.",
    )
    # At most 10 characters: the ERP's postal code field is no longer.
    empty_address_text = models.CharField(
        max_length=10,
        blank=True,
        help_text="Sent in place of an empty ship-to street, city or postal code in "
        "webhook orders, e.g. PICKUP for store pickup or digital goods. Blank: an order "
        "with an empty address line waits for a person.",
    )

    # Where the catalog is published (catalog.services.publication); blank: not published.
    shop_url = models.URLField(
        max_length=300,
        blank=True,
        help_text="Shopify shop the catalog is published to, e.g. https://example.myshopify.com "
        "(the Admin API path is added). Blank: listings are not published.",
    )
    shop_access_token = EncryptedTextField(
        blank=True, help_text="Admin API access token (X-Shopify-Access-Token). Encrypted."
    )
    shop_api_version = models.CharField(
        max_length=10,
        blank=True,
        default="2026-10",
        help_text="Shopify Admin API version, e.g. 2026-10. Blank: the client's default.",
    )

    # Which ERP materials this channel sells (catalog listings); blank: none.
    sales_org = models.CharField(
        max_length=4,
        blank=True,
        help_text="ERP sales organisation (VKORG) whose materials are listed on this channel.",
    )
    distribution_channel = models.CharField(
        max_length=2,
        blank=True,
        help_text="ERP distribution channel (VTWEG) whose materials are listed on this channel.",
    )
    price_condition_type = models.CharField(
        max_length=4,
        blank=True,
        default="PR00",
        help_text="ERP condition type (KSCHL) of the price the channel shows, e.g. PR00. "
        "Blank: listings carry no price.",
    )
    new_materials_get_material_sku = models.BooleanField(
        default=False,
        help_text="A newly listed material without a SKU mapping gets one with channel SKU = "
        "material number (kept in the mapping's history). Off: it waits for a mapping.",
    )

    def __str__(self):
        return f"channel config for {self.partner}"


class ErpEndpoint(models.Model):
    """Where and how to reach an ERP's SOAP services. The password is encrypted at rest."""

    partner = models.OneToOneField(
        Partner,
        on_delete=models.CASCADE,
        related_name="erp_endpoint",
        limit_choices_to={"kind": PartnerKind.ERP},
    )
    wsdl_url = models.URLField(max_length=500)
    endpoint_url = models.URLField(
        max_length=500, blank=True, help_text="Overrides the WSDL's service address."
    )
    username = models.CharField(max_length=100, blank=True)
    password = EncryptedTextField(blank=True)
    timeout_seconds = models.PositiveSmallIntegerField(default=15)
    max_in_flight = models.PositiveSmallIntegerField(
        default=16,
        validators=[MinValueValidator(1)],
        help_text="The most postings in flight to this ERP at once, across every worker "
        "and host; the rest wait their turn in the database.",
    )

    def __str__(self):
        return f"ERP endpoint for {self.partner}"

    @staticmethod
    def breaker_key_of(endpoint_id: int) -> str:
        """The key of its gate: its in-flight slots and circuit breaker (audit.gates)."""
        return f"erp-endpoint:{endpoint_id}"


class ApiClient(TimeStampedModel):
    """A channel system's API credential. Only the SHA-256 of the key is stored.

    Keys are random 256-bit tokens, so a fast hash is enough (no password
    stretching needed); the prefix finds the row, the hash is compared in
    constant time.
    """

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="api_clients",
        limit_choices_to={"kind": PartnerKind.CHANNEL},
    )
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "API client"

    def __str__(self):
        return f"{self.partner} / {self.name} ({self.key_prefix}…)"
