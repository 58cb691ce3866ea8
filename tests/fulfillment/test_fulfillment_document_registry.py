"""A document type declared only here is read, applied, acknowledged and shown like the others.

The toy is the X12 856 ship notice: nothing outside this module knows it, so
if inbound, the runner, the 997 or the admin kept a list of document types of
their own, these tests would fail.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse

from connectors.edi.errors import DocumentError
from syncplatform.audit import registry
from syncplatform.audit.choices import TransactionState
from syncplatform.fulfillment.services import X12_FILES, receive_file
from tests.fulfillment.fulfillment_files import outbound_997s, segments_of

TOY_KIND = "toy.856.in"


@dataclass(frozen=True)
class ShipNotice:
    shipment_id: str


def read_856(ts) -> ShipNotice:
    segments = [text.split(ts.delimiters.element) for text in ts.text.split(ts.joint)]
    bsn = next((s for s in segments if s[0] == "BSN"), None)
    if bsn is None or len(bsn) < 3:
        raise DocumentError(
            set_code=ts.code,
            control_number=ts.control_number,
            position=ts.position,
            detail="856 without BSN02",
        )
    return ShipNotice(shipment_id=bsn[2])


applied: list[tuple[str, str, str]] = []


@pytest.fixture
def ship_notices():
    applied.clear()

    @X12_FILES.document(
        "856",
        group_id="SH",
        kind=TOY_KIND,
        description="Toy 856 ship notice (test only)",
        reader=read_856,
        describe=lambda notice: f"856: shipment {notice.shipment_id}",
    )
    def record_ship_notice(received, notice: ShipNotice) -> None:
        applied.append(
            (received.interchange.file_name, received.set_control_number, notice.shipment_id)
        )

    yield
    X12_FILES.unregister("856")


def file_856(number: int, shipment_ids: list[str]) -> bytes:
    sets = []
    for index, shipment_id in enumerate(shipment_ids, start=1):
        sets += [f"ST*856*{index:04d}", f"BSN*00*{shipment_id}*20261123*1200", f"SE*3*{index:04d}"]
    return (
        "ISA*00*          *00*          *ZZ*DEMO3PL        *ZZ*SYNCPLATFORM   *261123*1200*U*"
        f"00401*{number:09d}*0*P*>~GS*SH*DEMO3PL*SYNCPLATFORM*20261123*1200*{number}*X*004010~"
        + "~".join(sets)
        + f"~GE*{len(shipment_ids)}*{number}~IEA*1*{number:09d}~"
    ).encode()


def test_a_declared_document_type_is_received_under_its_kind_and_applied(ship_notices, config):
    interchange = receive_file(config, "856_1.edi", file_856(901, ["SHIP-1", "SHIP-2"]))

    tx = interchange.transaction
    assert (tx.kind, tx.state) == (TOY_KIND, TransactionState.SUCCEEDED)
    assert registry.kind(TOY_KIND).handler is X12_FILES.handler
    assert applied == [("856_1.edi", "0001", "SHIP-1"), ("856_1.edi", "0002", "SHIP-2")]
    [ack] = outbound_997s(interchange)
    assert "AK1*SH*901" in segments_of(ack.content)
    assert "AK9*A*2*2*2" in segments_of(ack.content)


def test_a_set_its_reader_refuses_is_rejected_in_the_997_and_fails_the_file(ship_notices, config):
    content = file_856(902, ["SHIP-3"]).replace(b"BSN*00*SHIP-3*20261123*1200", b"BSN*00")

    interchange = receive_file(config, "856_2.edi", content)

    tx = interchange.transaction
    assert (tx.state, tx.last_error_code) == (TransactionState.FAILED, "edi_document")
    assert "856 without BSN02" in tx.last_error_message
    assert applied == []
    [ack] = outbound_997s(interchange)
    assert "AK9*R*1*1*0" in segments_of(ack.content)


def test_without_the_declaration_the_same_file_is_an_unknown_file(config):
    interchange = receive_file(config, "856_3.edi", file_856(903, ["SHIP-4"]))

    tx = interchange.transaction
    assert (tx.kind, tx.state) == ("edi.file.in", TransactionState.FAILED)
    assert "transaction set '856' is not supported" in tx.last_error_message


def test_the_admin_describes_its_sets_and_filters_by_its_kind(ship_notices, config, admin_client):
    interchange = receive_file(config, "856_4.edi", file_856(904, ["SHIP-5"]))

    page = admin_client.get(reverse("admin:fulfillment_interchange_change", args=[interchange.pk]))
    listing = admin_client.get(reverse("admin:audit_synctransaction_changelist"))

    assert "856: shipment SHIP-5" in page.content.decode()
    assert f"{TOY_KIND}: Toy 856 ship notice (test only)" in listing.content.decode()
