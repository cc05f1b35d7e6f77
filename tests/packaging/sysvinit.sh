#!/bin/sh
# rootfs/etc/init.d/S60keepalived for real, in a fresh network namespace: start (the owner
# becomes MASTER: its VIP appears), status, reload with a changed configuration (same pid,
# the new VIP appears), reload with a broken one (same pid, VIPs kept), restart (new pid),
# stop (pid and VIPs gone). Three times: dash with Debian's start-stop-daemon, dash with
# no start-stop-daemon (plain pid file handling), and busybox (ash and its applets only).
# Usage: sysvinit.sh KEEPALIVED_RS_BINARY
set -eu
BIN=$(readlink -f "$1")
SCRIPT=$(cd "$(dirname "$0")/../.." && pwd)/rootfs/etc/init.d/S60keepalived
NS="ka-pkg-$$"
DIR=$(mktemp -d /tmp/ka-pkg.XXXXXX)

cleanup() {
    # Only what this test started: the daemons in its namespace.
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

# wait_for SECS CMD...: CMD succeeds within SECS seconds (polled every 0.1 s).
wait_for() {
    n=$(($1 * 10))
    shift
    until "$@"; do
        [ "$n" -gt 0 ] || return 1
        n=$((n - 1))
        sleep 0.1
    done
}
has_vip() { ip -n "$NS" -o addr show dev eth0 | grep -q " $1/"; }
no_vip() { ! has_vip "$1"; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
dead() { ! alive "$1"; }

ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set lo up
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
ip -n "$NS" addr add 10.231.0.1/24 dev eth0

# conf VIP...: an address owner (priority 255) is MASTER at once.
conf() {
    printf 'vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 61\n'
    printf ' priority 255\n advert_int 1\n virtual_ipaddress {\n'
    for v in "$@"; do printf '  %s/24\n' "$v"; done
    printf ' }\n}\n'
}

# Busybox as an appliance has it: a PATH of applet links only.
mkdir "$DIR/bb"
BUSYBOX=$(command -v busybox || true)
if [ -n "$BUSYBOX" ]; then
    for a in sh start-stop-daemon sed cat kill sleep rm; do ln -s "$BUSYBOX" "$DIR/bb/$a"; done
fi

# run MODE ARG: the init script as its init system would run it, in the namespace.
run() {
    case $1 in
        ssd) ip netns exec "$NS" env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$SCRIPT" "$2" ;;
        plain) ip netns exec "$NS" env PATH=/usr/bin:/bin dash "$SCRIPT" "$2" ;;
        busybox) ip netns exec "$NS" env PATH="$DIR/bb" "$DIR/bb/sh" "$SCRIPT" "$2" ;;
    esac
}

export DAEMON="$BIN" CONFIG="$DIR/keepalived.conf" PIDFILE="$DIR/keepalived.pid" DEFAULTS="$DIR/default"
echo 'KEEPALIVED_OPTS="-D -P"' >"$DEFAULTS"

for mode in ssd plain busybox; do
    case $mode in
        ssd) command -v start-stop-daemon >/dev/null || fail "no start-stop-daemon (dpkg's)" ;;
        plain) if [ -e /usr/bin/start-stop-daemon ] || [ -e /bin/start-stop-daemon ]; then
            fail "start-stop-daemon in /usr/bin or /bin: the plain mode would use it"
        fi ;;
        busybox) if [ -z "$BUSYBOX" ]; then
            echo "SKIP busybox mode: busybox is not installed"
            continue
        fi ;;
    esac
    echo "== S60keepalived with $mode"
    conf 10.231.0.100 >"$CONFIG"
    run "$mode" start
    pid=$(cat "$PIDFILE") || fail "$mode: no pid file after start"
    alive "$pid" || fail "$mode: pid $pid from the pid file is not running"
    wait_for 5 has_vip 10.231.0.100 || fail "$mode: the VIP did not appear"
    run "$mode" status | grep -q "running (pid $pid)" || fail "$mode: status"
    run "$mode" start | grep -q "already running" || fail "$mode: a second start"
    [ "$(cat "$PIDFILE")" = "$pid" ] || fail "$mode: a second start changed the pid"

    conf 10.231.0.100 10.231.0.101 >"$CONFIG"
    run "$mode" reload
    wait_for 5 has_vip 10.231.0.101 || fail "$mode: reload did not add the new VIP"
    alive "$pid" || fail "$mode: the daemon died at reload"
    [ "$(cat "$PIDFILE")" = "$pid" ] || fail "$mode: reload changed the pid"
    has_vip 10.231.0.100 || fail "$mode: reload dropped the VIP"

    printf 'vrrp_instance VI_1 {\n virtual_router_id\n' >"$CONFIG"
    run "$mode" reload
    sleep 1
    alive "$pid" || fail "$mode: a broken configuration at reload stopped the daemon"
    has_vip 10.231.0.100 || fail "$mode: a broken reload dropped a VIP"
    has_vip 10.231.0.101 || fail "$mode: a broken reload dropped a VIP"

    conf 10.231.0.100 >"$CONFIG"
    run "$mode" restart
    wait_for 5 dead "$pid" || fail "$mode: restart left the old daemon"
    new=$(cat "$PIDFILE")
    [ "$new" != "$pid" ] || fail "$mode: restart kept the pid"
    alive "$new" || fail "$mode: restart did not start a new daemon"
    wait_for 5 has_vip 10.231.0.100 || fail "$mode: no VIP after restart"
    no_vip 10.231.0.101 || fail "$mode: restart kept a VIP that is no longer configured"

    run "$mode" stop
    dead "$new" || fail "$mode: the daemon is still running after stop"
    [ ! -e "$PIDFILE" ] || fail "$mode: pid file left after stop"
    no_vip 10.231.0.100 || fail "$mode: VIP left after stop"
    if run "$mode" status >/dev/null; then fail "$mode: status 0 after stop"; fi
    run "$mode" stop | grep -q "not running" || fail "$mode: stop when stopped"
    echo "ok: $mode"
done
echo "S60keepalived: all modes passed"
