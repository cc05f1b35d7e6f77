#!/bin/sh
# Our daemon runs in the VM's kernel: keepalived-rs -P becomes MASTER on a veth, adds its VIP,
# and removes it at SIGTERM.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

ip link add eth0 type veth peer name peer0
ip addr add 192.168.10.1/24 dev eth0
ip link set eth0 up
ip link set peer0 up
cat >/tmp/vrrp.conf <<'CONF'
global_defs {
    router_id vm
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.0.0.1/32
    }
}
CONF
keepalived-rs -P -n -l -f /tmp/vrrp.conf -p /run/ours.pid -r /run/ours-vrrp.pid >/tmp/ours.log 2>&1 &
ours=$!
trap 'echo "--- keepalived-rs log"; cat /tmp/ours.log' EXIT

has_vip() {
	ip -4 addr show dev eth0 | grep -q 'inet 10\.0\.0\.1/32'
}
wait_for 20 "the VIP on eth0" has_vip || fail "keepalived-rs never added 10.0.0.1"
grep -q 'Entering MASTER STATE' /tmp/ours.log || fail "no 'Entering MASTER STATE' line"
ok "keepalived-rs -P is MASTER with 10.0.0.1 on eth0"

kill -TERM "$ours"
wait "$ours"
rc=$?
[ $rc -eq 0 ] || fail "keepalived-rs exited $rc at SIGTERM"
has_vip && fail "the VIP stayed after SIGTERM"
ok "SIGTERM: keepalived-rs removed the VIP and exited 0"
trap - EXIT
cat /tmp/ours.log
echo PASS
