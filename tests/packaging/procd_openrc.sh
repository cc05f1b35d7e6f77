#!/bin/sh
# The procd (OpenWrt) and OpenRC scripts have no init system here: source each with
# stand-ins for the functions its init system provides, check what it declares, and run
# the daemon as that init system would, in a fresh network namespace:
# - procd: start_service's command in the foreground as procd's child (it must not fork:
#   -n), the VIP appears, reload_service's signal (HUP) brings the new configuration's VIP
#   in the same process, SIGTERM (procd's stop) ends it with status 0 and removes the VIPs;
# - OpenRC: start_pre, command/command_args/pidfile started the way OpenRC's
#   start-stop-daemon does (the daemon forks and writes pidfile), reload (SIGHUP via the
#   pid file), stop with the first signal of `retry`.
# /run is a private tmpfs (the pid files are /run/keepalived.pid and /var/run/...).
# Usage: procd_openrc.sh KEEPALIVED_RS_BINARY
# shellcheck disable=SC2317  # the stand-ins are called by the sourced scripts
set -eu
if [ -z "${KA_PRIVATE_RUN:-}" ]; then
    exec env KA_PRIVATE_RUN=1 unshare -m --propagation private sh "$0" "$@"
fi
mount -t tmpfs ka-run /run
BIN=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
NS="ka-po-$$"
TMP=$(mktemp -d /tmp/ka-po.XXXXXX)
cleanup() {
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok:   $*"; }
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
no_vips() { ! has_vip 10.233.0.100 && ! has_vip 10.233.0.101; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
dead() { ! alive "$1"; }
conf() {
    printf 'vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 63\n'
    printf ' priority 255\n advert_int 1\n virtual_ipaddress {\n'
    for v in "$@"; do printf '  %s/24\n' "$v"; done
    printf ' }\n}\n'
}
# The installed paths, mapped to this test's files.
map() {
    case $1 in
        /usr/sbin/keepalived-rs) echo "$BIN" ;;
        /etc/keepalived/keepalived.conf) echo "$TMP/keepalived.conf" ;;
        *) printf '%s\n' "$1" ;;
    esac
}

ip netns add "$NS"
ip -n "$NS" link add eth0 type veth peer name eth1
ip -n "$NS" link set lo up
ip -n "$NS" link set eth0 up
ip -n "$NS" link set eth1 up
ip -n "$NS" addr add 10.233.0.1/24 dev eth0

echo "== procd: board/openwrt/net/keepalived-rs/files/keepalived.init"
(
    : >"$TMP/procd.cmd"
    : >"$TMP/procd.calls"
    procd_open_instance() { echo open >>"$TMP/procd.calls"; }
    procd_close_instance() { echo close >>"$TMP/procd.calls"; }
    procd_set_param() {
        echo "set $*" >>"$TMP/procd.calls"
        if [ "$1" = command ]; then shift; printf '%s\n' "$@" >"$TMP/procd.cmd"; fi
    }
    procd_send_signal() { echo "signal $*" >>"$TMP/procd.calls"; }
    # shellcheck source=SCRIPTDIR/../../board/openwrt/net/keepalived-rs/files/keepalived.init
    . "$REPO/board/openwrt/net/keepalived-rs/files/keepalived.init"
    [ "$USE_PROCD" = 1 ] || fail "USE_PROCD is not 1"
    [ "$START" -gt 20 ] || fail "START=$START: before the network"
    [ "$STOP" -lt 90 ] || fail "STOP=$STOP: after the network"
    start_service
    reload_service
    echo "$START $STOP" >"$TMP/procd.prio"
)
grep -qx 'set respawn' "$TMP/procd.calls" || fail "procd: no respawn"
grep -qx -- '-n' "$TMP/procd.cmd" || fail "procd: the command lacks -n (procd wants the foreground)"
sig=$(sed -n 's/^signal keepalived \(.*\)/\1/p' "$TMP/procd.calls")
case $sig in "" | "'*' HUP" | "* HUP" | HUP) ;; *) fail "procd: reload sends '$sig', not HUP" ;; esac
ok "procd: START/STOP $(cat "$TMP/procd.prio"), respawn, command: $(tr '\n' ' ' <"$TMP/procd.cmd"), reload: HUP"

set --
while IFS= read -r w; do set -- "$@" "$(map "$w")"; done <"$TMP/procd.cmd"
conf 10.233.0.100 >"$TMP/keepalived.conf"
echo "procd would run: $*"
ip netns exec "$NS" "$@" &
pid=$!
wait_for 5 has_vip 10.233.0.100 || fail "procd: no VIP"
alive "$pid" || fail "procd: the process procd started is gone (it forked?)"
pf=$(sed -n '/^-p$/{n;p;}' "$TMP/procd.cmd")
[ -n "$pf" ] || fail "procd: no -p in the command"
[ "$(cat "$pf")" = "$pid" ] || fail "procd: the pid file $pf does not hold $pid"
conf 10.233.0.100 10.233.0.101 >"$TMP/keepalived.conf"
kill -HUP "$pid"
wait_for 5 has_vip 10.233.0.101 || fail "procd: reload did not bring the new VIP"
alive "$pid" || fail "procd: the daemon died at reload"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "procd: exit status $status after SIGTERM"
no_vips || fail "procd: VIPs left after stop"
ok "procd: foreground, MASTER, reload by HUP in the same process, SIGTERM: status 0, VIPs removed"

echo "== OpenRC: board/openrc/keepalived.initd"
conf 10.233.0.100 >"$TMP/keepalived.conf"
(
    ebegin() { :; }
    eend() { return "${1:-0}"; }
    eerror() { echo "$*" >&2; }
    # OpenRC's start-stop-daemon sends a signal by pid file with --signal alone; Debian's
    # does not: stand in for that form.
    mkdir "$TMP/openrc-bin"
    cat >"$TMP/openrc-bin/start-stop-daemon" <<'SSD'
#!/bin/sh
[ "$1" = --signal ] && [ "$3" = --pidfile ] && exec kill -"$2" "$(cat "$4")"
echo "start-stop-daemon $*: not OpenRC's signal form" >&2
exit 1
SSD
    chmod +x "$TMP/openrc-bin/start-stop-daemon"
    PATH="$TMP/openrc-bin:$PATH"
    # shellcheck source=SCRIPTDIR/../../board/openrc/keepalived.confd
    . "$REPO/board/openrc/keepalived.confd"
    KEEPALIVED_CONFIG="$TMP/missing.conf"
    # shellcheck source=SCRIPTDIR/../../board/openrc/keepalived.initd
    . "$REPO/board/openrc/keepalived.initd"
    if start_pre 2>/dev/null; then fail "OpenRC: start_pre accepts a missing configuration"; fi
    KEEPALIVED_CONFIG="$TMP/keepalived.conf"
    # shellcheck source=SCRIPTDIR/../../board/openrc/keepalived.initd
    . "$REPO/board/openrc/keepalived.initd"
    start_pre || fail "OpenRC: start_pre refuses $KEEPALIVED_CONFIG"
    [ "$command" = /usr/sbin/keepalived-rs ] || fail "OpenRC: command=$command"
    case " $extra_started_commands " in *" reload "*) ;; *) fail "OpenRC: no reload command" ;; esac
    type depend >/dev/null || fail "OpenRC: no depend()"
    # As OpenRC starts it.
    # shellcheck disable=SC2086  # command_args is a list of words
    ip netns exec "$NS" /usr/sbin/start-stop-daemon --start --exec "$(map "$command")" \
        --pidfile "$pidfile" -- $command_args || fail "OpenRC: start"
    wait_for 5 test -s "$pidfile" || fail "OpenRC: no $pidfile"
    pid=$(cat "$pidfile")
    wait_for 5 has_vip 10.233.0.100 || fail "OpenRC: no VIP"
    conf 10.233.0.100 10.233.0.101 >"$KEEPALIVED_CONFIG"
    reload
    wait_for 5 has_vip 10.233.0.101 || fail "OpenRC: reload did not bring the new VIP"
    [ "$(cat "$pidfile")" = "$pid" ] || fail "OpenRC: reload changed the pid"
    alive "$pid" || fail "OpenRC: the daemon died at reload"
    first=${retry%%/*}
    timeout=$(echo "$retry" | cut -d/ -f2)
    [ "$first" = TERM ] || fail "OpenRC: retry=$retry does not start with TERM"
    [ "$timeout" -ge 6 ] || fail "OpenRC: retry=$retry: under 6 s for the STOP scripts (5 s)"
    kill -"$first" "$pid"
    wait_for "$timeout" dead "$pid" || fail "OpenRC: still running $timeout s after $first"
    no_vips || fail "OpenRC: VIPs left after stop"
    [ ! -e "$pidfile" ] || fail "OpenRC: $pidfile left after stop"
    ok "OpenRC: command $command $command_args; start, reload (same pid, new VIP), stop (retry=$retry)"
)
