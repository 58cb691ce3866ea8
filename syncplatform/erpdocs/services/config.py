"""An ERP's IDoc settings: its schedules, and who may push IDocs to us."""

import hashlib
import secrets

from syncplatform.audit.schedules import ensure_partner_schedules
from syncplatform.partners.models import ApiClient
from syncplatform.partners.services import KEY_SCHEME, authenticate_api_key

from ..choices import ERP_IDOC_OUT, ERP_IDOC_STATUS
from ..models import IdocConfig


def ensure_erp_schedules(
    partner, *, send_every: int | None = None, status_every: int | None = None
) -> None:
    """The ERP's "send IDoc postings" and "ask for IDoc statuses" schedules, if missing.

    The intervals default to the declared ones; existing rows are left as
    operations edited them (Periodic tasks).
    """
    overrides = {ERP_IDOC_OUT: send_every, ERP_IDOC_STATUS: status_every}
    ensure_partner_schedules(
        partner, every_seconds={key: every for key, every in overrides.items() if every}
    )


def issue_inbound_api_key(config: IdocConfig, name: str = "idoc-inbound") -> tuple[ApiClient, str]:
    """An API client of the ERP partner for its IDoc pushes; the clear key, shown once.

    The key has the format and the SHA-256-only storage of a channel's
    (``partners.services.issue_api_key``, which issues keys for channels only).
    """
    prefix = secrets.token_hex(6)
    clear_key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    client = ApiClient.objects.create(
        partner=config.partner,
        name=name,
        key_prefix=prefix,
        key_hash=hashlib.sha256(clear_key.encode()).hexdigest(),
    )
    return client, clear_key


def authenticate_erp_push(
    config: IdocConfig, *, basic: tuple[str, str] | None, api_key: str | None
) -> bool:
    """Whether a push carries this ERP's credentials: its basic auth, or an API key of one
    of its own active API clients."""
    if api_key:
        client = authenticate_api_key(api_key)
        return client is not None and client.partner_id == config.partner_id
    if basic:
        return config.accepts_basic_auth(*basic)
    return False
