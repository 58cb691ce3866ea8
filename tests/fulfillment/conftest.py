"""Fixtures for the fulfilment services: a channel, two warehouses, posted orders, X12 files.

Nothing here reaches the broker: ``send_task`` is replaced by a recorder, so what
the services publish is asserted instead of sent. Files a warehouse would send
are written with the connector's own writers (945, 997) or by hand (846).
Tests that move files use the real OpenSSH sshd of ``make test``, each in its
own folders under the SFTP root, so they never touch another run's files.
"""

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from syncplatform.fulfillment.models import WarehouseConfig
from syncplatform.fulfillment.services import send_shipping_orders
from syncplatform.mappings.choices import CodeType
from syncplatform.mappings.models import CodeMapping, LocationMapping, SkuMapping
from syncplatform.orders.models import Order
from syncplatform.orders.services import IntakeRequest, accept_order
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from tests.fulfillment.fulfillment_files import OUR_ID, WAREHOUSE_ID
from tests.support.orders import canonical_order, with_lines
from tests.support.sftp import SFTP_VARIABLES

FOLDERS = ("outbound", "inbound", "archive", "error")


@pytest.fixture(autouse=True)
def _no_broker(published):
    """Every test here records what it would publish (``published``) instead of sending."""


@pytest.fixture
def other_warehouse(db) -> Partner:
    return Partner.objects.create(code="east-3pl", name="East 3PL", kind=PartnerKind.WAREHOUSE)


@pytest.fixture
def mappings(channel, warehouse, other_warehouse):
    """SKUs to ERP materials; STORE-017 and WEB-DC ship from demo-3pl, STORE-099 from east-3pl."""
    for sku, material, unit in (
        ("TSHIRT-BLK-M", "MAT-100200", "EA"),
        ("HOODIE-GRY-M", "MAT-100310", "EA"),
        ("SOCKS-3PK", "MAT-300500", "PK"),
    ):
        SkuMapping.objects.create(
            channel=channel, channel_sku=sku, erp_material=material, erp_unit=unit
        )
    for location, served_by in (
        ("STORE-017", warehouse),
        ("WEB-DC", warehouse),
        ("STORE-099", other_warehouse),
    ):
        LocationMapping.objects.create(
            channel=channel, channel_location=location, erp_plant="1000", warehouse=served_by
        )
    CodeMapping.objects.create(
        channel=channel, code_type=CodeType.CARRIER, channel_code="GROUND", erp_code="UPSN"
    )


def make_config(partner: Partner, **changes) -> WarehouseConfig:
    """A warehouse config that names us SYNCPLATFORM and the warehouse DEMO3PL on envelopes."""
    values = {
        "sftp_host": "sftp.invalid",
        "sftp_username": "nobody",
        "sftp_password": "never-used",
        "sftp_known_hosts": "sftp.invalid ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIKEMTabZlNAyil7AYIPmCRlXDLWBqqnNk1pUGu2vwVbD",
        "our_isa_id": OUR_ID.id,
        "their_isa_id": WAREHOUSE_ID.id,
        "ack_due_minutes": 45,
        **changes,
    }
    return WarehouseConfig.objects.create(partner=partner, **values)


@pytest.fixture
def config(warehouse, mappings) -> WarehouseConfig:
    """demo-3pl's config; its SFTP server is never contacted (see ``sftp_config``)."""
    return make_config(warehouse)


@pytest.fixture
def other_config(other_warehouse, mappings) -> WarehouseConfig:
    return make_config(other_warehouse, their_isa_id="EAST3PL")


@pytest.fixture
def posted_order(channel, mappings):
    """``posted_order(number, location=..., lines=..., post=True)``: an order accepted by intake.

    With ``post`` it is marked posted to the ERP (document ``0<pk>``), as the ERP
    posting would; otherwise it stays ``received``.
    """

    def create(
        number: str, *, location: str = "STORE-017", lines: list | None = None, post: bool = True
    ) -> Order:
        canonical = canonical_order(number, fulfillment_location=location)
        if lines is not None:
            canonical = with_lines(canonical, lines)
        request = IntakeRequest(
            channel=channel,
            idempotency_scope="fulfillment-tests",
            idempotency_key=f"key-{number}",
            body=json.dumps(canonical).encode(),
            correlation_id=uuid.uuid4().hex,
        )
        order = accept_order(request, canonical).order
        if post:
            order.mark_posted(f"0{order.pk:09d}")
        return Order.objects.get(pk=order.pk)

    return create


class SftpFolders:
    """This test's own four folders under the sshd's SFTP root, as seen on disk."""

    def __init__(self, base: Path):
        self.base = base

    def path(self, folder: str) -> Path:
        return self.base / folder

    def names(self, folder: str) -> list[str]:
        return sorted(p.name for p in self.path(folder).iterdir())

    def drop(self, name: str, content: bytes) -> Path:
        """Put a file in ``inbound`` the way a warehouse does: a dot-file renamed when complete."""
        temporary = self.path("inbound") / f".{name}.part"
        temporary.write_bytes(content)
        return temporary.rename(self.path("inbound") / name)


@pytest.fixture
def sftp_folders():
    """Fresh, empty outbound/inbound/archive/error folders for this test; removed afterwards."""
    missing = [name for name in SFTP_VARIABLES if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run under `make test` (needs the test sshd)")
    base = Path(os.environ["TEST_SFTP_ROOT"]) / f"fulfillment-tests-{uuid.uuid4().hex[:12]}"
    base.mkdir()
    base.chmod(0o777)  # the sshd account, not this process, renames files in there
    for name in FOLDERS:
        (base / name).mkdir()
        (base / name).chmod(0o777)
    yield SftpFolders(base)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def sftp_config(config, sftp_folders) -> WarehouseConfig:
    """demo-3pl's config pointing at the real test sshd and this test's folders."""
    for field, value in {
        "sftp_host": os.environ["TEST_SFTP_HOST"],
        "sftp_port": int(os.environ["TEST_SFTP_PORT"]),
        "sftp_username": os.environ["TEST_SFTP_USER"],
        "sftp_password": "",
        "sftp_private_key": Path(os.environ["TEST_SFTP_KEY"]).read_text(),
        "sftp_known_hosts": os.environ["TEST_SFTP_HOST_KEY"],
        "settle_seconds": 0,
        **{f"{name}_folder": f"{sftp_folders.base.name}/{name}" for name in FOLDERS},
    }.items():
        setattr(config, field, value)
    config.save()
    return config


@pytest.fixture
def sent_orders(config, posted_order):
    """``sent_orders(number, ...)``: posted orders, sent to demo-3pl in one 940 interchange."""

    def send(*numbers: str, **options) -> list[Order]:
        orders = [posted_order(number, **options) for number in numbers]
        send_shipping_orders(config.partner_id)
        return orders

    return send


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("ops", is_staff=True)  # force_login: no password
    user.groups.add(Group.objects.get(name="operations"))
    return user
