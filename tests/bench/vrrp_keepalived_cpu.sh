#!/bin/sh
# Benchmark context for the VRRP core: CPU Debian's keepalived spends per advert, measured now.
# Two keepalived VRRP processes in two network namespaces joined by a veth pair run 100
# VRRPv3 instances at a 10 ms interval (10,000 adverts/s). After they settle, the CPU time
# (utime + stime, /proc/PID/stat) of each VRRP child over 10 s is divided by the adverts its
# interface sent (MASTER) or received (BACKUP). This is keepalived end to end: timers,
# recvmsg/sendmsg and its own processing, as a process pays for them.
set -eu

N=100
SECS=10
NS_A="ka-cpu-a-$$"
NS_B="ka-cpu-b-$$"
WORK=$(mktemp -d /tmp/ka-cpu.XXXXXX)

cleanup() {
    for f in "$WORK"/*.pid; do
        [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    sleep 0.5
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add veth0 type veth peer name veth0 netns "$NS_B"
ip -n "$NS_A" addr add 10.77.0.1/24 dev veth0
ip -n "$NS_B" addr add 10.77.0.2/24 dev veth0
for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set veth0 up
done

conf() { # priority
    printf 'global_defs {\n    vrrp_garp_master_delay 0\n    vrrp_garp_master_repeat 1\n}\n'
    i=1
    while [ "$i" -le "$N" ]; do
        printf 'vrrp_instance VI_%d {\n    state BACKUP\n    interface veth0\n    virtual_router_id %d\n    priority %d\n    version 3\n    advert_int 0.01\n    virtual_ipaddress {\n        10.78.%d.1/32\n    }\n}\n' \
            "$i" "$i" "$1" "$i"
        i=$((i + 1))
    done
}
conf 200 > "$WORK/a.conf"
conf 100 > "$WORK/b.conf"

for side in a b; do
    ns=$NS_A; [ "$side" = b ] && ns=$NS_B
    ip netns exec "$ns" keepalived -P -n -f "$WORK/$side.conf" \
        -p "$WORK/$side.pid" -r "$WORK/$side-vrrp.pid" >/dev/null 2>&1 &
done
sleep 4

ticks() { awk '{ print $14 + $15 }' "/proc/$(cat "$WORK/$1-vrrp.pid")/stat"; }
packets() { # namespace tx|rx
    ip netns exec "$1" cat "/sys/class/net/veth0/statistics/$2_packets"
}

a0=$(ticks a); b0=$(ticks b); tx0=$(packets "$NS_A" tx); rx0=$(packets "$NS_B" rx)
sleep "$SECS"
a1=$(ticks a); b1=$(ticks b); tx1=$(packets "$NS_A" tx); rx1=$(packets "$NS_B" rx)

hz=$(getconf CLK_TCK)
awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v tx="$((tx1 - tx0))" -v rx="$((rx1 - rx0))" \
    -v hz="$hz" -v n="$N" -v s="$SECS" 'BEGIN {
    printf "keepalived 2.2.7, measured now: %d VRRPv3 instances at 10 ms, %d s\n", n, s;
    printf "  MASTER: %6.1f us CPU per advert sent     (%d adverts, %.2f s CPU)\n", a / hz * 1e6 / tx, tx, a / hz;
    printf "  BACKUP: %6.1f us CPU per advert received (%d adverts, %.2f s CPU)\n", b / hz * 1e6 / rx, rx, b / hz;
}'
