import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from syncplatform.erpdocs.models import IdocConfig
from syncplatform.erpdocs.services import ensure_erp_schedules
from syncplatform.fulfillment.models import WarehouseConfig
from syncplatform.fulfillment.services import ensure_warehouse_schedules
from syncplatform.mappings.choices import MappingKind
from syncplatform.mappings.csvfiles import import_mappings
from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import ApiClient, ChannelConfig, ErpEndpoint, Partner
from syncplatform.partners.services import authenticate_api_key, issue_api_key

DEMO_DIR = Path(settings.BASE_DIR) / "fixtures" / "demo"
DEMO_ERP_PUSH_USER = "demo-erp-push"
DEMO_KEY_NAME = "demo"


def read_credentials(path: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of an earlier run's output; {} when there is none."""
    if not path or not Path(path).is_file():
        return {}
    lines = Path(path).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


class Command(BaseCommand):
    help = (
        "Load the demo partners (demo-web, demo-erp, demo-3pl), their mappings, demo-erp's "
        "IDoc config and an admin user; print the API key, the admin password and the "
        "password demo-erp pushes IDocs with. Safe to run again: with --credentials-file "
        "the credentials printed last time are kept while they still work."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--erp-url",
            default="http://127.0.0.1:8001",
            help="base URL of the sandbox ERP (default %(default)s)",
        )
        parser.add_argument(
            "--admin-password",
            default="",
            help="admin password (default: a new random one, printed)",
        )
        parser.add_argument(
            "--sftp-port",
            type=int,
            default=0,
            help="sandbox warehouse SFTP port (0: no warehouse config)",
        )
        parser.add_argument(
            "--sftp-known-hosts",
            default="",
            help="the sandbox SFTP server's known_hosts line (pinned)",
        )
        parser.add_argument(
            "--sftp-key-file", default="", help="private key file for the sandbox SFTP user"
        )
        parser.add_argument(
            "--erp-push-password",
            default="",
            help="password demo-erp pushes IDocs with (default: a new random one, printed)",
        )
        parser.add_argument(
            "--credentials-file",
            default="",
            help="the output of an earlier run (KEY=VALUE lines): its API key, admin password "
            "and push password are kept while they still work, so a restart changes nothing",
        )
        parser.add_argument(
            "--shop-url",
            default="",
            help="the sandbox shop demo-web publishes its catalog to; its access token is "
            "read from SANDBOX_SHOP_TOKEN",
        )
        parser.add_argument(
            "--webhook-secret",
            default="demo-shopify-secret",
            help="demo-web's Shopify webhook secret",
        )

    @transaction.atomic
    def handle(
        self,
        *args,
        erp_url,
        admin_password,
        erp_push_password,
        webhook_secret,
        sftp_port,
        sftp_known_hosts,
        sftp_key_file,
        credentials_file,
        shop_url,
        **options,
    ):
        earlier = read_credentials(credentials_file)
        admin_password = admin_password or earlier.get("ADMIN_PASSWORD", "")
        erp_push_password = erp_push_password or earlier.get("DEMO_ERP_PUSH_PASSWORD", "")
        channel = self._partner("demo-web", "Demo web shop", PartnerKind.CHANNEL)
        erp = self._partner("demo-erp", "Sandbox ERP", PartnerKind.ERP)
        warehouse = self._partner("demo-3pl", "Sandbox 3PL warehouse", PartnerKind.WAREHOUSE)
        if sftp_port:
            self._warehouse(warehouse, sftp_port, sftp_known_hosts, sftp_key_file)
        ErpEndpoint.objects.update_or_create(
            partner=erp,
            defaults={
                "wsdl_url": f"{erp_url.rstrip('/')}/sap/SalesOrder?wsdl",
                "timeout_seconds": 10,
            },
        )
        push_password = self._idoc_config(erp, erp_url, erp_push_password)
        ChannelConfig.objects.update_or_create(
            partner=channel,
            defaults={
                "erp": erp,
                "default_sold_to": "0000999999",
                "default_location": "WEB-DC",
                "webhook_secret": webhook_secret,
                "shop_url": shop_url,
                "shop_access_token": os.environ.get("SANDBOX_SHOP_TOKEN", "") if shop_url else "",
            },
        )
        for kind in MappingKind.values:
            report = import_mappings(kind, (DEMO_DIR / f"{kind}.csv").read_text())
            self.stderr.write(
                f"demo {kind} mappings: {report.added} added, "
                f"{report.changed} changed, {report.unchanged} unchanged"
            )
        # demo-erp's catalog sources and 40 generated materials with prices (once)
        call_command("load_demo_catalog", stdout=self.stderr)
        api_key = self._api_key(channel, earlier.get("DEMO_API_KEY", ""))
        password = admin_password or secrets.token_urlsafe(12)
        admin = get_user_model().objects.filter(username="admin").first()
        if admin is None:
            admin = get_user_model().objects.create_superuser(
                "admin", "admin@example.com", password
            )
        else:
            admin.set_password(password)
            admin.save()
        # The alert digest goes to the operations group: the demo's mails land in
        # $SYNC_VAR_DIR/mail/ addressed to admin@example.com.
        operations, _ = Group.objects.get_or_create(name="operations")
        admin.groups.add(operations)
        self.stdout.write(
            f"DEMO_API_KEY={api_key}\nADMIN_USER=admin\nADMIN_PASSWORD={password}\n"
            f"DEMO_ERP_PUSH_USER={DEMO_ERP_PUSH_USER}\nDEMO_ERP_PUSH_PASSWORD={push_password}\n"
        )

    def _api_key(self, channel, earlier_key: str) -> str:
        """The earlier demo key while it still works; else a new one, the old ones retired."""
        client = authenticate_api_key(earlier_key) if earlier_key else None
        if client is not None and client.partner_id == channel.pk:
            return earlier_key
        ApiClient.objects.filter(partner=channel, name=DEMO_KEY_NAME).update(is_active=False)
        _, api_key = issue_api_key(channel, DEMO_KEY_NAME)
        return api_key

    def _warehouse(self, partner, port, known_hosts, key_file):
        WarehouseConfig.objects.update_or_create(
            partner=partner,
            defaults={
                "sftp_host": "127.0.0.1",
                "sftp_port": port,
                "sftp_username": "warehouse",
                "sftp_private_key": Path(key_file).read_text(),
                "sftp_known_hosts": known_hosts,
                "settle_seconds": 1,
                "our_isa_id": "SYNCPLATFORM",
                "their_isa_id": "SANDBOX3PL",
                "ack_due_minutes": 10,
            },
        )
        # The demo should show an order reach "shipped" within a minute.
        ensure_warehouse_schedules(partner, send_every=10, poll_every=5)

    def _idoc_config(self, erp, erp_url, push_password) -> str:
        """demo-erp takes our IDocs at the sandbox and pushes its invoices with basic auth."""
        config, _ = IdocConfig.objects.update_or_create(
            partner=erp,
            defaults={
                "idoc_url": erp_url.rstrip("/"),
                "our_port": "SYNCPLAT",
                "our_partner": "SYNCPLAT",
                "erp_port": "SAPSBX",
                "erp_partner": "SBXCLNT100",
                "erp_client": "100",
                "inbound_username": DEMO_ERP_PUSH_USER,
            },
        )
        push_password = push_password or secrets.token_urlsafe(12)
        config.set_inbound_password(push_password)
        config.save()
        # The demo should show an order's invoice within a minute.
        ensure_erp_schedules(erp, send_every=10, status_every=5)
        return push_password

    def _partner(self, code, name, kind):
        partner, _ = Partner.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "is_active": True}
        )
        return partner
