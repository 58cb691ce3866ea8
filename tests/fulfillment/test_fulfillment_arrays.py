"""Array parameters for a batch's ids: exact, and never a way to inject SQL."""

import pytest
from django.db import connection

from syncplatform.fulfillment.services.arrays import any_of, array_literal
from syncplatform.orders.models import Order


def test_given_ints_and_digit_strings_when_written_then_a_postgresql_array_literal():
    assert array_literal([3, 10, 200]) == "{3,10,200}"
    assert array_literal(["0001", "0002"]) == "{0001,0002}"
    assert array_literal([]) == "{}"


@pytest.mark.parametrize("item", ["1,2", "-1", "1}", "x", "", "1 "])
def test_given_anything_but_digits_when_written_then_it_is_refused(item):
    with pytest.raises(ValueError):
        array_literal([1, item])


def test_given_ids_when_filtering_with_any_of_then_exactly_those_rows_match(posted_order):
    orders = [posted_order(f"WEB-A{n}") for n in range(4)]
    wanted = [orders[0].pk, orders[2].pk, orders[3].pk + 1000]

    matched = Order.objects.filter(pk__in=any_of(wanted)).values_list("pk", flat=True)

    assert sorted(matched) == [orders[0].pk, orders[2].pk]
    assert Order.objects.filter(pk__in=any_of([])).count() == 0
    if connection.vendor != "postgresql":
        assert any_of(wanted) == wanted  # SQLite gets the plain list
