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
