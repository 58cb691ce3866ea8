"""Partner secrets are Fernet tokens in the database and clear text only in Python."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from syncplatform.partners.models import ChannelConfig, ErpEndpoint

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec-clear-7f3a9c"
ERP_PASSWORD = "erp-clear-pass-51d2"


def column(table: str, name: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def current_key(settings) -> Fernet:
    return Fernet(settings.SYNC_ENCRYPTION_KEYS[0].encode())


def test_given_erp_password_then_the_column_holds_a_fernet_token_not_the_clear_text(
    erp_endpoint, settings
):
    raw = column("partners_erpendpoint", "password", erp_endpoint.pk)

    assert raw.startswith("gAAAAA")
    assert ERP_PASSWORD not in raw
    assert current_key(settings).decrypt(raw.encode()).decode() == ERP_PASSWORD
    assert ErpEndpoint.objects.get(pk=erp_endpoint.pk).password == ERP_PASSWORD


def test_given_webhook_secret_then_the_column_holds_a_fernet_token_not_the_clear_text(
    channel_config, settings
):
    raw = column("partners_channelconfig", "webhook_secret", channel_config.pk)

    assert raw.startswith("gAAAAA")
    assert WEBHOOK_SECRET not in raw
    assert current_key(settings).decrypt(raw.encode()).decode() == WEBHOOK_SECRET
    assert ChannelConfig.objects.get(pk=channel_config.pk).webhook_secret == WEBHOOK_SECRET


def test_given_the_same_secret_twice_then_the_tokens_differ(erp, channel, erp_endpoint):
    other = ChannelConfig.objects.create(partner=channel, erp=erp, webhook_secret=ERP_PASSWORD)
    assert column("partners_channelconfig", "webhook_secret", other.pk) != column(
        "partners_erpendpoint", "password", erp_endpoint.pk
    )


def test_given_empty_secret_then_stored_empty(erp):
    endpoint = ErpEndpoint.objects.create(partner=erp, wsdl_url="http://erp.example/wsdl")
    assert column("partners_erpendpoint", "password", endpoint.pk) == ""
    assert ErpEndpoint.objects.get(pk=endpoint.pk).password == ""


def test_given_rotated_keys_then_old_rows_decrypt_and_are_reencrypted_with_the_new_key_on_save(
    erp, settings
):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SYNC_ENCRYPTION_KEYS = [old_key]
    endpoint = ErpEndpoint.objects.create(
        partner=erp, wsdl_url="http://erp.example/wsdl", password=ERP_PASSWORD
    )
    old_token = column("partners_erpendpoint", "password", endpoint.pk)

    settings.SYNC_ENCRYPTION_KEYS = [new_key, old_key]
    reloaded = ErpEndpoint.objects.get(pk=endpoint.pk)
    assert reloaded.password == ERP_PASSWORD
    reloaded.save()

    new_token = column("partners_erpendpoint", "password", endpoint.pk)
    assert new_token != old_token
    assert Fernet(new_key.encode()).decrypt(new_token.encode()).decode() == ERP_PASSWORD
    settings.SYNC_ENCRYPTION_KEYS = [new_key]  # the old key can now be dropped
    assert ErpEndpoint.objects.get(pk=endpoint.pk).password == ERP_PASSWORD


def test_given_the_key_was_replaced_without_keeping_the_old_one_then_a_clear_error(erp, settings):
    settings.SYNC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    endpoint = ErpEndpoint.objects.create(
        partner=erp, wsdl_url="http://erp.example/wsdl", password=ERP_PASSWORD
    )
    settings.SYNC_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted with SYNC_ENCRYPTION_KEYS"):
        ErpEndpoint.objects.get(pk=endpoint.pk)


def test_given_an_invalid_key_then_a_clear_configuration_error(erp, settings):
    settings.SYNC_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="SYNC_ENCRYPTION_KEYS holds an invalid Fernet"):
        ErpEndpoint.objects.create(
            partner=erp, wsdl_url="http://erp.example/wsdl", password=ERP_PASSWORD
        )
