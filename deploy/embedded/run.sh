#!/usr/bin/env bash
# `make run`: the platform on its embedded default -- SQLite (WAL), the filesystem
# kombu transport and the sandbox ERP -- with demo data, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

export SYNC_WEB_PORT="${PORT:-8000}"
export SYNC_SANDBOX_ERP_PORT="${SYNC_SANDBOX_ERP_PORT:-8001}"
export SYNC_VAR_DIR="${SYNC_VAR_DIR:-$PWD/var/embedded}"
export SYNC_SANDBOX_SFTP_PORT="${SYNC_SANDBOX_SFTP_PORT:-8022}"
export SYNC_SANDBOX_SHOP_PORT="${SYNC_SANDBOX_SHOP_PORT:-8002}"
# The sandbox shop's access token: new each start, given to the shop (Procfile) and to
# demo-web's channel config (load_demo) through the environment, never the command line.
SANDBOX_SHOP_TOKEN="${SANDBOX_SHOP_TOKEN:-shpat_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
export SANDBOX_SHOP_TOKEN
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
# The key and passwords of the last start are kept while they work: a restart changes none.
$py manage.py load_demo --erp-url "http://127.0.0.1:$SYNC_SANDBOX_ERP_PORT" \
    --sftp-port "$SYNC_SANDBOX_SFTP_PORT" --sftp-known-hosts "$SANDBOX_SFTP_KNOWN_HOSTS" \
    --sftp-key-file "$SANDBOX_SFTP_KEY" --credentials-file "$credentials" \
    --shop-url "http://127.0.0.1:$SYNC_SANDBOX_SHOP_PORT" >"$credentials.new"
mv "$credentials.new" "$credentials"
# shellcheck disable=SC1090
. "$credentials"

# The sandbox ERP pushes its invoices (INVOIC02) to our web server and keeps stock of the
# demo materials (so the warehouse's 846s have something to differ from): tell it once it
# answers. In the background, because it starts with the others below.
(
  DEMO_ERP_PUSH_USER="$DEMO_ERP_PUSH_USER" DEMO_ERP_PUSH_PASSWORD="$DEMO_ERP_PUSH_PASSWORD" \
    $py - "$SYNC_SANDBOX_ERP_PORT" "$SYNC_WEB_PORT" <<'PYTHON'
import os, sys, time

import requests

erp, web = (f"http://127.0.0.1:{port}" for port in sys.argv[1:3])
settings = {
    "invoice_push_url": f"{web}/api/v1/erp/demo-erp/idocs",
    "invoice_push_username": os.environ["DEMO_ERP_PUSH_USER"],
    "invoice_push_password": os.environ["DEMO_ERP_PUSH_PASSWORD"],
    "invoice_delay_ms": 2000,
    "stock": [
        {"material": m, "plant": "1000", "quantity": "100", "unit": u}
        for m, u in (("MAT-100200", "EA"), ("MAT-100201", "EA"), ("MAT-100310", "EA"),
                     ("MAT-200010", "EA"), ("MAT-300500", "PK"))
    ],
}
for _ in range(240):
    try:
        requests.post(f"{erp}/_sandbox/config", json=settings, timeout=5).raise_for_status()
        break
    except requests.RequestException:
        time.sleep(0.5)
else:
    sys.exit("could not tell the sandbox ERP where to push invoices")
PYTHON
) &

cat <<BANNER

  syncplatform (embedded default: SQLite + filesystem broker + sandbox ERP)

  API          http://127.0.0.1:$SYNC_WEB_PORT/api/v1/orders
  API docs     http://127.0.0.1:$SYNC_WEB_PORT/api/v1/docs
  Admin        http://127.0.0.1:$SYNC_WEB_PORT/admin/   user admin / password $ADMIN_PASSWORD
  Health       http://127.0.0.1:$SYNC_WEB_PORT/readyz
  Sandbox ERP  http://127.0.0.1:$SYNC_SANDBOX_ERP_PORT/sap/SalesOrder?wsdl
  Sandbox 3PL  sftp://warehouse@127.0.0.1:$SYNC_SANDBOX_SFTP_PORT (files in $SYNC_VAR_DIR/sftp-root)
  Sandbox shop http://127.0.0.1:$SYNC_SANDBOX_SHOP_PORT/_sandbox/records (demo-web's catalog, published)
  Demo API key $DEMO_API_KEY   (also in $credentials)
  ERP pushes   http://127.0.0.1:$SYNC_WEB_PORT/api/v1/erp/demo-erp/idocs   user $DEMO_ERP_PUSH_USER / password $DEMO_ERP_PUSH_PASSWORD

  Post the demo order:
    curl -sS -X POST http://127.0.0.1:$SYNC_WEB_PORT/api/v1/orders \\
      -H "Authorization: Bearer $DEMO_API_KEY" -H "Idempotency-Key: demo-1" \\
      -H "Content-Type: application/json" --data @fixtures/demo/order.json

BANNER
# The filesystem broker keeps each exchange's bindings in control/<exchange>.exchange and
# creates a missing one without its lock: two processes starting together could both write it
# and leave it unreadable, and the next start's worker crashed on it. Written here, each table
# is only ever read and extended under its lock.
control="${SYNC_BROKER_DIR:-$SYNC_VAR_DIR/broker}/control"
mkdir -p "$control"
echo '[]' >"$control/celery.pidbox.exchange"
for lane in realtime batch; do
  echo "[[\"$lane\", \"\", \"$lane\"]]" >"$control/$lane.exchange"
done

# Ctrl-C: honcho sends every process SIGTERM, then SIGKILL after its KILL_WAIT (5 s, not an
# option): too short for a worker's warm shutdown, which first finishes the task in hand (an
# ERP call may take its 10 s timeout). SYNC_STOP_GRACE_SECONDS is that wait here.
export SYNC_STOP_GRACE_SECONDS="${SYNC_STOP_GRACE_SECONDS:-20}"
exec .venv/bin/python -c '
import os, honcho.manager, honcho.command
honcho.manager.KILL_WAIT = int(os.environ["SYNC_STOP_GRACE_SECONDS"])
honcho.command.main()
' --no-colour -f deploy/embedded/Procfile -d . start
