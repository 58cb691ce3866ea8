from django.core.management.base import BaseCommand, CommandError

from syncplatform.partners.choices import PartnerKind
from syncplatform.partners.models import Partner
from syncplatform.partners.services import issue_api_key


class Command(BaseCommand):
    help = "Create an API key for a channel and print it (only the key, on stdout). Shown once."

    def add_arguments(self, parser):
        parser.add_argument("--channel", required=True, help="partner code of the channel")
        parser.add_argument("--name", default="default", help="label for the API client")

    def handle(self, *args, channel, name, **options):
        partner = Partner.objects.filter(code=channel).first()
        if partner is None:
            raise CommandError(f"no partner with code {channel!r}")
        if partner.kind != PartnerKind.CHANNEL:
            raise CommandError(f"partner {channel!r} is a {partner.kind}, not a channel")
        _, clear_key = issue_api_key(partner, name)
        self.stdout.write(clear_key)
