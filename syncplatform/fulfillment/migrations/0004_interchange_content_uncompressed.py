"""Interchange files are stored as written, without PostgreSQL's compression.

A 940 batch's 2.5 MB file was compressed (pglz) when the batch stored it and
decompressed when the upload read it: about 50 ms of a 10,000-order send job
(bench/shipping_orders.py), and the send job is what holds the orders locked.
EDI text compresses well, so the table takes more disk: about 250 bytes per
order sent. The files stay out of line (TOAST), so listing interchanges does
not read them. Rows already stored keep their form. SQLite has no such setting.
"""

from django.db import migrations


def store_as_written(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE fulfillment_interchange ALTER COLUMN content SET STORAGE EXTERNAL"
        )


def compress_again(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE fulfillment_interchange ALTER COLUMN content SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("fulfillment", "0003_shipping_order_fillfactor")]

    operations = [migrations.RunPython(store_as_written, compress_again)]
