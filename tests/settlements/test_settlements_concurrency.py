"""Two uploads of the same file at once: one import, every line once (the unique constraint)."""

import io
import threading
import time

import pytest
from django.db import connection

from syncplatform.settlements.choices import ImportStatus
from syncplatform.settlements.models import SettlementImport, SettlementLine
from syncplatform.settlements.services import import_settlements
from syncplatform.settlements.services import imports as imports_module
from tests.settlements.payout_files import shopify_file, shopify_row

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_same_file_uploaded_twice_at_once_is_imported_once(shop, monkeypatch):
    monkeypatch.setattr(imports_module, "CHUNK_ROWS", 10)
    content = shopify_file(*(shopify_row(f"#{n}") for n in range(1, 51)))
    first_inside, reports = threading.Event(), {}

    def hold_open(done: int) -> None:
        # The first import keeps its transaction open a while after its first chunk,
        # so the second meets its uncommitted row at the unique index.
        if not first_inside.is_set():
            first_inside.set()
            time.sleep(0.5)

    def run(name: str, on_progress=None) -> None:
        try:
            reports[name] = import_settlements(
                shop, io.BytesIO(content), f"{name}.csv", on_progress=on_progress
            )
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first", hold_open))
    first.start()
    assert first_inside.wait(timeout=30)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    first.join(timeout=60)
    second.join(timeout=60)

    imported = SettlementImport.objects.get()
    assert imported.status == ImportStatus.IMPORTED
    assert reports["first"].settlement_import == imported
    assert reports["second"].duplicate_of == imported
    assert SettlementLine.objects.count() == 50
