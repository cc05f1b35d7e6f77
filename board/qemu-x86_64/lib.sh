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

# httpd_start NS ADDR PORT [ROOT]: busybox httpd serving ROOT (default /www) in NS; prints its
# pid.
httpd_start() {
	ip netns exec "$1" httpd -f -p "$2:$3" -h "${4:-/www}" </dev/null >/dev/null 2>&1 &
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

# --- Comparisons with keepalived (the lvs_compare_*.sh scenarios) ---------------------------
# A scenario writes its configuration to /tmp/lvs.conf and a function of steps, each an action
# followed by `lvs_step LABEL DESCRIPTION PREDICATE...`; `lvs_run keepalived ka STEPS` and
# `lvs_run keepalived-rs ours STEPS` run the same steps under each daemon (the table is
# cleared in between), then `lvs_compare ka ours` compares the tables step by step.

# table_has PATTERN: a line of ipvs_table (each real server after its service) matches the
# extended regex PATTERN.
table_has() {
	ipvs_table | grep -Eq -- "$1"
}

table_lacks() {
	! table_has "$1"
}

# rs_ns NS ADDR: real_server NS ADDR/24 with the host side at ADDR's .1, and a document root
# /tmp/www-NS holding `who` (the name NS: which server answered); rs_up and rs_down start and
# stop its busybox httpd on ADDR:80.
rs_ns() {
	real_server "$1" "$2/24" "${2%.*}.1/24"
	mkdir -p "/tmp/www-$1"
	echo "$1" >"/tmp/www-$1/who"
	eval "RS_ADDR_$1=$2"
}

rs_up() {
	eval "ru_addr=\$RS_ADDR_$1"
	# shellcheck disable=SC2154  # set by the eval
	httpd_start "$1" "$ru_addr" 80 "/tmp/www-$1" >"/tmp/httpd-$1.pid"
	wait_for 10 "httpd in $1" http_ok "$ru_addr" 80 /who || fail "httpd in $1 did not start"
}

rs_down() {
	kill "$(cat "/tmp/httpd-$1.pid")"
	eval "rd_addr=\$RS_ADDR_$1"
	# shellcheck disable=SC2154  # set by the eval
	wait_for 10 "httpd in $1 stopped" lacks_listener "$rd_addr" 80 || fail "httpd in $1 did not stop"
}

# lacks_listener ADDR PORT: nothing accepts on ADDR:PORT.
lacks_listener() {
	! nc -w 1 "$1" "$2" </dev/null >/dev/null 2>&1
}

# table_settled: ipvs_table is the same over 1 s (5 reads 0.2 s apart); up to 10 s.
table_settled() {
	ts_prev=$(ipvs_table)
	ts_same=0
	ts_n=50
	while [ "$ts_n" -gt 0 ] && [ "$ts_same" -lt 5 ]; do
		sleep 0.2
		ts_cur=$(ipvs_table)
		if [ "$ts_cur" = "$ts_prev" ]; then ts_same=$((ts_same + 1)); else ts_same=0; fi
		ts_prev=$ts_cur
		ts_n=$((ts_n - 1))
	done
}

# lvs_step LABEL DESCRIPTION PREDICATE...: wait up to LVS_WAIT (default 20) s for PREDICATE,
# let the table settle and keep it as step LABEL of the current run. A timeout is noted in the
# kept table (so the comparison shows it) and in /tmp/RUN.timeouts.
lvs_step() {
	ls_label=$1
	ls_what=$2
	shift 2
	LVS_N=$((LVS_N + 1))
	ls_file=/tmp/$LVS_RUN.step$(printf %02d "$LVS_N")-$ls_label
	if wait_for "${LVS_WAIT:-20}" "$ls_what" "$@"; then
		: >"$ls_file"
	else
		echo "# timed out waiting for: $ls_what" >"$ls_file"
		echo "$ls_label: timed out waiting for: $ls_what" >>"/tmp/$LVS_RUN.timeouts"
	fi
	table_settled
	ipvs_table >>"$ls_file"
	echo "$LVS_RUN: step $LVS_N $ls_label: $(grep -c . <"$ls_file") lines"
}

# lvs_run BINARY NAME STEPS: BINARY -C with /tmp/lvs.conf (log /tmp/NAME.log), the function
# STEPS, then SIGTERM (the table after it is the step "stopped").
lvs_run() {
	ipvsadm -C
	LVS_RUN=$2
	LVS_N=0
	: >"/tmp/$2.timeouts"
	"$1" -C -n -l -f /tmp/lvs.conf -p "/run/$2.pid" -c "/run/$2-check.pid" >"/tmp/$2.log" 2>&1 &
	lr_pid=$!
	"$3"
	kill -TERM "$lr_pid"
	wait "$lr_pid" || echo "$2 exited with status $? at SIGTERM" >>"/tmp/$2.timeouts"
	lvs_step stopped "$2 stopped" true
}

# lvs_compare A B: each step's table under run A equals run B's; both tables (and B's log)
# printed on a difference; fails then, or if a step of either run timed out.
lvs_compare() {
	lc_bad=0
	for lc_a in /tmp/"$1".step*; do
		lc_step=${lc_a#/tmp/"$1".}
		lc_b=/tmp/$2.$lc_step
		if [ -f "$lc_b" ] && cmp -s "$lc_a" "$lc_b"; then
			ok "$lc_step: the same IPVS table ($(grep -c . <"$lc_a") lines)"
		else
			echo "--- $lc_step: $1"
			cat "$lc_a"
			echo "--- $lc_step: $2"
			cat "$lc_b" 2>/dev/null || echo "(no such step)"
			lc_bad=1
		fi
	done
	for lc_run in "$1" "$2"; do
		if [ -s "/tmp/$lc_run.timeouts" ]; then
			echo "--- $lc_run"
			cat "/tmp/$lc_run.timeouts"
			lc_bad=1
		fi
	done
	if [ "$lc_bad" -ne 0 ]; then
		echo "--- $2's log"
		cat "/tmp/$2.log"
		fail "the IPVS tables under $1 and $2 differ, or a step timed out"
	fi
}

# traffic NS ADDR PORT N: N requests for /who through ADDR:PORT from namespace NS (a new
# connection each); prints how many each server answered ("rs1 30"), "none" for no answer.
traffic() {
	tr_n=$4
	while [ "$tr_n" -gt 0 ]; do
		tr_who=$(http_get_ns "$1" "$2" "$3" /who 2>/dev/null | tail -1)
		echo "${tr_who:-none}"
		tr_n=$((tr_n - 1))
	done | sort | uniq -c | awk '{ print $2, $1 }'
}
