#!/usr/bin/env bash
# Throwaway RabbitMQ broker on 127.0.0.1 for `make test` and `make bench`.
#
#   rabbitmq.sh start   start (or find running) and print `export CELERY_BROKER_URL='...'` on stdout
#   rabbitmq.sh stop    `rabbitmqctl stop`, kill by pid as a fallback, then stop our epmd
#   rabbitmq.sh status  exit 0 when the broker is up and its AMQP port answers
#
# Everything except the export line goes to stderr. State (mnesia, logs, cookie, pid files)
# lives in ${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}/rabbitmq/. A repeated
# `start` reuses a running broker. A cold start wipes the broker's data so messages left by an
# aborted test run never reach the next run's workers.
#
# Ports, all on 127.0.0.1 and derived from the AMQP port P (default 56729) unless set:
#   P       AMQP                       SYNC_AMQP_PORT
#   P+1     Erlang distribution        SYNC_AMQP_DIST_PORT
#   P+2     epmd                       SYNC_AMQP_EPMD_PORT
#   P+3..P+12  rabbitmqctl/CLI nodes   (follows the epmd port)
set -euo pipefail

PORT="${SYNC_AMQP_PORT:-56729}"
BASE="${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}"
NODENAME=syncplatform-test@localhost
RABBIT_BIN=/usr/lib/rabbitmq/bin
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "rabbitmq: $*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

[[ "$PORT" =~ ^[0-9]+$ ]] || die "SYNC_AMQP_PORT=$PORT is not a port number"
DIST_PORT="${SYNC_AMQP_DIST_PORT:-$((PORT + 1))}"
EPMD_PORT="${SYNC_AMQP_EPMD_PORT:-$((PORT + 2))}"
[[ "$DIST_PORT$EPMD_PORT" =~ ^[0-9]+$ ]] || die "SYNC_AMQP_DIST_PORT/SYNC_AMQP_EPMD_PORT must be port numbers"
CLI_PORT_MIN=$((EPMD_PORT + 1))
CLI_PORT_MAX=$((EPMD_PORT + 10))
for port in "$PORT" "$DIST_PORT" "$EPMD_PORT" "$CLI_PORT_MAX"; do
	[[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) && continue
	die "port $port is not valid (AMQP $PORT, distribution $DIST_PORT, epmd $EPMD_PORT, CLI $CLI_PORT_MIN-$CLI_PORT_MAX)"
done

[[ -d "$BASE" ]] || install -d -m 755 "$BASE"
BASE="$(cd "$BASE" && pwd)"
STATE="$BASE/rabbitmq"
LOG_DIR="$STATE/log"
SERVER_LOG="$LOG_DIR/$NODENAME.log"
CONSOLE_LOG="$LOG_DIR/console.log"
BEAM_PID_FILE="$STATE/rabbitmq.pid" # written by RabbitMQ itself: the Erlang VM
WRAPPER_PID_FILE="$STATE/server.pid" # the rabbitmq-server shell script, leader of its group
EPMD_PID_FILE="$STATE/epmd.pid"

# Server and CLI must agree on every one of these, the cookie in $HOME above all.
rabbit_env() {
	export HOME="$STATE/home"
	export RABBITMQ_NODENAME="$NODENAME"
	export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
	export RABBITMQ_NODE_PORT="$PORT"
	# Must be explicit: the default (node port + 20000) is past 65535 for our ports.
	export RABBITMQ_DIST_PORT="$DIST_PORT"
	export ERL_EPMD_PORT="$EPMD_PORT"
	export ERL_EPMD_ADDRESS=127.0.0.1
	export RABBITMQ_CTL_DIST_PORT_MIN="$CLI_PORT_MIN"
	export RABBITMQ_CTL_DIST_PORT_MAX="$CLI_PORT_MAX"
	# Erlang distribution listens on every interface unless told otherwise.
	export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
	export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
	export RABBITMQ_MNESIA_BASE="$STATE/mnesia"
	export RABBITMQ_LOG_BASE="$LOG_DIR"
	export RABBITMQ_PID_FILE="$BEAM_PID_FILE"
	export RABBITMQ_CONFIG_FILE="$STATE/rabbitmq.conf"
	# Keep the machine-wide /etc/rabbitmq files out of this broker.
	export RABBITMQ_CONF_ENV_FILE="$STATE/rabbitmq-env.conf"
	export RABBITMQ_ADVANCED_CONFIG_FILE="$STATE/advanced.config"
	export RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/enabled_plugins"
	# The VM writes a crash dump into its working directory otherwise: the caller's checkout.
	export ERL_CRASH_DUMP="$LOG_DIR/erl_crash.dump"
}

ctl() { "$RABBIT_BIN/rabbitmqctl" "$@"; }

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
	[[ -x "$RABBIT_BIN/rabbitmq-server" ]] && return 0
	((EUID == 0)) || die "$RABBIT_BIN/rabbitmq-server not found; install the 'rabbitmq-server' package (as root: apt-get install rabbitmq-server) and retry"
	say "server missing; installing the rabbitmq-server package"
	(
		flock -w 600 8 || die "timed out waiting for the package-install lock $BASE/.apt.lock"
		if [[ ! -x "$RABBIT_BIN/rabbitmq-server" ]]; then
			say "installing rabbitmq-server (log: $BASE/apt.log)"
			if ! install_package rabbitmq-server >>"$BASE/apt.log" 2>&1; then
				tail -n 20 "$BASE/apt.log" >&2
				die "apt-get install rabbitmq-server failed"
			fi
		fi
	) 8>"$BASE/.apt.lock"
	[[ -x "$RABBIT_BIN/rabbitmq-server" ]] || die "rabbitmq-server installed but $RABBIT_BIN/rabbitmq-server is missing"
}

find_epmd() {
	local candidate
	for candidate in "$(command -v epmd || true)" /usr/lib/erlang/bin/epmd /usr/lib/erlang/erts-*/bin/epmd; do
		[[ -n "$candidate" && -x "$candidate" ]] && {
			echo "$candidate"
			return 0
		}
	done
	die "epmd not found (is the erlang-base package installed?)"
}

# True while pid $1 runs. A zombie counts as gone: this machine's init reaps orphans only
# every couple of seconds, and `kill -0` succeeds on a zombie.
alive() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat="${stat##*) }"
	[[ "${stat%% *}" != [ZX] ]]
}

# Prints the pid in FILE when it names a live process whose command is COMM (a stale file
# may name a recycled pid).
live_pid() {
	local file="$1" comm="$2" pid
	[[ -r "$file" ]] || return 1
	pid="$(head -n 1 "$file" 2>/dev/null)" || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] && alive "$pid" || return 1
	echo "$pid"
}

beam_pid() { live_pid "$BEAM_PID_FILE" beam.smp; }
wrapper_pid() { live_pid "$WRAPPER_PID_FILE" rabbitmq-server; }
epmd_pid() { live_pid "$EPMD_PID_FILE" epmd; }

port_answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The pid of an `epmd` listening on 127.0.0.1:$EPMD_PORT, whoever started it: the Erlang VM
# starts its own when ours is gone, and that one must not outlive the broker either.
listening_epmd_pid() {
	local pid
	pid="$(ss -Hltnp "sport = :$EPMD_PORT" 2>/dev/null | grep -o '"epmd",pid=[0-9]*' | head -n 1 | cut -d= -f2)"
	[[ -n "$pid" ]] && echo "$pid"
}

# The cause is usually in the first error lines; the tail says how the boot ended.
log_tail() {
	local file
	for file in "$CONSOLE_LOG" "$SERVER_LOG"; do
		[[ -s "$file" ]] || continue
		say "first errors in $file:"
		grep -m 8 -F '[error]' "$file" >&2 || true
		say "last lines of $file:"
		tail -n 12 "$file" >&2
	done
}

# Waits up to $2 tenths of a second for pid $1 to exit; returns 1 if it is still alive.
wait_gone() {
	local pid="$1" tenths="$2"
	while alive "$pid"; do
		((tenths-- > 0)) || return 1
		sleep 0.1
	done
}

kill_and_wait() {
	local pid="$1" what="$2"
	kill -TERM "$pid" 2>/dev/null || true
	wait_gone "$pid" 100 && return 0
	say "$what (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	wait_gone "$pid" 50 || say "$what (pid $pid) is still alive"
}

write_config() {
	install -d -m 755 "$STATE" "$LOG_DIR" "$STATE/mnesia"
	install -d -m 700 "$STATE/home"
	if [[ ! -s "$STATE/home/.erlang.cookie" ]]; then
		# Written before the first boot so the server and the CLI never race to create it.
		(umask 077 && head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32 >"$STATE/home/.erlang.cookie")
		chmod 400 "$STATE/home/.erlang.cookie"
	fi
	cat >"$RABBITMQ_CONFIG_FILE" <<-EOF
		# Written by deploy/local/rabbitmq.sh on every start; edits are lost.
		listeners.tcp.1 = 127.0.0.1:$PORT
		loopback_users.guest = true
		log.file.level = info
		log.console = false
	EOF
	: >"$RABBITMQ_CONF_ENV_FILE"
	echo '[].' >"$RABBITMQ_ENABLED_PLUGINS_FILE"
}

start_epmd() {
	local epmd pid tenths=50
	if pid="$(epmd_pid)"; then
		return 0
	fi
	epmd="$(find_epmd)"
	# Our own epmd in the foreground (no -daemon) so that we know its pid and can stop it.
	setsid "$epmd" -address 127.0.0.1 -port "$EPMD_PORT" </dev/null >>"$LOG_DIR/epmd.log" 2>&1 9>&- &
	pid=$!
	echo "$pid" >"$EPMD_PID_FILE"
	until port_answers "$EPMD_PORT"; do
		# By pid, not epmd_pid: until setsid has exec'd epmd, the child's comm is not "epmd".
		alive "$pid" || die "epmd exited at once; see $LOG_DIR/epmd.log"
		((tenths-- > 0)) || die "epmd not listening on 127.0.0.1:$EPMD_PORT after 5s"
		sleep 0.1
	done
}

await_broker() {
	local started="$1" wrapper="$2"
	until port_answers "$PORT"; do
		# By pid, not wrapper_pid: until the exec, the child's comm is still "bash" or "setsid".
		if ! alive "$wrapper"; then
			log_tail
			die "rabbitmq-server exited during startup"
		fi
		if ((SECONDS - started > START_TIMEOUT)); then
			log_tail
			die "AMQP port $PORT not answering after ${START_TIMEOUT}s"
		fi
		sleep 0.2
	done
	# The listener opens late in the boot, but only await_startup says the boot completed.
	local left=$((START_TIMEOUT - (SECONDS - started)))
	((left > 5)) || left=5
	if ! timeout $((left + 10)) "$RABBIT_BIN/rabbitmqctl" -q await_startup --timeout "$left" >&2 9>&-; then
		log_tail
		die "rabbitmqctl await_startup failed"
	fi
}

print_env() {
	echo "export CELERY_BROKER_URL='amqp://guest:guest@127.0.0.1:$PORT//'"
}

running() { beam_pid >/dev/null && port_answers "$PORT"; }

stop_all() {
	local pid
	if pid="$(beam_pid)"; then
		# `rabbitmqctl stop PIDFILE` returns once the VM has exited.
		if ! timeout "$STOP_TIMEOUT" "$RABBIT_BIN/rabbitmqctl" -q stop "$BEAM_PID_FILE" >&2 9>&-; then
			say "rabbitmqctl stop failed; killing the VM (pid $pid)"
		fi
		wait_gone "$pid" 50 || kill_and_wait "$pid" "Erlang VM"
		say "broker stopped (pid $pid)"
	fi
	if pid="$(wrapper_pid)"; then
		# Its group also holds the VM's helpers (erl_child_setup, inet_gethost).
		wait_gone "$pid" 30 || kill_and_wait "$pid" rabbitmq-server
	fi
	if [[ -r "$WRAPPER_PID_FILE" ]]; then
		kill -KILL -- "-$(head -n 1 "$WRAPPER_PID_FILE")" 2>/dev/null || true
	fi
	if pid="$(epmd_pid)"; then
		kill_and_wait "$pid" epmd
	fi
	if pid="$(listening_epmd_pid)"; then
		kill_and_wait "$pid" "epmd started by the VM"
	fi
	rm -f "$WRAPPER_PID_FILE" "$EPMD_PID_FILE" "$BEAM_PID_FILE"
}

cmd_start() {
	ensure_installed
	install -d -m 755 "$STATE"
	exec 9>"$STATE/.lock"
	flock -w 120 9 || die "another rabbitmq.sh holds $STATE/.lock"
	rabbit_env

	if running; then
		say "already running (pid $(beam_pid), 127.0.0.1:$PORT)"
		print_env
		return 0
	fi
	if beam_pid >/dev/null || wrapper_pid >/dev/null || epmd_pid >/dev/null; then
		say "found a half-alive broker from an earlier run; stopping it first"
		stop_all
	fi
	local port
	for port in "$PORT" "$DIST_PORT" "$EPMD_PORT"; do
		port_answers "$port" && die "port $port on 127.0.0.1 is taken by another process; set SYNC_AMQP_PORT (and/or SYNC_AMQP_DIST_PORT, SYNC_AMQP_EPMD_PORT)"
	done

	local started=$SECONDS
	write_config
	rm -rf "${RABBITMQ_MNESIA_BASE:?}/$NODENAME" "${RABBITMQ_MNESIA_BASE:?}/$NODENAME"-*
	: >"$CONSOLE_LOG"
	start_epmd
	# No daemon mode exists: background the foreground server in its own session so a ^C in
	# the caller's terminal does not reach it; 9>&- keeps our lock out of it.
	(cd "$STATE" && exec setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >>"$CONSOLE_LOG" 2>&1 9>&-) &
	echo $! >"$WRAPPER_PID_FILE"
	if ! (await_broker "$started" "$!"); then
		stop_all
		exit 1
	fi
	say "started (pid $(beam_pid), 127.0.0.1:$PORT) in $((SECONDS - started))s; log: $SERVER_LOG"
	print_env
}

cmd_stop() {
	[[ -d "$STATE" ]] || {
		say "not running (no $STATE)"
		return 0
	}
	exec 9>"$STATE/.lock"
	flock -w 120 9 || die "another rabbitmq.sh holds $STATE/.lock"
	rabbit_env
	if ! beam_pid >/dev/null && ! wrapper_pid >/dev/null && ! epmd_pid >/dev/null && ! listening_epmd_pid >/dev/null; then
		say "not running"
		return 0
	fi
	stop_all
}

cmd_status() {
	rabbit_env
	if running; then
		say "running (pid $(beam_pid), 127.0.0.1:$PORT, log $SERVER_LOG)"
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
