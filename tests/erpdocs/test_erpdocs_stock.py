"""846 stock beside the ERP's: differences above the tolerance become WMMBXY postings."""

import uuid
from decimal import Decimal

import pytest

from connectors.idoc import read_package
from syncplatform.audit.dispatch import RUN_TRANSACTION_TASK
from syncplatform.audit.models import SyncTransaction
from syncplatform.audit.runner import run_transaction
from syncplatform.erpdocs.choices import ERP_STOCK_COMPARE, PostingKind, PostingState
from syncplatform.erpdocs.models import Posting, StockComparison
from syncplatform.erpdocs.services import (
    compare_stock,
    poll_idoc_statuses,
    record_stock_report,
    send_idoc_postings,
)
from syncplatform.fulfillment.services import receive_file
from tests.fulfillment.fulfillment_files import file_846
from tests.support.processes import wait_until

# The send job sends from a second thread, which sees only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def materials():
    """Materials of this test only: the sandbox's stock outlives a test."""
    tag = uuid.uuid4().hex[:8].upper()
    return [f"MAT-{tag}-{n}" for n in range(1, 5)]


def report(warehouse_config, number: int, items) -> StockComparison:
    receive_file(warehouse_config, f"846_{number}.edi", file_846(number, "20261123", items))
    return StockComparison.objects.get(interchange__isa_control_number=f"{number:09d}")


def test_an_846_is_compared_with_the_erps_stock_and_differences_become_movements(
    warehouse_config,
    sandbox_erp,
    settings,
    materials,
    published,
    django_capture_on_commit_callbacks,
):
    # given: the ERP holds 10, 5, 7 of three materials in plant 1000; the fourth it does not keep
    settings.SYNC_STOCK_TOLERANCE = "1"
    gain, same, loss, unknown = materials
    sandbox_erp.configure(
        stock=[
            {"material": gain, "plant": "1000", "quantity": "10"},
            {"material": same, "plant": "1000", "quantity": "5"},
            {"material": loss, "plant": "1000", "quantity": "7"},
        ]
    )

    # when the warehouse reports 12, 6, 3 and 1 on hand
    with django_capture_on_commit_callbacks(execute=True):
        comparison = report(
            warehouse_config,
            801,
            [(gain, "12", "12"), (same, "6", "6"), (loss, "3", "3"), (unknown, "1", "1")],
        )

    # then a comparison waits for its transaction, which was published
    assert comparison.state == "pending" and comparison.plant == "1000"
    assert (RUN_TRANSACTION_TASK, [comparison.transaction_id]) in published
    tx = run_transaction(comparison.transaction_id)
    assert tx.state == "succeeded", tx.last_error_message
    lines = {line.material: line for line in comparison.lines.all()}
    assert lines[gain].difference == Decimal(2) and lines[gain].is_above_tolerance
    assert lines[same].difference == Decimal(1) and not lines[same].is_above_tolerance
    assert lines[loss].difference == Decimal(-4) and lines[loss].is_above_tolerance
    assert lines[unknown].erp_quantity is None and "not kept by the ERP" in lines[unknown].note
    movements = {
        p.document["items"][0]["material"]: p.document["items"][0]
        for p in Posting.objects.filter(kind=PostingKind.GOODS_MOVEMENT)
    }
    assert set(movements) == {gain, loss}
    assert (movements[gain]["movement_type"], movements[gain]["quantity"]) == ("701", "2.000")
    assert (movements[loss]["movement_type"], movements[loss]["quantity"]) == ("702", "4.000")

    # and the movements are posted by the ERP, which then holds the warehouse's quantities
    [package] = send_idoc_postings(comparison.erp_id)
    assert [m.control.message_type for m in read_package(bytes(package.content))] == ["WMMBXY"] * 2

    def settled():
        poll_idoc_statuses(comparison.erp_id)
        return not Posting.objects.filter(state=PostingState.SENT).exists()

    wait_until(settled, timeout=20, what="WMMBXY statuses")
    assert set(Posting.objects.values_list("state", flat=True)) == {PostingState.POSTED}
    from syncplatform.erpdocs.models import IdocConfig
    from syncplatform.erpdocs.services.erp import idoc_client_for

    client = idoc_client_for(IdocConfig.objects.get(partner_id=comparison.erp_id))
    stock = client.stock([gain, loss], "1000")
    assert (stock[gain].quantity, stock[loss].quantity) == (12, 3)


def test_the_same_846_again_and_a_second_comparison_change_nothing(
    warehouse_config, sandbox_erp, materials
):
    # given
    sandbox_erp.configure(stock=[{"material": materials[0], "plant": "1000", "quantity": "1"}])
    comparison = report(warehouse_config, 802, [(materials[0], "9", "9")])
    tx = run_transaction(comparison.transaction_id)
    assert tx.state == "succeeded"

    # when the 846 is reported again and the comparison's handler runs again
    record_stock_report(warehouse_config.partner, comparison.interchange, [materials[0]])
    outcome = compare_stock(tx)
    outcome.apply()

    # then
    assert outcome.message == "already compared"
    assert StockComparison.objects.count() == 1
    assert SyncTransaction.objects.filter(kind=ERP_STOCK_COMPARE).count() == 1
    assert Posting.objects.count() == 1 and comparison.lines.count() == 1


def test_an_erp_outage_retries_the_comparison(warehouse_config, sandbox_erp, materials):
    comparison = report(warehouse_config, 803, [(materials[0], "9", "9")])
    sandbox_erp.configure(outage=True)

    tx = run_transaction(comparison.transaction_id)

    assert tx.state == "retrying" and tx.kind == ERP_STOCK_COMPARE
    assert Posting.objects.count() == 0


def test_a_warehouse_no_erp_takes_idocs_for_is_not_compared(warehouse_config, materials):
    from syncplatform.erpdocs.models import IdocConfig

    IdocConfig.objects.all().delete()

    report_number = 804
    receive_file(
        warehouse_config, "846.edi", file_846(report_number, "20261123", [(materials[0], "1", "1")])
    )

    assert StockComparison.objects.count() == 0
