#!/usr/bin/env bash
# Start PostgreSQL, RabbitMQ and sshd on loopback, run the given command with
# their addresses in the environment, and stop them again whatever happens.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SYNC_SERVICES_DIR="${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}"

deploy/local/services.sh start
trap 'deploy/local/services.sh stop >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1091
. "$SYNC_SERVICES_DIR/env"
"$@"
