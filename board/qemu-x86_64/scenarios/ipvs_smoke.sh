#!/bin/sh
# The VM has IPVS: a NAT service by hand with ipvsadm; keepalived-rs -t and Debian's keepalived -t
# accept the same small configuration.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

modprobe ip_vs || fail "modprobe ip_vs"
[ -e /proc/net/ip_vs ] || fail "no /proc/net/ip_vs"
ok "ip_vs loaded: $(head -1 /proc/net/ip_vs)"

ipvsadm -A -t 10.0.0.1:80 -s rr || fail "ipvsadm -A"
ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m || fail "ipvsadm -a"
ipvsadm -Ln
ipvs_has '^TCP +10\.0\.0\.1:80 rr *$' || fail "the service is not listed"
ipvs_has '^ +-> 10\.0\.0\.2:80 +Masq +1 +0 +0 *$' || fail "the real server is not listed"
ipvsadm -C || fail "ipvsadm -C"
[ "$(ipvsadm -Ln | wc -l)" -eq 3 ] || fail "ipvsadm -C left services"
ok "ipvsadm adds, lists and clears a service"

# A VRRP instance needs an interface: a veth pair.
ip link add eth0 type veth peer name peer0
ip addr add 192.168.10.1/24 dev eth0
ip link set eth0 up
ip link set peer0 up
cat >/tmp/smoke.conf <<'CONF'
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
virtual_server 10.0.0.1 80 {
    delay_loop 2
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.0.1.3 80 {
        weight 1
        HTTP_GET {
            url {
                path /
                status_code 200
            }
            connect_timeout 1
        }
    }
}
CONF
keepalived-rs -t -f /tmp/smoke.conf
rc=$?
[ $rc -eq 0 ] || fail "keepalived-rs -t: status $rc"
ok "keepalived-rs -t: 0"
keepalived -t -l -f /tmp/smoke.conf
rc=$?
[ $rc -eq 0 ] || fail "keepalived -t: status $rc"
ok "keepalived (Debian, $(keepalived -v 2>&1 | head -1)) -t: 0"
echo PASS
