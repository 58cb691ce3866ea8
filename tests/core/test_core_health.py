"""GET /healthz (the process is up) and GET /readyz (database, migrations, broker)."""

import json
import socket

import pytest

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_given_the_process_is_up_when_healthz_then_200_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"status": "ok"}
    assert response["X-Correlation-ID"]


def test_given_database_and_broker_up_when_readyz_then_200_with_every_check_ok(client):
    response = client.get("/readyz")

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "broker": "ok", "breakers": "ok"},
    }


def test_given_the_broker_is_down_when_readyz_then_503_naming_the_broker(client, monkeypatch):
    # Celery reads CELERY_BROKER_URL from the environment before its own settings;
    # monkeypatch restores it after the test.
    monkeypatch.setenv("CELERY_BROKER_URL", f"amqp://guest:guest@127.0.0.1:{closed_port()}//")

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["broker"].startswith("broker unreachable: ")
    assert "Connection refused" in body["checks"]["broker"]


def test_given_the_broker_is_back_when_readyz_again_then_200(client, monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", f"amqp://guest:guest@127.0.0.1:{closed_port()}//")
    assert client.get("/readyz").status_code == 503
    monkeypatch.undo()

    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_given_no_credentials_when_probing_then_health_needs_no_login(client, path):
    # Load balancers and orchestrators probe without any key or session.
    assert client.get(path).status_code == 200
