#!/bin/sh
# Checks (and with --dump, prints) a configuration with keepalived-rs inside a throw-away
# network namespace that has the `eth0` the example uses.
# Usage: check_example.sh "KEEPALIVED_RS_COMMAND" CONFIG [--dump]
set -eu
CMD=$1
CONF=$(readlink -f "$2")
NS="ka-demo-$$"
cleanup() {
    ip link del "kd$$" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
ip netns add "$NS"
ip link add "kd$$" type veth peer name eth0 netns "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link set eth0 up

echo "== $CMD -t -f $CONF"
# shellcheck disable=SC2086  # CMD may be "qemu-aarch64-static path"
ip netns exec "$NS" $CMD -t -f "$CONF"
echo "configuration OK (exit status 0)"
if [ "${3:-}" = "--dump" ]; then
    echo "== $CMD -d -f $CONF"
    # shellcheck disable=SC2086
    ip netns exec "$NS" $CMD -d -f "$CONF"
fi
