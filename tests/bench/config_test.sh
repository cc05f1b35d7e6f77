#!/bin/sh
# Benchmark: `-t` on a large generated configuration (1,000 vrrp_instances x 10 VIPs and
# 500 virtual servers x 20 real servers), keepalived-rs beside Debian's keepalived, measured
# by hyperfine in the same run, inside a network namespace with the interfaces it names.
# Usage: config_test.sh PATH/TO/keepalived-rs
set -eu

OURS=$(readlink -f "$1")
NS="ka-bench-$$"
WORK=$(mktemp -d /tmp/ka-bench.XXXXXX)
CONF="$WORK/keepalived.conf"

cleanup() {
    for i in 0 1 2 3; do ip link del "kb$$-$i" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
for i in 0 1 2 3; do
    ip link add "kb$$-$i" type veth peer name "eth$i" netns "$NS"
    ip -n "$NS" link set "eth$i" up
done

# 4 interfaces x 250 VRIDs = 1,000 instances; VIPs 10.<if>.<vrid>.<1..10>.
awk 'BEGIN {
    print "global_defs {\n    router_id bench\n}";
    for (i = 0; i < 1000; i++) {
        ifn = int(i / 250); vrid = i % 250 + 1;
        printf "vrrp_instance VI_%d {\n    state BACKUP\n    interface eth%d\n    virtual_router_id %d\n    priority 100\n    advert_int 1\n    virtual_ipaddress {\n", i, ifn, vrid;
        for (v = 1; v <= 10; v++) printf "        10.%d.%d.%d/32\n", ifn, vrid, v;
        print "    }\n}";
    }
    for (s = 0; s < 500; s++) {
        printf "virtual_server 10.200.%d.%d 80 {\n    delay_loop 10\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n", int(s / 250), s % 250 + 1;
        for (r = 1; r <= 20; r++) {
            printf "    real_server 10.201.%d.%d 80 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", s % 250, r;
        }
        print "}";
    }
}' > "$CONF"

echo "configuration: $(wc -l < "$CONF") lines, 1000 vrrp_instances x 10 VIPs, 500 virtual_servers x 20 real_servers"
for bin in keepalived "$OURS"; do
    printf '%s -t: exit %s\n' "$(basename "$bin")" "$(ip netns exec "$NS" "$bin" -t -f "$CONF" >/dev/null 2>&1; echo $?)"
done

ip netns exec "$NS" hyperfine -N -i --warmup 3 --runs 30 --export-json "$WORK/result.json" \
    -n keepalived "keepalived -t -f $CONF" \
    -n keepalived-rs "$OURS -t -f $CONF" >/dev/null

# One line per program, then the ratio.
awk '
    /"command"/ { gsub(/[",]/, "", $2); name = $2 }
    /"median"/  { gsub(/,/, "", $2); med[name] = $2 * 1000; order[++n] = name }
    END {
        for (i = 1; i <= n; i++) printf "  %-14s -t median %9.2f ms\n", order[i], med[order[i]];
        if (med["keepalived-rs"] > 0)
            printf "  keepalived-rs is %.1fx faster than keepalived (goal: 5x)\n", med["keepalived"] / med["keepalived-rs"];
    }' "$WORK/result.json"
