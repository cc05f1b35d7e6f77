#!/bin/bash
# The VRRP failover demo: two routers and a client in network namespaces on one bridge.
# Router A (priority 150) and router B (100) run keepalived-rs; the client pings the
# virtual address. A is killed, B takes the address; A comes back and preempts; A is
# stopped with SIGTERM and B takes over at once. Everything made here is removed on exit.
# Usage: failover.sh KEEPALIVED_RS_BINARY
set -euo pipefail
BIN=$(readlink -f "$1")
TAG="kd$$"
A="$TAG-a" B="$TAG-b" C="$TAG-client" SW="$TAG-sw"
VIP=192.0.2.100
DIR=$(mktemp -d)
PIDS=()

cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for ns in "$A" "$B" "$C" "$SW"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

ms() { date +%s%3N; }
say() { printf '\n== %s\n' "$*"; }
# (not a pipe into grep -q: with pipefail, ip killed by SIGPIPE would fail the test)
has_vip() { [[ "$(ip -n "$1" -o addr show dev eth0)" == *" $VIP/"* ]]; }
# wait_vip NS SECONDS: until NS holds the VIP; prints the milliseconds it took.
wait_vip() {
    local start end
    start=$(ms)
    end=$((start + $2 * 1000))
    until has_vip "$1"; do
        [ "$(ms)" -lt "$end" ] || { echo "timeout waiting for $VIP on $1" >&2; return 1; }
        sleep 0.01
    done
    echo $(($(ms) - start))
}
where() {
    local a=- b=-
    has_vip "$A" && a=MASTER
    has_vip "$B" && b=MASTER
    echo "router A: ${a/-/backup}   router B: ${b/-/backup}"
}

say "network: router A, router B and a client on one bridge (192.0.2.0/24)"
ip netns add "$SW"
ip -n "$SW" link add br0 type bridge
ip -n "$SW" link set br0 up
n=1
for ns in "$A" "$B" "$C"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$SW" link add "p$n" type veth peer name eth0 netns "$ns"
    ip -n "$SW" link set "p$n" master br0 up
    ip -n "$ns" addr add "192.0.2.$n/24" dev eth0
    ip -n "$ns" link set eth0 up
    n=$((n + 1))
done

conf() { # NAME PRIORITY
    cat <<EOF
global_defs {
    router_id $1
    script_user root
    enable_script_security
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    virtual_ipaddress {
        $VIP/24
    }
    notify "/bin/sh -c 'echo \$(date +%T) \$1 \$2 \$3 >> $DIR/notify.log' --"
}
EOF
}
conf A 150 >"$DIR/a.conf"
conf B 100 >"$DIR/b.conf"

start() { # NS NAME
    ip netns exec "$1" "$BIN" -P -n -l -f "$DIR/$2.conf" -p "$DIR/$2.pid" -r "$DIR/$2.vpid" \
        >>"$DIR/$2.log" 2>&1 &
    PIDS+=($!)
    disown "$!" # no "Killed" report from bash when the demo kills it
    echo $! >"$DIR/$2.run"
}

say "start keepalived-rs on both routers"
start "$B" b
start "$A" a
t=$(wait_vip "$A" 10)
echo "router A elected MASTER after ${t} ms (3 adverts + skew at start-up)"
where
ip netns exec "$C" ping -c 1 -W 1 "$VIP" >/dev/null && echo "client: ping $VIP ok"
ip -n "$C" neigh show "$VIP" | sed 's/^/client neighbour: /'

say "kill -9 router A"
kill -KILL "$(cat "$DIR/a.run")"
t=$(wait_vip "$B" 10)
echo "router B took $VIP after ${t} ms (Master_Down_Interval ~3.6 s)"
ip netns exec "$C" ping -c 1 -W 1 "$VIP" >/dev/null && echo "client: ping $VIP ok"
ip -n "$C" neigh show "$VIP" | sed 's/^/client neighbour (updated by gratuitous ARP): /'

say "restart router A: it preempts"
ip -n "$A" addr flush dev eth0 to "$VIP/32" 2>/dev/null || true
start "$A" a
t=$(wait_vip "$A" 10)
echo "router A MASTER again after ${t} ms"
where

say "SIGTERM router A: priority 0 advert, B takes over after Skew_Time"
start_ms=$(ms)
kill -TERM "$(cat "$DIR/a.run")"
t=$(wait_vip "$B" 5)
echo "router B took $VIP ${t} ms after SIGTERM"
while kill -0 "$(cat "$DIR/a.run")" 2>/dev/null; do sleep 0.01; done
echo "router A exited $(($(ms) - start_ms)) ms after SIGTERM"
where

say "notify script calls"
cat "$DIR/notify.log"
say "router B's log"
cat "$DIR/b.log"
echo
echo "demo OK"
