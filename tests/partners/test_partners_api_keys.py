"""API keys: issued once, stored as a SHA-256 hash, checked in constant time."""

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncplatform.partners.models import ApiClient
from syncplatform.partners.services import authenticate_api_key, issue_api_key

pytestmark = pytest.mark.django_db

KEY_SHAPE = re.compile(r"^sp_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


def raw_row(client: ApiClient) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM partners_apiclient WHERE id = %s", [client.pk])
        return cursor.fetchone()


def test_given_channel_when_key_issued_then_only_prefix_and_sha256_are_stored(channel):
    client, clear_key = issue_api_key(channel, "shop backend")

    shape = KEY_SHAPE.match(clear_key)
    assert shape, clear_key
    stored = ApiClient.objects.get(pk=client.pk)
    assert (stored.partner, stored.name, stored.is_active) == (channel, "shop backend", True)
    assert stored.key_prefix == shape.group(1)
    assert stored.key_hash == hashlib.sha256(clear_key.encode()).hexdigest()
    row = raw_row(client)
    assert clear_key not in [str(col) for col in row]
    secret_part = clear_key.split("_", 2)[2]
    assert not any(secret_part in str(col) for col in row)


def test_given_two_keys_then_they_differ_and_each_finds_its_own_client(channel):
    first, first_key = issue_api_key(channel, "a")
    second, second_key = issue_api_key(channel, "b")

    assert first_key != second_key and first.key_prefix != second.key_prefix
    assert authenticate_api_key(first_key) == first
    assert authenticate_api_key(second_key) == second


def test_given_non_channel_partner_then_no_key_is_issued(erp):
    with pytest.raises(ValueError, match="partner demo-erp is a erp, not a channel"):
        issue_api_key(erp)
    assert ApiClient.objects.count() == 0


def test_given_issued_key_then_it_authenticates_with_its_partner_loaded(channel):
    client, clear_key = issue_api_key(channel)

    found = authenticate_api_key(clear_key)

    assert found == client
    assert found.partner.code == "demo-web"


def test_given_wrong_secret_with_right_prefix_then_refused(channel):
    _, clear_key = issue_api_key(channel)
    scheme, prefix, secret = clear_key.split("_", 2)
    tampered = f"{scheme}_{prefix}_{'A' if secret[0] != 'A' else 'B'}{secret[1:]}"
    assert authenticate_api_key(tampered) is None
    assert authenticate_api_key(clear_key + "x") is None


def test_given_revoked_client_then_its_key_is_refused(channel):
    client, clear_key = issue_api_key(channel)
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert authenticate_api_key(clear_key) is None


def test_a_key_revoked_after_use_is_refused_on_the_very_next_look_up(channel):
    # given: a key that has just authenticated
    client, clear_key = issue_api_key(channel)
    assert authenticate_api_key(clear_key) == client

    # when: it is revoked (nothing of it is kept between look-ups)
    client.is_active = False
    client.save()

    # then
    assert authenticate_api_key(clear_key) is None


def test_a_look_up_is_one_statement_with_the_client_and_partner_fully_loaded(channel):
    client, clear_key = issue_api_key(channel)

    with CaptureQueriesContext(connection) as queries:
        found = authenticate_api_key(clear_key)
        fields = {name: getattr(found, name) for name in ("name", "key_hash", "created_at")}
        partner = (found.partner.pk, found.partner.code, found.partner.kind)

    assert len(queries.captured_queries) == 1
    stored = ApiClient.objects.get(pk=client.pk)
    assert fields == {name: getattr(stored, name) for name in fields}
    assert partner == (channel.pk, channel.code, channel.kind)
    assert not found._state.adding and found._state.db == "default"


def test_given_inactive_partner_then_its_key_is_refused(channel):
    _, clear_key = issue_api_key(channel)
    channel.is_active = False
    channel.save()
    assert authenticate_api_key(clear_key) is None


@pytest.mark.parametrize(
    "key",
    ["", "sp", "sp_", "sp_abc", "xx_0123456789ab_secret", "Bearer sp_x_y", "sp__", "_" * 5],
)
def test_given_malformed_key_then_refused_without_error(channel, key):
    issue_api_key(channel)
    assert authenticate_api_key(key) is None


def test_given_create_api_key_command_then_stdout_is_exactly_one_key_that_works(channel):
    out, err = StringIO(), StringIO()

    call_command(
        "create_api_key", "--channel", "demo-web", "--name", "pos-bridge", stdout=out, stderr=err
    )

    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and out.getvalue() == lines[0] + "\n"
    assert KEY_SHAPE.match(lines[0])
    client = authenticate_api_key(lines[0])
    assert (client.partner, client.name) == (channel, "pos-bridge")
    assert err.getvalue() == ""


def test_given_command_without_name_then_client_is_called_default(channel):
    out = StringIO()
    call_command("create_api_key", "--channel", "demo-web", stdout=out)
    assert authenticate_api_key(out.getvalue().strip()).name == "default"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("nope", "no partner with code 'nope'"),
        ("demo-erp", "partner 'demo-erp' is a erp, not a channel"),
        ("demo-3pl", "partner 'demo-3pl' is a warehouse, not a channel"),
    ],
)
def test_given_unknown_or_non_channel_partner_then_command_error_and_no_key(
    code, message, erp, warehouse
):
    out = StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("create_api_key", "--channel", code, stdout=out)
    assert str(refused.value) == message
    assert out.getvalue() == ""
    assert ApiClient.objects.count() == 0


def test_given_no_channel_option_then_the_parser_refuses(db):
    with pytest.raises(CommandError, match="--channel"):
        call_command("create_api_key")
