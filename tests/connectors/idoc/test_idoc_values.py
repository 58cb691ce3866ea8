"""SAP's text for numbers, dates and times, and the control record EDI_DC40."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from connectors.errors import ConfigError
from connectors.idoc import ControlRecord, format_docnum
from connectors.idoc.control import control_fields, read_control
from connectors.idoc.values import (
    format_decimal,
    parse_date,
    parse_decimal,
    parse_digits,
    parse_time,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [("4.000", Decimal("4.000")), (" 4.000", Decimal("4")), ("10.500-", Decimal("-10.5")),
     ("-3", Decimal(-3)), ("0", Decimal(0)), (".5", Decimal("0.5")), ("12.", Decimal(12))],
)  # fmt: skip
def test_given_sap_numbers_when_parsed_then_decimals(text, number):
    assert parse_decimal(text) == number


@pytest.mark.parametrize("text", ["", "2,5", "1e3", "NaN", "--1", "-1-", "1.2.3", "Infinity"])
def test_given_text_that_is_not_a_number_when_parsed_then_refused(text):
    with pytest.raises(ValueError, match="is not a number"):
        parse_decimal(text)


def test_given_decimals_when_formatted_then_no_exponent_and_the_sign_after_the_number():
    assert format_decimal(Decimal("1E+3")) == "1000"
    assert format_decimal(Decimal("-43.18")) == "43.18-"
    assert format_decimal(Decimal("-0")) == "0"
    with pytest.raises(ValueError, match="not a finite number"):
        format_decimal(Decimal("NaN"))


def test_given_dates_and_times_when_parsed_then_zeros_are_none_and_bad_ones_refused():
    assert parse_date("20261124") == date(2026, 11, 24)
    assert parse_date("00000000") is None and parse_date("") is None
    assert parse_time("091500") == time(9, 15) and parse_time("") is None
    with pytest.raises(ValueError, match="'2026-11-24' is not a date YYYYMMDD"):
        parse_date("2026-11-24")
    with pytest.raises(ValueError, match="'20260230' is not a valid date"):
        parse_date("20260230")
    with pytest.raises(ValueError, match="'0915' is not a time HHMMSS"):
        parse_time("0915")


def test_given_item_numbers_when_parsed_then_digits_are_kept_as_sent():
    assert parse_digits("000010", 6) == "000010"
    with pytest.raises(ValueError, match="'0000010' is not a number of at most 6 digits"):
        parse_digits("0000010", 6)


def test_given_a_control_record_when_written_and_read_then_the_same_record():
    control = ControlRecord(
        "DELVRY07", "SHPCON", format_docnum(42), "SYNCPLAT", "LS", "SYNCPLAT", "SAPERP", "LS",
        "ERPCLNT100", datetime(2026, 11, 23, 18, 30, 5), client="100", direction="2",
        is_test=True, message_reference="RESEND-41",
    )  # fmt: skip

    fields = control_fields(control)

    assert fields[:4] == [("TABNAM", "EDI_DC40"), ("MANDT", "100"), ("DOCNUM", "0000000000000042"),
                          ("DIRECT", "2")]  # fmt: skip
    assert ("TEST", "X") in fields and ("CRETIM", "183005") in fields
    assert read_control(dict(fields)) == control


def test_given_numbers_that_do_not_fit_docnum_then_config_errors():
    with pytest.raises(ConfigError, match="does not fit DOCNUM"):
        format_docnum(10**16)
    with pytest.raises(ConfigError, match="DOCNUM '12A' is not digits"):
        control_fields(ControlRecord("DELVRY07", "SHPCON", docnum="12A"))
    with pytest.raises(ConfigError, match="needs IDOCTYP and MESTYP"):
        control_fields(ControlRecord("DELVRY07", ""))
