#!/bin/sh
# keepalived-rs -C programs the same IPVS table as Debian's keepalived 2.2.7 for the same
# virtual servers (no health checkers: real servers stay up, as keepalived keeps a real
# server without a checker): services by address (NAT, DR with persistence, TUN), by fwmark
# and from a virtual_server_group with a range. A reload changes one weight and adds a
# service, and only that changes; SIGTERM removes our services, -I keeps them.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

conf() { # WEIGHT EXTRA_SERVICE(0|1)
	cat <<CONF
global_defs {
    router_id vm
}
virtual_server_group G {
    10.0.3.1-3 80
    10.0.4.1 80
}
virtual_server 10.0.0.1 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight $1
    }
    real_server 10.0.1.3 8080 {
        weight 1
    }
}
virtual_server 10.0.0.2 443 {
    lb_algo sh
    lb_kind DR
    persistence_timeout 600
    protocol TCP
    real_server 10.0.1.4 443 {
        weight 2
    }
}
virtual_server fwmark 5 {
    lb_algo lc
    lb_kind TUN
    real_server 10.0.1.5 0 {
        weight 4
    }
}
virtual_server 10.0.0.3 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 10.0.1.6 53 {
    }
}
virtual_server group G {
    lb_algo rr
    lb_kind DR
    protocol TCP
    real_server 10.0.1.7 80 {
        weight 5
    }
}
CONF
	if [ "$2" = 1 ]; then
		cat <<CONF
virtual_server 10.0.0.4 25 {
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.8 25 {
        weight 1
    }
}
CONF
	fi
}

# The table both daemons leave after start-up (and after a reload), normalised.
run() { # BINARY NAME
	conf 3 0 >/tmp/ipvs.conf
	"$1" -C -n -l -f /tmp/ipvs.conf -p "/run/$2.pid" -c "/run/$2-check.pid" >"/tmp/$2.log" 2>&1 &
	pid=$!
	wait_for 20 "$2's services" ipvs_has '^TCP +10\.0\.0\.1:80' || {
		cat "/tmp/$2.log"
		fail "$2 added no service"
	}
	sleep 1
	ipvs_table >"/tmp/$2.start"
	conf 9 1 >/tmp/ipvs.conf
	kill -HUP "$pid"
	wait_for 20 "$2's reload" ipvs_has '^TCP +10\.0\.0\.4:25' || {
		cat "/tmp/$2.log"
		fail "$2's reload added no service"
	}
	sleep 1
	ipvs_table >"/tmp/$2.reload"
	kill -TERM "$pid"
	wait "$pid"
	ipvs_table >"/tmp/$2.stop"
}

modprobe ip_vs 2>/dev/null || true
run keepalived ka
ipvsadm -C
run keepalived-rs ours

for stage in start reload stop; do
	if ! cmp -s "/tmp/ka.$stage" "/tmp/ours.$stage"; then
		echo "--- keepalived after $stage"
		cat "/tmp/ka.$stage"
		echo "--- keepalived-rs after $stage"
		cat "/tmp/ours.$stage"
		echo "--- keepalived-rs log"
		cat /tmp/ours.log
		fail "the IPVS tables differ after $stage"
	fi
	ok "after $stage: the same IPVS table as keepalived ($(wc -l <"/tmp/ours.$stage") lines)"
done
[ -s /tmp/ours.start ] || fail "no table at all"
grep -q '10.0.1.2:80 Masq 9' /tmp/ours.reload || fail "the reload did not change the weight"

# -I: the table stays when we stop.
conf 3 0 >/tmp/ipvs.conf
keepalived-rs -C -I -n -l -f /tmp/ipvs.conf -p /run/ours.pid -c /run/ours-check.pid >/tmp/ours-i.log 2>&1 &
pid=$!
wait_for 20 "our services" ipvs_has '^TCP +10\.0\.0\.1:80' || fail "no service with -I"
kill -TERM "$pid"
wait "$pid"
ipvs_has '^TCP +10\.0\.0\.1:80' || fail "-I: the services were removed at stop"
ok "-I keeps the services at stop"
ipvsadm -C
echo PASS
