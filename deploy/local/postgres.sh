#!/usr/bin/env bash
# Throwaway PostgreSQL cluster on 127.0.0.1 for `make test` and `make bench`.
#
#   postgres.sh start   start (or find running) and print the `export` lines below on stdout
#   postgres.sh stop    fast shutdown by pid, wait until gone (no-op when not running)
#   postgres.sh status  exit 0 when the server accepts connections
#
# Two roles, as in production (README, "Database roles"):
#   syncplatform          the owner: owns the database and, through the migrations, every
#                         table; runs `manage.py migrate` and the test suite (CREATEDB, for
#                         pytest-django's test_syncplatform and the benchmarks' databases)
#   syncplatform_runtime  what the web, workers and beat connect as: LOGIN, owns nothing;
#                         the migrations grant it row privileges
# Exports: DATABASE_URL (the runtime role) and SYNC_MIGRATE_DATABASE_URL (the owner).
#
# Everything except the export lines goes to stderr. State (data, socket, log) lives in
# ${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}/postgres/. Repeated `start` is
# safe: a running cluster is reused, the roles and database are created only when missing.
set -euo pipefail

PORT="${SYNC_PG_PORT:-54329}"
BASE="${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}"
OWNER_ROLE=syncplatform
RUNTIME_ROLE=syncplatform_runtime
APP_DB=syncplatform
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "postgres: $*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
	die "SYNC_PG_PORT=$PORT is not a valid port"
fi

[[ -d "$BASE" ]] || install -d -m 755 "$BASE"
BASE="$(cd "$BASE" && pwd)"
STATE="$BASE/postgres"
DATA="$STATE/data"
SOCKETS="$STATE/run"
LOG="$DATA/postgres.log"

# Root cannot run initdb/postgres: use the `postgres` OS account. A non-root developer runs
# the cluster as themselves.
if ((EUID == 0)); then
	as_owner() { runuser -u postgres -- "$@"; }
	OWNER=postgres
else
	as_owner() { "$@"; }
	OWNER="$(id -un)"
fi

find_bindir() {
	local newest
	newest="$(printf '%s\n' /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)"
	[[ -x "$newest" ]] && dirname "$newest"
	return 0
}

# `apt-get update` runs at most once an hour across the service scripts.
install_package() {
	if [[ ! -e "$BASE/.apt-updated" ]] || [[ -n "$(find "$BASE/.apt-updated" -mmin +60)" ]]; then
		apt-get update -qq || return 1
		touch "$BASE/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "$@"
}

# Installs the Debian package when missing. Serialised through a lock shared with the other
# service scripts because parallel apt-get runs fail on the dpkg lock.
ensure_installed() {
	BIN="$(find_bindir)"
	[[ -n "$BIN" ]] && return 0
	((EUID == 0)) || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install the 'postgresql' package (as root: apt-get install postgresql) and retry"
	say "server binaries missing; installing the postgresql package"
	(
		flock -w 600 8 || die "timed out waiting for the package-install lock $BASE/.apt.lock"
		BIN="$(find_bindir)"
		if [[ -z "$BIN" ]]; then
			say "installing postgresql (log: $BASE/apt.log)"
			if ! install_package postgresql >>"$BASE/apt.log" 2>&1; then
				tail -n 20 "$BASE/apt.log" >&2
				die "apt-get install postgresql failed"
			fi
		fi
	) 8>"$BASE/.apt.lock"
	BIN="$(find_bindir)"
	[[ -n "$BIN" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/postgres found"
}

# True while pid $1 runs. A zombie counts as gone: this machine's init reaps orphans only
# every couple of seconds, and `kill -0` succeeds on a zombie.
alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat="${stat##*) }"
	[[ "${stat%% *}" != [ZX] ]]
}

server_pid() {
	local pid
	[[ -r "$DATA/postmaster.pid" ]] || return 1
	pid="$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	# A stale pid file may name a recycled pid: only a live `postgres` process counts.
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == postgres ]] && alive "$pid" || return 1
	echo "$pid"
}

accepting() {
	"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres -U postgres -t 2 >/dev/null 2>&1
}

log_tail() {
	if [[ -r "$LOG" ]]; then
		say "last lines of $LOG:"
		tail -n 30 "$LOG" >&2
	fi
}

init_cluster() {
	[[ -s "$DATA/PG_VERSION" ]] && return 0
	say "initdb in $DATA"
	rm -rf "$DATA"
	install -d -m 700 -o "$OWNER" "$DATA"
	# -N: no fsync during initdb; trust auth is fine for a loopback-only throwaway cluster.
	if ! as_owner "$BIN/initdb" -D "$DATA" -N -U postgres --auth=trust --encoding=UTF8 --locale=C \
		>"$STATE/initdb.log" 2>&1; then
		tail -n 20 "$STATE/initdb.log" >&2
		die "initdb failed (log: $STATE/initdb.log)"
	fi
	cat >>"$DATA/postgresql.conf" <<-'EOF'

		# syncplatform: per-start settings (port, addresses, socket) are written by postgres.sh.
		include_if_exists = 'syncplatform-local.conf'
	EOF
}

write_settings() {
	cat >"$DATA/syncplatform-local.conf" <<-EOF
		# Written by deploy/local/postgres.sh on every start; edits are lost.
		listen_addresses = '127.0.0.1'
		port = $PORT
		unix_socket_directories = '$SOCKETS'
		# gunicorn workers + Celery workers + the test process + a 50-concurrent-request test.
		max_connections = 200
		# TESTS AND BENCHMARKS ONLY: these three trade crash safety for speed. A crash loses
		# or corrupts data, which is fine for a cluster that is thrown away. Never copy them
		# into a real deployment.
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	chown "$OWNER" "$DATA/syncplatform-local.conf"
}

sql() {
	"$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tA "$@"
}

ensure_app_database() {
	# CREATEDB (not superuser) is what pytest-django needs to create test_syncplatform. The
	# runtime role is altered on every start too, so a cluster from before keeps no extras.
	sql -c "DO \$\$ BEGIN
	          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$OWNER_ROLE') THEN
	            CREATE ROLE $OWNER_ROLE LOGIN CREATEDB;
	          END IF;
	          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$RUNTIME_ROLE') THEN
	            CREATE ROLE $RUNTIME_ROLE LOGIN;
	          END IF;
	          ALTER ROLE $RUNTIME_ROLE LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
	        END \$\$;" >&2
	if [[ -z "$(sql -c "SELECT 1 FROM pg_database WHERE datname = '$APP_DB'")" ]]; then
		sql -c "CREATE DATABASE $APP_DB OWNER $OWNER_ROLE" >&2
	fi
}

print_env() {
	echo "export DATABASE_URL='postgres://$RUNTIME_ROLE@127.0.0.1:$PORT/$APP_DB'"
	echo "export SYNC_MIGRATE_DATABASE_URL='postgres://$OWNER_ROLE@127.0.0.1:$PORT/$APP_DB'"
}

check_state_reachable() {
	# The server account must be able to walk down to its folder (a TMPDIR under /root is not).
	if ((EUID == 0)) && ! runuser -u postgres -- test -x "$STATE"; then
		die "user postgres cannot reach $STATE; set SYNC_SERVICES_DIR to a folder whose parents are world-searchable"
	fi
}

cmd_start() {
	ensure_installed
	install -d -m 755 "$STATE"
	install -d -m 755 -o "$OWNER" "$SOCKETS"
	check_state_reachable
	exec 9>"$STATE/.lock"
	flock -w 120 9 || die "another postgres.sh holds $STATE/.lock"

	if pid="$(server_pid)"; then
		if accepting; then
			say "already running (pid $pid, port $PORT)"
			ensure_app_database
			print_env
			return 0
		fi
		die "pid $pid from $DATA/postmaster.pid is alive but port $PORT does not answer; run '$0 stop' first"
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
		die "port $PORT on 127.0.0.1 is taken by another process; set SYNC_PG_PORT"
	fi

	init_cluster
	write_settings
	local started=$SECONDS
	# pg_ctl daemonises the server with stdin/stdout/stderr redirected, so callers capturing
	# our stdout never hang. 9>&- keeps the lock from leaking into the server.
	if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -s -w -t "$START_TIMEOUT" start >&2 9>&-; then
		log_tail
		die "server did not start"
	fi
	until accepting; do
		if ((SECONDS - started > START_TIMEOUT)); then
			log_tail
			die "server not accepting connections after ${START_TIMEOUT}s"
		fi
		sleep 0.2
	done
	say "started (pid $(server_pid || echo '?'), port $PORT) in $((SECONDS - started))s; log: $LOG"
	ensure_app_database
	print_env
}

cmd_stop() {
	[[ -d "$STATE" ]] || {
		say "not running (no $STATE)"
		return 0
	}
	exec 9>"$STATE/.lock"
	flock -w 120 9 || die "another postgres.sh holds $STATE/.lock"
	local pid waited=0
	if ! pid="$(server_pid)"; then
		say "not running"
		return 0
	fi
	# SIGINT = "fast" shutdown: roll back open transactions, disconnect clients, exit cleanly.
	kill -INT "$pid" 2>/dev/null || true
	while alive "$pid"; do
		if ((waited == STOP_TIMEOUT * 10)); then
			say "pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGQUIT (immediate shutdown)"
			kill -QUIT "$pid" 2>/dev/null || true
		elif ((waited == STOP_TIMEOUT * 10 + 50)); then
			say "pid $pid still alive; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		elif ((waited > STOP_TIMEOUT * 10 + 100)); then
			die "pid $pid would not die"
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	say "stopped (pid $pid)"
}

cmd_status() {
	local pid
	BIN="$(find_bindir)"
	[[ -n "$BIN" ]] || {
		say "not installed"
		return 1
	}
	if pid="$(server_pid)" && accepting; then
		say "running (pid $pid, 127.0.0.1:$PORT, data $DATA)"
		return 0
	fi
	say "not running"
	return 1
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
