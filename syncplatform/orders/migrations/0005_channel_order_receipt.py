"""Signed channel webhooks kept verbatim (ChannelOrderReceipt); operations may view them."""

import django.db.models.deletion
from django.db import migrations, models

from syncplatform.core.roles import RoleGrant


ROLES = {"operations": ["view_channelorderreceipt"]}


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_order_erp_delivery_number"),
        ("partners", "0002_channel_config_webhook_defaults"),
        ("core", "0001_roles"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChannelOrderReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("webhook_id", models.CharField(help_text="X-Shopify-Webhook-Id", max_length=255)),
                (
                    "channel_order_number",
                    models.CharField(
                        blank=True,
                        help_text="The order id in the body; blank when it has none.",
                        max_length=80,
                    ),
                ),
                (
                    "api_version",
                    models.CharField(
                        blank=True,
                        help_text="X-Shopify-API-Version the body was written in",
                        max_length=20,
                    ),
                ),
                ("correlation_id", models.CharField(db_index=True, max_length=64)),
                ("body", models.BinaryField(help_text="The request body exactly as received.")),
                ("body_sha256", models.CharField(max_length=64)),
                (
                    "channel",
                    models.ForeignKey(
                        db_index=False,
                        limit_choices_to={"kind": "channel"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="partners.partner",
                    ),
                ),
                (
                    "duplicate_of",
                    models.ForeignKey(
                        blank=True,
                        help_text="The first receipt of the same channel order.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duplicates",
                        to="orders.channelorderreceipt",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="receipts",
                        to="orders.order",
                    ),
                ),
            ],
            options={
                "ordering": ["-id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("channel", "webhook_id"), name="uniq_receipt_webhook_id"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(
                            ("duplicate_of__isnull", True),
                            models.Q(("channel_order_number", ""), _negated=True),
                        ),
                        fields=("channel", "channel_order_number"),
                        name="uniq_receipt_first_per_order",
                    ),
                ],
            },
        ),
        migrations.RunPython(RoleGrant("orders", ROLES), migrations.RunPython.noop),
    ]
