"""Talking to the real web server as a channel does."""

import json

import requests

from tests.support.processes import wait_until


def post_order(web_server, api_key, order, key):
    return requests.post(
        f"{web_server}/api/v1/orders",
        data=json.dumps(order),
        timeout=30,
        headers={
            "Authorization": f"Bearer {api_key}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
    )


def order_status(web_server, api_key, order_id):
    response = requests.get(
        f"{web_server}/api/v1/orders/{order_id}",
        timeout=10,
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def wait_for_status(web_server, api_key, order_id, status, *, timeout=60, sweep=False):
    """Poll the status URL until the order reaches ``status`` (optionally sweeping meanwhile)."""
    from syncplatform.audit.services import sweep_due_transactions

    def reached():
        if sweep:
            sweep_due_transactions()
        body = order_status(web_server, api_key, order_id)
        return body if body["status"] == status else None

    return wait_until(reached, timeout=timeout, interval=0.3, what=f"order {order_id} {status}")
