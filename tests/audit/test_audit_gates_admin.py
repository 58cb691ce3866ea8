"""What an operator sees of an ERP endpoint's gate: the breaker on the endpoint's admin page."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from syncplatform.audit.choices import BreakerState
from syncplatform.audit.models import Breaker, GateSlot, GateWaiter
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ErpEndpoint, Partner


@pytest.fixture
def endpoint(db) -> ErpEndpoint:
    erp = Partner.objects.create(code="erp-x", name="ERP X", kind=PartnerKind.ERP)
    return ErpEndpoint.objects.create(partner=erp, wsdl_url="http://erp.invalid/?wsdl")


def page_of(client, endpoint) -> str:
    client.force_login(User.objects.create_superuser("root", "r@example.com", "x"))
    response = client.get(reverse("admin:partners_partner_change", args=[endpoint.partner_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_endpoint_never_posted_to_shows_a_closed_breaker_and_its_cap(client, endpoint):
    page = page_of(client, endpoint)
    assert "closed (no posting yet)" in page
    assert 'name="erp_endpoint-0-max_in_flight" value="16"' in page


def test_an_open_breaker_shows_since_when_in_flight_waiting_and_the_last_error(client, endpoint):
    changed = timezone.now()
    breaker = Breaker.objects.create(
        key=ErpEndpoint.breaker_key_of(endpoint.pk),
        label="ERP endpoint of erp-x",
        state=BreakerState.OPEN,
        changed_at=changed,
        opened_at=changed,
        last_error="transient: connection refused",
        slot_count=16,
    )
    GateSlot.objects.create(
        breaker=breaker, number=1, holder_id=11, lease_until=changed.replace(year=changed.year + 1)
    )
    GateSlot.objects.create(
        breaker=breaker, number=2, holder_id=12, lease_until=changed.replace(year=changed.year - 1)
    )
    GateWaiter.objects.create(breaker=breaker, transaction_id=13, kind="erp.order.post")

    page = page_of(client, endpoint)
    assert (
        f"Open (holding postings back) since {timezone.localtime(changed):%Y-%m-%d %H:%M:%S %Z}; "
        "1 in flight of 16, 1 waiting; last error: transient: connection refused"
    ) in page
