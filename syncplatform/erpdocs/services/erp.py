"""The IDoc client for an ERP partner, from its IDoc config and ERP endpoint."""

import threading

from connectors.erp.idoc_client import IdocClient
from connectors.errors import ConfigError
from syncplatform.partners.models import ErpEndpoint

from ..models import IdocConfig

_clients: dict[tuple, IdocClient] = {}
_clients_lock = threading.Lock()


def idoc_client_for(config: IdocConfig) -> IdocClient:
    """The process's client for this ERP's IDoc services (one per configuration).

    User, password and timeout are the partner's ERP endpoint's when it has
    one (the same ERP, the same credentials); editing either in the admin
    yields a new client on the next call.
    """
    if not config.idoc_url:
        raise ConfigError(
            f"ERP {config.partner.code} has no IDoc URL (admin: ERP documents > IDoc configs)",
            code="erp_idoc_url",
        )
    endpoint = ErpEndpoint.objects.filter(partner_id=config.partner_id).first()
    key = (
        config.idoc_url,
        (endpoint.username or None) if endpoint else None,
        (endpoint.password or None) if endpoint else None,
        float(endpoint.timeout_seconds) if endpoint else 30.0,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            url, username, password, timeout = key
            client = _clients[key] = IdocClient(url, username, password, timeout=timeout)
    return client
