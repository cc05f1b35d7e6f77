#!/bin/sh
# A failed IPVS command is logged with what it was doing and retried: someone deletes our
# service behind keepalived-rs's back; the next checker verdict (adding a real server back)
# fails, and a reconcile of the whole table a second later restores the service with every
# alive real server.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

real_server rs1 10.0.1.2/24 10.0.1.1/24
real_server rs2 10.0.3.2/24 10.0.3.1/24
h1=$(httpd_start rs1 10.0.1.2 80)
h2=$(httpd_start rs2 10.0.3.2 80)
wait_for 10 "httpd in rs1" http_ok 10.0.1.2 80 || fail "httpd rs1 did not start"
wait_for 10 "httpd in rs2" http_ok 10.0.3.2 80 || fail "httpd rs2 did not start"

cat >/tmp/ka.conf <<'CONF'
virtual_server 10.0.0.1 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 2
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 10.0.3.2 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
CONF
keepalived-rs -C -n -l -D -f /tmp/ka.conf -p /run/ka.pid -c /run/ka-check.pid >/tmp/ka.log 2>&1 &
ka=$!
CHECKER=keepalived-rs
trap show_checker_log EXIT

rs1='^ +-> 10\.0\.1\.2:80 +Masq +2 '
rs2='^ +-> 10\.0\.3\.2:80 +Masq +1 '
wait_for 20 "both real servers" sh -c "ipvsadm -Ln | grep -Eq '$rs1' && ipvsadm -Ln | grep -Eq '$rs2'" ||
	fail "the real servers were never added"
ok "10.0.0.1:80 with both real servers"

kill "$h2"
wait "$h2" 2>/dev/null
wait_for 20 "rs2 removed" ipvs_lacks "$rs2" || fail "rs2 stayed after its httpd stopped"
ipvsadm -D -t 10.0.0.1:80
ipvs_lacks '^TCP +10\.0\.0\.1:80' || fail "ipvsadm -D did not remove the service"
ok "rs2 down, then the service deleted behind the daemon's back"

h2=$(httpd_start rs2 10.0.3.2 80)
wait_for 20 "the service back with both real servers" sh -c "ipvsadm -Ln | grep -Eq '$rs1' && ipvsadm -Ln | grep -Eq '$rs2'" ||
	fail "the table was not restored"
grep -q 'IPVS cmd IP_VS_SO_SET_ADDDEST.*(adding real server 10.0.3.2:80 of TCP 10.0.0.1:80)' /tmp/ka.log ||
	fail "no log line naming the failed command"
grep -q "reconciling with the kernel's table" /tmp/ka.log || fail "no reconcile logged"
ipvsadm -Ln
ok "the failed NEW_DEST was logged and the reconcile restored the service"

kill -TERM "$ka"
wait "$ka"
kill "$h1" "$h2"
trap - EXIT
grep -E 'IPVS|Adding|Removing' /tmp/ka.log
echo PASS
