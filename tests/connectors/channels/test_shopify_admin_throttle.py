"""The client's waits come from throttleStatus (unit tests: a stub session, a fake clock)."""

import json

import pytest

from connectors.channels.shopify_admin import ShopifyAdminClient, VariantDraft
from connectors.channels.shopify_admin_throttle import CostGauge, ThrottleStatus
from connectors.errors import TransientError


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class StubResponse:
    def __init__(self, document: dict, status: int = 200):
        self.status_code, self._document = status, document
        self.text = json.dumps(document)

    def json(self):
        return self._document


class StubSession:
    """Answers each post with the next scripted answer; records what was sent."""

    def __init__(self, answers: list[StubResponse]):
        self.answers, self.sent, self.headers = list(answers), [], {}

    def post(self, url, data, timeout):
        self.sent.append(json.loads(data))
        return self.answers.pop(0)


def status(available: float, maximum: float = 1000.0, rate: float = 50.0, **extra) -> dict:
    return {
        "cost": {
            "requestedQueryCost": extra.get("requested", 10),
            "actualQueryCost": extra.get("actual", 10),
            "throttleStatus": {
                "maximumAvailable": maximum,
                "currentlyAvailable": available,
                "restoreRate": rate,
            },
        }
    }


def created(alias: str, n: int) -> dict:
    return {
        alias: {
            "product": {
                "id": f"gid://shopify/Product/{n}",
                "variants": {
                    "nodes": [
                        {
                            "id": f"gid://shopify/ProductVariant/{n}",
                            "sku": f"S{n}",
                            "inventoryItem": {"id": f"gid://shopify/InventoryItem/{n}"},
                        }
                    ]
                },
            },
            "userErrors": [],
        }
    }


def test_gauge_waits_exactly_until_the_cost_is_restored():
    clock = FakeClock()
    gauge = CostGauge(clock)
    gauge.record(ThrottleStatus(maximum=1000, available=30, restore_rate=50))

    assert gauge.wait_before(100) == pytest.approx((100 - 30) / 50)
    clock.now += 1.0  # 50 points came back
    assert gauge.wait_before(100) == pytest.approx((100 - 80) / 50)
    clock.now += 100.0
    assert gauge.wait_before(100) == 0.0
    assert gauge.available_now() == 1000  # never above the bucket


def test_the_first_call_goes_at_once_and_the_next_waits_by_the_reported_status():
    # given: the first answer leaves 5 points, restoring 50 a second
    clock, waits = FakeClock(), []
    session = StubSession(
        [
            StubResponse({"data": created("p0", 1), "extensions": status(5.0)}),
            StubResponse({"data": created("p0", 2), "extensions": status(990.0)}),
        ]
    )
    client = ShopifyAdminClient(
        "http://shop.test",
        "t",
        session=session,
        sleep=waits.append,
        clock=clock,
        mutations_per_request=1,
    )
    drafts = [VariantDraft(str(n), "T", f"S{n}", "", "1.00") for n in (1, 2)]

    # when
    client.create_products(drafts)

    # then: one wait, for the 5 missing points of a 10-point call
    assert waits == [pytest.approx((10 - 5) / 50)]
    assert len(session.sent) == 2


def test_a_throttled_answer_waits_for_the_refused_cost_then_sends_the_same_body():
    # given
    clock, waits = FakeClock(), []
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": status(2.0, requested=10, actual=None),
    }
    session = StubSession(
        [
            StubResponse(throttled),
            StubResponse({"data": created("p0", 1), "extensions": status(980.0)}),
        ]
    )
    client = ShopifyAdminClient(
        "http://shop.test", "t", session=session, sleep=waits.append, clock=clock
    )

    # when
    (result,) = client.create_products([VariantDraft("1", "T", "S1", "", "1.00")])

    # then
    assert result.variant_id == "gid://shopify/ProductVariant/1"
    assert waits == [pytest.approx((10 - 2) / 50)]
    assert session.sent[0] == session.sent[1]


def test_endless_throttling_ends_as_a_transient_error():
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": status(0.0, requested=10, actual=None),
    }
    session = StubSession([StubResponse(throttled) for _ in range(3)])
    client = ShopifyAdminClient(
        "http://shop.test", "t", session=session, sleep=lambda s: None, max_attempts=3
    )

    with pytest.raises(TransientError) as raised:
        client.create_products([VariantDraft("1", "T", "S1", "", "1.00")])

    assert raised.value.code == "shopify_throttled"
    assert len(session.sent) == 3
