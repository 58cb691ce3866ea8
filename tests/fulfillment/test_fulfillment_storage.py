"""How shipping orders are stored on PostgreSQL: room on each page for their status updates."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_given_postgresql_then_shipping_order_pages_are_half_full_so_updates_stay_on_the_page():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage parameter")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'fulfillment_shippingorder'"
        )
        [options] = cursor.fetchone()
    assert "fillfactor=50" in options


@pytest.mark.django_db
def test_given_postgresql_then_interchange_files_are_stored_out_of_line_uncompressed():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL storage setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'fulfillment_interchange'::regclass AND attname = 'content'"
        )
        [storage] = cursor.fetchone()
    assert storage == "e"  # EXTERNAL: out of line, not compressed
