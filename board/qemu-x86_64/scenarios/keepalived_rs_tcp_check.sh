#!/bin/sh
# keepalived-rs (-C, checkers only) keeps a real server in IPVS by TCP_CHECK against a
# busybox httpd in a network namespace, through the same steps keepalived_tcp_check.sh
# takes Debian's keepalived: present while it listens, removed when it stops, back when it
# listens again; traffic through the VIP; SIGTERM removes the service.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

real_server rs1 10.0.1.2/24 10.0.1.1/24
httpd=$(httpd_start rs1 10.0.1.2 80)
wait_for 10 "httpd in rs1" http_ok 10.0.1.2 80 || fail "httpd did not start"
ok "busybox httpd listens on 10.0.1.2:80 in namespace rs1"

cat >/tmp/ka.conf <<'CONF'
global_defs {
    router_id vm
}
virtual_server 10.0.0.1 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 3
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
CONF
keepalived-rs -C -n -l -D -f /tmp/ka.conf -p /run/ka.pid -c /run/ka-check.pid >/tmp/ka.log 2>&1 &
ka=$!

show_log() {
	echo "--- keepalived-rs's log"
	cat /tmp/ka.log
	echo "--- ipvsadm -Ln"
	ipvsadm -Ln
}
trap show_log EXIT

rs='^ +-> 10\.0\.1\.2:80 +Masq +3 '
wait_for 20 "the real server in IPVS" ipvs_has "$rs" || fail "the real server was never added"
ipvsadm -Ln
ipvs_has '^TCP +10\.0\.0\.1:80 rr *$' || fail "no service 10.0.0.1:80 rr"
want=$(printf 'TCP  10.0.0.1:80 rr\nTCP  10.0.0.1:80 rr\t  -> 10.0.1.2:80 Masq 3')
[ "$(ipvs_table)" = "$want" ] || fail "ipvs_table: $(ipvs_table)"
ok "keepalived-rs added 10.0.0.1:80 with 10.0.1.2:80"

# Traffic: a client namespace reaches the real server through the VIP (IPVS NAT).
client cl 10.0.2.2/24 10.0.2.1/24
ip addr add 10.0.0.1/32 dev lo
http_get_ns cl 10.0.0.1 80 >/tmp/resp || fail "no answer through the VIP"
grep -q 'vm real server' /tmp/resp || fail "through the VIP: $(cat /tmp/resp)"
ipvsadm -Lnc | grep -E ' 10\.0\.2\.2:[0-9]+ +10\.0\.0\.1:80 +10\.0\.1\.2:80' >/dev/null ||
	fail "IPVS has no connection from the client: $(ipvsadm -Lnc)"
ok "a client in namespace cl gets the page through 10.0.0.1:80"

start=$(cut -d' ' -f1 /proc/uptime)
kill "$httpd"
wait "$httpd" 2>/dev/null
wait_for 20 "the real server removed" ipvs_lacks "$rs" || fail "the real server stayed after httpd stopped"
ok "httpd stopped: real server removed ($start -> $(cut -d' ' -f1 /proc/uptime) s uptime)"

httpd=$(httpd_start rs1 10.0.1.2 80)
wait_for 20 "the real server back" ipvs_has "$rs" || fail "the real server did not come back"
ok "httpd listening again: real server back"

kill -TERM "$ka"
wait "$ka"
ipvs_lacks '^TCP +10\.0\.0\.1:80' || fail "SIGTERM left the service in IPVS"
ok "SIGTERM: keepalived-rs removed the service"
kill "$httpd"
trap - EXIT
grep -E 'TCP connection to|Removing service|Adding service' /tmp/ka.log
echo PASS
