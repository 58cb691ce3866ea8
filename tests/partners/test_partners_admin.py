"""Partner admin: API keys shown once, secrets never rendered, empty submits keep them."""

import hashlib
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from syncplatform.partners.models import ApiClient, ChannelConfig, ErpEndpoint
from syncplatform.partners.services import authenticate_api_key

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec-clear-7f3a9c"
ERP_PASSWORD = "erp-clear-pass-51d2"


def column(model, name: str, pk: int) -> str:
    return model.objects.filter(pk=pk).values_list(name, flat=True).get()


def raw_column(table: str, name: str, pk: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def partner_page(client, partner):
    return client.get(reverse("admin:partners_partner_change", args=[partner.pk]))


# --- API clients ----------------------------------------------------------------------------


def test_given_admin_when_creating_api_client_then_key_shown_once_and_only_hash_stored(
    admin_client, channel
):
    response = admin_client.post(
        reverse("admin:partners_apiclient_add"),
        {"partner": channel.pk, "name": "shop backend", "is_active": "on", "_save": "Save"},
        follow=True,
    )

    assert response.status_code == 200
    shown = [m.message for m in get_messages(response.wsgi_request)]
    key_messages = [m for m in shown if "shown once" in m]
    assert len(key_messages) == 1
    clear_key = re.search(r"(sp_[0-9a-f]{12}_\S+)$", key_messages[0]).group(1)
    assert key_messages[0] == f"API key for demo-web (shown once, copy it now): {clear_key}"

    client = ApiClient.objects.get()
    assert (client.partner, client.name, client.is_active) == (channel, "shop backend", True)
    assert client.key_hash == hashlib.sha256(clear_key.encode()).hexdigest()
    assert authenticate_api_key(clear_key) == client

    # The list and the change page never show the key again.
    listing = admin_client.get(reverse("admin:partners_apiclient_changelist")).content.decode()
    page = admin_client.get(reverse("admin:partners_apiclient_change", args=[client.pk]))
    for html in (listing, page.content.decode()):
        assert clear_key not in html
        assert client.key_hash not in html


def test_given_admin_when_creating_an_inactive_api_client_then_it_is_stored_inactive(
    admin_client, channel
):
    admin_client.post(
        reverse("admin:partners_apiclient_add"),
        {"partner": channel.pk, "name": "not yet", "_save": "Save"},
    )

    client = ApiClient.objects.get()
    assert client.is_active is False


def test_given_existing_api_client_when_revoked_in_admin_then_key_and_hash_unchanged(
    admin_client, channel
):
    admin_client.post(
        reverse("admin:partners_apiclient_add"),
        {"partner": channel.pk, "name": "shop", "is_active": "on", "_save": "Save"},
        follow=True,  # the page after the add shows (and consumes) the one-time key
    )
    client = ApiClient.objects.get()

    response = admin_client.post(
        reverse("admin:partners_apiclient_change", args=[client.pk]),
        {"partner": channel.pk, "name": "shop", "_save": "Save"},
        follow=True,
    )

    assert not any("shown once" in m.message for m in get_messages(response.wsgi_request))
    revoked = ApiClient.objects.get()
    assert (revoked.pk, revoked.key_prefix, revoked.key_hash, revoked.is_active) == (
        client.pk,
        client.key_prefix,
        client.key_hash,
        False,
    )
    assert ApiClient.objects.count() == 1


def test_given_api_client_form_then_only_channels_are_offered(admin_client, channel, erp):
    response = admin_client.post(
        reverse("admin:partners_apiclient_add"),
        {"partner": erp.pk, "name": "erp", "is_active": "on", "_save": "Save"},
    )
    assert response.status_code == 200
    assert "partner" in response.context["adminform"].form.errors
    assert ApiClient.objects.count() == 0


# --- secrets in partner forms ---------------------------------------------------------------


def test_given_stored_secrets_then_the_partner_pages_never_render_them(
    admin_client, channel, erp, channel_config, erp_endpoint
):
    pages = (
        (
            channel,
            WEBHOOK_SECRET,
            raw_column("partners_channelconfig", "webhook_secret", channel_config.pk),
        ),
        (erp, ERP_PASSWORD, raw_column("partners_erpendpoint", "password", erp_endpoint.pk)),
    )
    for partner, secret, token in pages:
        page = partner_page(admin_client, partner)
        html = page.content.decode()
        assert page.status_code == 200
        assert secret not in html
        assert token not in html
        assert "A value is stored (hidden). Leave empty to keep it." in html
        assert 'type="password"' in html


def test_given_view_only_operator_then_the_partner_pages_never_render_the_secrets(
    client, operator, channel, erp, channel_config, erp_endpoint
):
    client.force_login(operator)
    for partner, secret, visible in (
        (channel, WEBHOOK_SECRET, "0000999999"),
        (erp, ERP_PASSWORD, "RFC_USER"),
    ):
        page = partner_page(client, partner)
        html = page.content.decode()
        assert page.status_code == 200
        assert visible in html  # the inline is shown, read-only ...
        assert secret not in html  # ... without its secret


def test_given_empty_secret_submitted_then_the_stored_value_is_kept(
    admin_client, channel, channel_config, change_form_data
):
    data = change_form_data(partner_page(admin_client, channel))
    assert data["channel_config-0-webhook_secret"] == ""
    data["channel_config-0-default_sold_to"] = "0000111111"

    response = admin_client.post(reverse("admin:partners_partner_change", args=[channel.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    stored = ChannelConfig.objects.get(pk=channel_config.pk)
    assert (stored.default_sold_to, stored.webhook_secret) == ("0000111111", WEBHOOK_SECRET)


def test_given_empty_erp_password_submitted_then_the_stored_value_is_kept(
    admin_client, erp, erp_endpoint, change_form_data
):
    data = change_form_data(partner_page(admin_client, erp))
    assert data["erp_endpoint-0-password"] == ""
    data["erp_endpoint-0-username"] = "RFC_USER2"

    response = admin_client.post(reverse("admin:partners_partner_change", args=[erp.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    stored = ErpEndpoint.objects.get(pk=erp_endpoint.pk)
    assert (stored.username, stored.password) == ("RFC_USER2", ERP_PASSWORD)


def test_given_new_secret_submitted_then_it_replaces_the_stored_one_encrypted(
    admin_client, erp, erp_endpoint, change_form_data
):
    data = change_form_data(partner_page(admin_client, erp))
    data["erp_endpoint-0-password"] = "rotated-pass-99"

    response = admin_client.post(reverse("admin:partners_partner_change", args=[erp.pk]), data)

    assert response.status_code == 302
    assert ErpEndpoint.objects.get(pk=erp_endpoint.pk).password == "rotated-pass-99"
    raw = raw_column("partners_erpendpoint", "password", erp_endpoint.pk)
    assert raw.startswith("gAAAAA") and "rotated-pass-99" not in raw


def test_given_new_channel_config_in_admin_then_secret_is_stored_encrypted(
    admin_client, channel, erp, change_form_data
):
    data = change_form_data(partner_page(admin_client, channel))
    data.update(
        {
            "channel_config-TOTAL_FORMS": "1",
            "channel_config-0-erp": str(erp.pk),
            "channel_config-0-default_sold_to": "",
            "channel_config-0-default_location": "WEB-DC",
            "channel_config-0-webhook_secret": WEBHOOK_SECRET,
        }
    )

    response = admin_client.post(reverse("admin:partners_partner_change", args=[channel.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    config = ChannelConfig.objects.get(partner=channel)
    assert config.webhook_secret == WEBHOOK_SECRET
    assert raw_column("partners_channelconfig", "webhook_secret", config.pk).startswith("gAAAAA")
