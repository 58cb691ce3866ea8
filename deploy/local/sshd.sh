#!/usr/bin/env bash
# Loopback OpenSSH sshd that plays a 3PL warehouse's SFTP server in tests.
#
#   deploy/local/sshd.sh start    start (idempotent), print `export K='V'` lines on stdout
#   deploy/local/sshd.sh stop     stop by pid and wait until it is gone
#   deploy/local/sshd.sh status   exit 0 when running, 1 otherwise
#
# Environment:
#   SYNC_SERVICES_DIR  state folder (default ${TMPDIR:-/tmp}/syncplatform-services);
#                      this script keeps everything under $SYNC_SERVICES_DIR/sshd
#   SYNC_SSHD_PORT     port on 127.0.0.1 (default 52222)
#
# Only the env lines go to stdout (deploy/local/services.sh appends them to its env
# file); every message goes to stderr.
#
# Layout of $SYNC_SERVICES_DIR/sshd (made once, reused on restart so the host key
# and the client key never change):
#   host/ssh_host_ed25519_key   the server's own host key            (dir 700)
#   client/id_ed25519           the client key the tests log in with (dir 700)
#   auth/authorized_keys        read by sshd as the `warehouse` user (dir 755)
#   sshd_config  sshd.pid  sshd.log
#   sftp/{outbound,inbound,archive,error}   the SFTP root, owned by `warehouse`,
#                                           group-writable, root writes there too
#
# Decision: no ChrootDirectory. A chroot must be root-owned with root-owned parents
# that are not group/world-writable, and the state folder lives under /tmp (1777).
# Instead `ForceCommand internal-sftp -d <sftp root>` starts every session in the
# SFTP root, so relative paths ("outbound", "inbound") resolve there exactly as
# they would in a chroot; the account has no shell, no forwarding and no TTY.
# StrictModes is off for the same reason (the key files sit under /tmp).
set -euo pipefail

SFTP_USER=warehouse
PORT="${SYNC_SSHD_PORT:-52222}"
SERVICES_DIR="${SYNC_SERVICES_DIR:-${TMPDIR:-/tmp}/syncplatform-services}"
STATE="$SERVICES_DIR/sshd"
CONFIG="$STATE/sshd_config"
PIDFILE="$STATE/sshd.pid"
LOGFILE="$STATE/sshd.log"
HOST_KEY="$STATE/host/ssh_host_ed25519_key"
CLIENT_KEY="$STATE/client/id_ed25519"
AUTHORIZED_KEYS="$STATE/auth/authorized_keys"
SFTP_ROOT="$STATE/sftp"

say() { echo "sshd.sh: $*" >&2; }
die() {
    say "$*"
    exit 1
}

sshd_binary() {
    command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || true
}

ensure_installed() {
    if [ -n "$(sshd_binary)" ]; then
        return
    fi
    if [ "$(id -u)" -ne 0 ]; then
        die "sshd is not installed and this is not root: install openssh-server first"
    fi
    say "installing openssh-server"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server >&2
    [ -n "$(sshd_binary)" ] || die "openssh-server installed but no sshd binary found"
}

ensure_user() {
    if ! id "$SFTP_USER" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --home-dir "$SFTP_ROOT" \
            --shell /usr/sbin/nologin "$SFTP_USER"
    fi
    # useradd leaves the account locked ('!'), which sshd refuses even for key
    # login; '*' unlocks it without any password that could ever match.
    usermod -p '*' "$SFTP_USER"
}

ensure_keys() {
    mkdir -p "$STATE/host" "$STATE/client" "$STATE/auth"
    chmod 755 "$SERVICES_DIR" "$STATE" "$STATE/auth" # warehouse must traverse to its root
    chmod 700 "$STATE/host" "$STATE/client"
    if [ ! -f "$HOST_KEY" ]; then
        ssh-keygen -q -t ed25519 -N '' -C "syncplatform-test-sshd" -f "$HOST_KEY" >&2
    fi
    if [ ! -f "$CLIENT_KEY" ]; then
        ssh-keygen -q -t ed25519 -N '' -C "syncplatform-test-client" -f "$CLIENT_KEY" >&2
    fi
    chmod 600 "$HOST_KEY" "$CLIENT_KEY"
    cp "$CLIENT_KEY.pub" "$AUTHORIZED_KEYS"
    chmod 644 "$AUTHORIZED_KEYS"
}

ensure_sftp_root() {
    mkdir -p "$SFTP_ROOT"/{outbound,inbound,archive,error}
    chown "$SFTP_USER:$SFTP_USER" "$SFTP_ROOT" "$SFTP_ROOT"/{outbound,inbound,archive,error}
    # setgid keeps files made by root in the group; root can write anyway.
    chmod 2775 "$SFTP_ROOT" "$SFTP_ROOT"/{outbound,inbound,archive,error}
}

    # No quotes around the -d path: internal-sftp takes them literally and falls back to $HOME.
write_config() {
    cat >"$CONFIG" <<EOF
# Written by deploy/local/sshd.sh; test server only.
Port $PORT
ListenAddress 127.0.0.1
HostKey "$HOST_KEY"
PidFile "$PIDFILE"
AuthorizedKeysFile "$AUTHORIZED_KEYS"
AllowUsers $SFTP_USER
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
AllowAgentForwarding no
AllowStreamLocalForwarding no
X11Forwarding no
PermitTTY no
PermitTunnel no
LogLevel VERBOSE
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d $SFTP_ROOT
EOF
}

running_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    # The comm check keeps a stale pid file from naming some other process.
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
        && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && echo "$pid"
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

print_env() {
    local host_key_line
    host_key_line="[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$HOST_KEY.pub")"
    echo "export TEST_SFTP_HOST='127.0.0.1'"
    echo "export TEST_SFTP_PORT='$PORT'"
    echo "export TEST_SFTP_USER='$SFTP_USER'"
    echo "export TEST_SFTP_KEY='$CLIENT_KEY'"
    echo "export TEST_SFTP_HOST_KEY='$host_key_line'"
    echo "export TEST_SFTP_ROOT='$SFTP_ROOT'"
}

start() {
    if running_pid >/dev/null; then
        say "already running (pid $(running_pid)) on 127.0.0.1:$PORT"
        print_env
        return
    fi
    if port_open; then
        die "127.0.0.1:$PORT is taken by another process: set SYNC_SSHD_PORT"
    fi
    ensure_installed
    ensure_user
    ensure_keys
    ensure_sftp_root
    write_config
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    local sshd
    sshd="$(sshd_binary)"
    "$sshd" -t -f "$CONFIG" || die "sshd rejected $CONFIG"
    rm -f "$PIDFILE"
    if ! "$sshd" -f "$CONFIG" -E "$LOGFILE"; then
        tail -n 3 "$LOGFILE" >&2 || true
        die "sshd failed to start"
    fi
    local tries=0
    until running_pid >/dev/null && port_open; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            tail -n 3 "$LOGFILE" >&2 || true
            die "sshd did not accept connections on 127.0.0.1:$PORT within 10 s"
        fi
        sleep 0.1
    done
    say "running (pid $(running_pid || echo '?')) on 127.0.0.1:$PORT, log $LOGFILE"
    print_env
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        say "not running"
        rm -f "$PIDFILE"
        return
    fi
    kill "$pid"
    local tries=0
    while kill -0 "$pid" 2>/dev/null; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && die "sshd (pid $pid) did not stop within 10 s"
        sleep 0.1
    done
    rm -f "$PIDFILE"
    say "stopped (pid $pid)"
}

status() {
    local pid
    if pid="$(running_pid)"; then
        say "running (pid $pid) on 127.0.0.1:$PORT"
    else
        say "not running"
        return 1
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 start|stop|status" ;;
esac
