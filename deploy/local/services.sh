#!/usr/bin/env bash
# Starts and stops every real server the tests need: PostgreSQL, RabbitMQ and sshd (SFTP).
#
#   services.sh start   start all three (in parallel), write $SYNC_SERVICES_DIR/env and print
#                       its path on stdout; safe to repeat while they run
#   services.sh stop    stop all three, carrying on past failures; removes the env file
#   services.sh status  exit 0 when all three are up
#
# Run as root, start first installs the Debian packages that are missing: the three servers'
# and chromium, the browser of the admin tests.
# The env file holds `export K='V'` lines for `source`. When any service fails to start, the
# ones this run started are stopped again, the failure's output is shown and the exit is 1.
set -euo pipefail

SERVICES=(postgres rabbitmq sshd)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BASE="${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}"
[[ -d "$BASE" ]] || install -d -m 755 "$BASE"
BASE="$(cd "$BASE" && pwd)"
[[ "$BASE" != *"'"* ]] || {
	echo "services: the state folder path must not contain a single quote: $BASE" >&2
	exit 1
}
export SYNC_SERVICES_DIR="$BASE"
ENV_FILE="$BASE/env"

say() { echo "services: $*" >&2; }

# Packages for the servers that are missing, to install in one apt-get run before the
# parallel start (parallel apt-get runs would fight over the dpkg lock). Chromium is no
# server: the admin's browser tests (tests/e2e/admin) drive Debian's build through
# Playwright, which cannot download a browser of its own here.
missing_packages() {
	compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || echo postgresql
	[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || echo rabbitmq-server
	command -v sshd >/dev/null || [[ -x /usr/sbin/sshd ]] || echo openssh-server
	[[ -x /usr/bin/chromium ]] || echo chromium
}

preinstall() {
	local packages
	mapfile -t packages < <(missing_packages)
	((${#packages[@]})) || return 0
	# Not root: each script explains what to install.
	((EUID == 0)) || return 0
	say "installing ${packages[*]} (log: $BASE/apt.log)"
	(
		flock -w 600 8 || exit 1
		apt-get update -qq &&
			touch "$BASE/.apt-updated" &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${packages[@]}"
	) 8>"$BASE/.apt.lock" >>"$BASE/apt.log" 2>&1 || {
		tail -n 20 "$BASE/apt.log" >&2
		say "ERROR: apt-get install ${packages[*]} failed"
		exit 1
	}
}

cmd_start() {
	preinstall
	local work svc failed=() was_up=()
	work="$(mktemp -d "$BASE/.start.XXXXXX")"
	# shellcheck disable=SC2064 # expand now: $work is local
	trap "rm -rf '$work'" EXIT
	declare -A pids
	for svc in "${SERVICES[@]}"; do
		if "$HERE/$svc.sh" status 2>/dev/null; then
			was_up+=("$svc")
		fi
	done
	say "starting ${SERVICES[*]} (already up: ${was_up[*]:-none})"
	for svc in "${SERVICES[@]}"; do
		"$HERE/$svc.sh" start >"$work/$svc.out" 2>"$work/$svc.err" </dev/null &
		pids[$svc]=$!
	done
	for svc in "${SERVICES[@]}"; do
		if wait "${pids[$svc]}"; then
			cat "$work/$svc.err" >&2
		else
			failed+=("$svc")
		fi
	done
	for svc in "${SERVICES[@]}"; do
		if [[ -s "$work/$svc.out" ]] && grep -qvE "^export [A-Za-z_][A-Za-z0-9_]*=" "$work/$svc.out"; then
			say "ERROR: $svc.sh start printed something other than export lines on stdout:"
			cat "$work/$svc.out" >&2
			failed+=("$svc")
		fi
	done
	if ((${#failed[@]})); then
		for svc in "${failed[@]}"; do
			say "ERROR: $svc failed to start; its output:"
			tail -n 40 "$work/$svc.err" >&2
		done
		for svc in "${SERVICES[@]}"; do
			[[ " ${was_up[*]} " == *" $svc "* ]] && continue
			say "stopping $svc (started by this run)"
			"$HERE/$svc.sh" stop || say "stopping $svc failed too"
		done
		rm -f "$ENV_FILE"
		exit 1
	fi
	{
		echo "# Written by deploy/local/services.sh start; source it. Removed by services.sh stop."
		echo "export SYNC_SERVICES_DIR='$BASE'"
		for svc in "${SERVICES[@]}"; do
			cat "$work/$svc.out"
		done
	} >"$ENV_FILE.tmp.$$"
	mv -f "$ENV_FILE.tmp.$$" "$ENV_FILE"
	say "all up; environment in $ENV_FILE"
	echo "$ENV_FILE"
}

cmd_stop() {
	local svc result=0
	rm -f "$ENV_FILE"
	for svc in "${SERVICES[@]}"; do
		"$HERE/$svc.sh" stop || {
			say "ERROR: stopping $svc failed"
			result=1
		}
	done
	return "$result"
}

cmd_status() {
	local svc down=0
	for svc in "${SERVICES[@]}"; do
		"$HERE/$svc.sh" status || down=1
	done
	return "$down"
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
