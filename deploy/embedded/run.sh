#!/usr/bin/env bash
# `make run`: the platform on its embedded default -- SQLite (WAL), the filesystem
# kombu transport and the sandbox ERP -- with demo data, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

export SYNC_WEB_PORT="${PORT:-8000}"
export SYNC_SANDBOX_ERP_PORT="${SYNC_SANDBOX_ERP_PORT:-8001}"
export SYNC_VAR_DIR="${SYNC_VAR_DIR:-$PWD/var/embedded}"
export SYNC_SANDBOX_SFTP_PORT="${SYNC_SANDBOX_SFTP_PORT:-8022}"
export SYNC_PUBLISH_GRACE_SECONDS="${SYNC_PUBLISH_GRACE_SECONDS:-10}"
mkdir -p "$SYNC_VAR_DIR"

py=.venv/bin/python
$py manage.py migrate --noinput -v0
$py manage.py collectstatic --noinput -v0
# The sandbox warehouse's host key and our client key, made once and reused.
eval "$($py -m connectors.sandbox_warehouse --prepare-only \
    --bind "127.0.0.1:$SYNC_SANDBOX_SFTP_PORT" --root "$SYNC_VAR_DIR/sftp-root" \
    --state "$SYNC_VAR_DIR/sandbox-warehouse" \
    --make-client-key "$SYNC_VAR_DIR/sandbox-warehouse/client_key")"
credentials="$SYNC_VAR_DIR/demo-credentials.txt"
$py manage.py load_demo --erp-url "http://127.0.0.1:$SYNC_SANDBOX_ERP_PORT" \
    --sftp-port "$SYNC_SANDBOX_SFTP_PORT" --sftp-known-hosts "$SANDBOX_SFTP_KNOWN_HOSTS" \
    --sftp-key-file "$SANDBOX_SFTP_KEY" >"$credentials"
# shellcheck disable=SC1090
. "$credentials"

cat <<BANNER

  syncplatform (embedded default: SQLite + filesystem broker + sandbox ERP)

  API          http://127.0.0.1:$SYNC_WEB_PORT/api/v1/orders
  API docs     http://127.0.0.1:$SYNC_WEB_PORT/api/v1/docs
  Admin        http://127.0.0.1:$SYNC_WEB_PORT/admin/   user admin / password $ADMIN_PASSWORD
  Health       http://127.0.0.1:$SYNC_WEB_PORT/readyz
  Sandbox ERP  http://127.0.0.1:$SYNC_SANDBOX_ERP_PORT/sap/SalesOrder?wsdl
  Sandbox 3PL  sftp://warehouse@127.0.0.1:$SYNC_SANDBOX_SFTP_PORT (files in $SYNC_VAR_DIR/sftp-root)
  Demo API key $DEMO_API_KEY   (also in $credentials)

  Post the demo order:
    curl -sS -X POST http://127.0.0.1:$SYNC_WEB_PORT/api/v1/orders \\
      -H "Authorization: Bearer $DEMO_API_KEY" -H "Idempotency-Key: demo-1" \\
      -H "Content-Type: application/json" --data @fixtures/demo/order.json

BANNER
exec .venv/bin/honcho --no-colour -f deploy/embedded/Procfile -d . start
