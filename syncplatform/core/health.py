"""``/healthz`` (the process is up) and ``/readyz`` (database, broker and migrations ready)."""

from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse

from syncplatform.celery import app as celery_app

# Checks an app registers (e.g. audit's open breakers): a problem they name makes
# /readyz "degraded", still 200: the platform takes work and holds it back.
_DEGRADED_CHECKS: dict[str, Callable[[], str | None]] = {}


def register_degraded_check(name: str, check: Callable[[], str | None]) -> None:
    _DEGRADED_CHECKS[name] = check


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}: {exc}"
    return None


def _check_migrations() -> str | None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return f"{len(pending)} migration(s) not applied"
    return None


def _check_broker() -> str | None:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"broker unreachable: {exc.__class__.__name__}: {exc}"
    return None


def readyz(request):
    checks = {"database": _check_database()}
    if checks["database"] is None:
        checks["migrations"] = _check_migrations()
    checks["broker"] = _check_broker()
    problems = {name: error for name, error in checks.items() if error}
    degraded = {}
    if checks["database"] is None and not checks["migrations"]:
        degraded = {name: check() for name, check in _DEGRADED_CHECKS.items()}
    status = "not ready" if problems else "degraded" if any(degraded.values()) else "ready"
    body = {
        "status": status,
        "checks": {name: (error or "ok") for name, error in {**checks, **degraded}.items()},
    }
    return JsonResponse(body, status=503 if problems else 200)
