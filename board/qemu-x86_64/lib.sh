#!/bin/sh
# Helpers for the scenarios, inside the VM at /vm/lib.sh: . /vm/lib.sh

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	echo "ok: $*"
}

# wait_for SECONDS DESCRIPTION COMMAND...: run COMMAND every 0.2 s until it succeeds.
wait_for() {
	wf_secs=$1
	wf_what=$2
	shift 2
	wf_n=$((wf_secs * 5))
	while [ "$wf_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		wf_n=$((wf_n - 1))
	done
	echo "timed out after ${wf_secs}s waiting for: $wf_what"
	return 1
}

# ipvs_has PATTERN: `ipvsadm -Ln` has a line matching the extended regex PATTERN.
ipvs_has() {
	ipvsadm -Ln | grep -Eq -- "$1"
}

# ipvs_table: `ipvsadm -Ln` without the connection counters and its banner, services and real
# servers sorted: what two runs (keepalived and keepalived-rs) are compared on.
ipvs_table() {
	ipvsadm -Ln | awk 'NR > 3 { if ($1 == "->") print "  " $1, $2, $3, $4; else print }' |
		awk '/^[A-Z]/ { svc = $0; print svc; next } { print svc "\t" $0 }' | sort | uniq
}

ipvs_lacks() {
	! ipvs_has "$1"
}

# real_server NS ADDR/PREFIX HOST_ADDR/PREFIX: a network namespace NS joined to the VM's root
# namespace by a veth pair (vm-NS in the root namespace, eth0 in NS), the default route via
# HOST_ADDR.
real_server() {
	ip netns add "$1"
	ip link add "vm-$1" type veth peer name eth0 netns "$1"
	ip addr add "$3" dev "vm-$1"
	ip link set "vm-$1" up
	ip -n "$1" link set lo up
	ip -n "$1" addr add "$2" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "${3%/*}"
}

# client NS ADDR/PREFIX HOST_ADDR/PREFIX: the same, for a client sending through the VM's root
# namespace (forwarding is switched on).
client() {
	real_server "$@"
	sysctl -qw net.ipv4.ip_forward=1
}

# httpd_start NS ADDR PORT: busybox httpd serving /www in NS; prints its pid.
httpd_start() {
	ip netns exec "$1" httpd -f -p "$2:$3" -h /www </dev/null >/dev/null 2>&1 &
	echo $!
}

# http_get ADDR PORT [PATH]: the HTTP/1.0 response of ADDR:PORT (busybox nc, 2 s timeout;
# Debian's static busybox wget crashes).
http_get() {
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${3:-/}" "$1" | nc -w 2 "$1" "$2"
}

# http_get_ns NS ADDR PORT [PATH]: the same from namespace NS.
http_get_ns() {
	hg_ns=$1
	shift
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "${3:-/}" "$1" | ip netns exec "$hg_ns" nc -w 2 "$1" "$2"
}

# http_ok ADDR PORT [PATH]: the response's status is 200.
http_ok() {
	http_get "$@" 2>/dev/null | head -1 | grep -q '^HTTP/1\.[01] 200 '
}

# The checker daemon's log and the IPVS table, when a tcp_check_life step fails.
# shellcheck disable=SC2317  # called by the EXIT trap
show_checker_log() {
	echo "--- $CHECKER's log"
	cat /tmp/ka.log
	echo "--- ipvsadm -Ln"
	ipvsadm -Ln
}

# tcp_check_life BINARY: BINARY -C keeps a real server in IPVS by TCP_CHECK against a busybox
# httpd in namespace rs1: present while it listens, traffic through the VIP from namespace
# cl, removed when it stops, back when it listens again; SIGTERM removes the service.
tcp_check_life() {
	real_server rs1 10.0.1.2/24 10.0.1.1/24
	httpd=$(httpd_start rs1 10.0.1.2 80)
	wait_for 10 "httpd in rs1" http_ok 10.0.1.2 80 || fail "httpd did not start"
	ok "busybox httpd listens on 10.0.1.2:80 in namespace rs1"

	cat >/tmp/ka.conf <<-'CONF'
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
	"$1" -C -n -l -D -f /tmp/ka.conf -p /run/ka.pid -c /run/ka-check.pid >/tmp/ka.log 2>&1 &
	ka=$!

	CHECKER=$1
	trap show_checker_log EXIT

	rs='^ +-> 10\.0\.1\.2:80 +Masq +3 '
	wait_for 20 "the real server in IPVS" ipvs_has "$rs" || fail "the real server was never added"
	ipvsadm -Ln
	ipvs_has '^TCP +10\.0\.0\.1:80 rr *$' || fail "no service 10.0.0.1:80 rr"
	want=$(printf 'TCP  10.0.0.1:80 rr\nTCP  10.0.0.1:80 rr\t  -> 10.0.1.2:80 Masq 3')
	[ "$(ipvs_table)" = "$want" ] || fail "ipvs_table: $(ipvs_table)"
	ok "$1 added 10.0.0.1:80 with 10.0.1.2:80"

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
	ok "SIGTERM: $1 removed the service"
	kill "$httpd"
	trap - EXIT
	grep -E 'TCP connection to|Removing service|Adding service' /tmp/ka.log
}
