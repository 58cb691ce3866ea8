"""Order.channel_order_name (Shopify's "#1001"), indexed with the channel where set."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_order_erp_value"),
        ("partners", "0006_erp_endpoint_max_in_flight"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="channel_order_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=80),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("channel_order_name", ""), _negated=True),
                fields=["channel", "channel_order_name"],
                name="order_channel_name",
            ),
        ),
    ]
