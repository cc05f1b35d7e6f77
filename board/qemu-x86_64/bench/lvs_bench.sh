#!/bin/sh
# Inside the VM (bench.sh boots it with /files/vm_sink): Debian's keepalived 2.2.7 and
# keepalived-rs, one after the other, with -C:
#   1. 1,000 real servers (10.1.0.1-10.1.3.250:80, local on lo, one vm_sink listener accepting
#      and closing) of one virtual server, TCP_CHECK at delay_loop 1: CPU (utime+stime of
#      /proc/PID/stat, summed over keepalived's parent and checker child) over BENCH_SECS
#      (default 60) s once every server is in the table, then VmRSS and RssAnon (sums);
#   2. the removal of a real server from IPVS after its listener closes (vm_sink latency:
#      BENCH_TRIALS trials, default 9; the median).
# Result lines start with "| " (bench.sh prints them).
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

if [ -f /files/env ]; then
	# shellcheck source=/dev/null
	. /files/env
fi
secs=${BENCH_SECS:-60}
trials=${BENCH_TRIALS:-9}
sink=/files/vm_sink
[ -x "$sink" ] || fail "no $sink"

# A syslogd, so that keepalived's log lines do not go to the (slow, serial) console.
syslogd -n -O /tmp/messages &
syslogd_pid=$!
ip addr add 10.1.0.1/22 dev lo
"$sink" accept 80 /tmp/accepted &
sink_pid=$!
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() { kill "$sink_pid" "$syslogd_pid" 2>/dev/null; }
trap cleanup EXIT
wait_for 10 "vm_sink on :80" http_get 10.1.3.250 80 || fail "vm_sink does not accept"

awk 'BEGIN {
	print "global_defs {\n    router_id bench\n}"
	print "virtual_server 10.0.0.1 80 {\n    delay_loop 1\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP"
	for (i = 0; i < 1000; i++)
		printf "    real_server 10.1.%d.%d 80 {\n        TCP_CHECK {\n            connect_timeout 3\n            retry 0\n        }\n    }\n", int(i / 250), i % 250 + 1
	print "}"
}' >/tmp/bench.conf
cat >/tmp/latency.conf <<'CONF'
global_defs {
    router_id bench
}
virtual_server 10.0.0.9 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 10.1.0.1 81 {
        TCP_CHECK {
            connect_timeout 1
            retry 0
        }
    }
}
CONF

# pids NAME STARTED: the started pid and the checker's (from its -c pid file) if another.
pids() {
	p_child=$(cat "/run/$1-check.pid" 2>/dev/null || true)
	if [ -n "$p_child" ] && [ "$p_child" != "$2" ]; then echo "$2 $p_child"; else echo "$2"; fi
}
# ticks PID...: the sums of their utime and stime (clock ticks).
ticks() {
	for t_p in "$@"; do cat "/proc/$t_p/stat"; done | awk '{ u += $14; s += $15 } END { print u, s }'
}
# status_kb FIELD PID...: the sum of FIELD (VmRSS, RssAnon) in kB.
status_kb() {
	sk_f=$1
	shift
	for sk_p in "$@"; do cat "/proc/$sk_p/status"; done | awk -v f="$sk_f:" '$1 == f { n += $2 } END { print n }'
}
rs_count() { ipvsadm -Ln | grep -c -- '-> [0-9]'; }
all_in() { [ "$(rs_count)" -eq 1000 ]; }
accepted() { cat /tmp/accepted 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# load BINARY NAME: part 1; writes /tmp/NAME.load: CPU s (utime+stime), utime s, stime s,
# checks/s, CPU ms per check, utime ms per check, VmRSS kB, RssAnon kB, processes.
load() {
	ipvsadm -C
	"$1" -C -n -l -f /tmp/bench.conf -p "/run/$2.pid" -c "/run/$2-check.pid" >"/tmp/$2.log" 2>&1 &
	l_pid=$!
	wait_for 60 "$2: 1,000 real servers" all_in || { tail -20 "/tmp/$2.log"; fail "$2: $(rs_count) real servers"; }
	# Every checker has started (warmup is at most delay_loop) before the window opens.
	sleep 3
	l_pids=$(pids "$2" "$l_pid")
	# shellcheck disable=SC2086  # a list of pids
	t0=$(ticks $l_pids)
	a0=$(accepted)
	sleep "$secs"
	# shellcheck disable=SC2086
	t1=$(ticks $l_pids)
	a1=$(accepted)
	# shellcheck disable=SC2086
	rss=$(status_kb VmRSS $l_pids)
	# shellcheck disable=SC2086
	anon=$(status_kb RssAnon $l_pids)
	n=$(rs_count)
	[ "$n" -eq 1000 ] || echo "$2: only $n real servers at the end: checks failed"
	kill -TERM "$l_pid"
	wait "$l_pid" || true
	awk -v t="$t0 $t1" -v hz="$hz" -v a="$((a1 - a0))" -v s="$secs" -v r="$rss" -v an="$anon" \
		-v n="$(echo "$l_pids" | wc -w)" 'BEGIN {
		split(t, x, " "); u = (x[3] - x[1]) / hz; k = (x[4] - x[2]) / hz
		printf "%.2f %.2f %.2f %.0f %.3f %.3f %d %d %d\n", u + k, u, k, a / s, a ? (u + k) * 1000 / a : 0,
			a ? u * 1000 / a : 0, r, an, n }' >"/tmp/$2.load"
	echo "$2: $(cat "/tmp/$2.load") (CPU s, utime s, stime s, checks/s, CPU ms/check, utime ms/check, VmRSS kB, RssAnon kB, processes)"
}

# latency BINARY NAME: part 2; writes /tmp/NAME.latency: per trial, the removal time and how
# much of it came after the next delay_loop tick (removal + time kept listening after the
# server was added - 1000 ms; the add happened at a check). The first trial, from start-up
# (the first check comes after 1 s + a random warmup), is left out.
latency() {
	ipvsadm -C
	"$1" -C -n -l -f /tmp/latency.conf -p "/run/$2.pid" -c "/run/$2-check.pid" >"/tmp/$2-lat.log" 2>&1 &
	l_pid=$!
	"$sink" latency 10.1.0.1 81 "$((trials + 1))" >"/tmp/$2.latency.out" || {
		cat "/tmp/$2-lat.log"
		fail "$2: vm_sink latency failed"
	}
	awk 'NR > 1 && $1 == "removal_ms" { print $2, $2 + $6 - 1000 }' "/tmp/$2.latency.out" >"/tmp/$2.latency"
	kill -TERM "$l_pid"
	wait "$l_pid" || true
	echo "$2: removal ms, and after the tick: $(tr '\n' ',' <"/tmp/$2.latency")"
}

load keepalived ka
load keepalived-rs ours
latency keepalived ka
latency keepalived-rs ours

# median FILE [COLUMN]: the median of COLUMN (default 1), with the range.
median() { awk -v c="${2:-1}" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f ms (%.0f-%.0f)", m, v[1], v[NR] }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f MB", k / 1024 }'; }
row() { printf '| %-44s %-24s %-30s %s\n' "$@"; }
read -r o_cpu o_user o_sys o_rate o_per o_uper o_rss o_anon _ </tmp/ours.load
read -r k_cpu k_user k_sys k_rate k_per k_uper k_rss k_anon k_n </tmp/ka.load

echo "| LVS benchmark in the VM ($(uname -r), qemu TCG, $(grep -c ^processor /proc/cpuinfo) vCPU): keepalived-rs beside keepalived $(keepalived --version 2>&1 | awk 'NR == 1 { print $2 }')"
row "" keepalived-rs keepalived "goal"
row "CPU in $secs s, 1,000 RS TCP_CHECK at 1 s" "$o_cpu s" "$k_cpu s ($k_n processes)" \
	"$(awk -v o="$o_cpu" -v k="$k_cpu" 'BEGIN { if (k > 0) printf "ratio %.2f (goal <= 0.33: %s)", o / k, (o / k <= 1 / 3) ? "met" : "missed" }')"
row "  user / system (the kernel's TCP handshakes)" "$o_user / $o_sys s" "$k_user / $k_sys s" ""
row "  checks answered per second (vm_sink)" "$o_rate" "$k_rate" "1000 if the VM keeps up"
row "  CPU per check answered (of which user)" "$o_per ms ($o_uper)" "$k_per ms ($k_uper)" \
	"$(awk -v o="$o_per" -v k="$k_per" -v ou="$o_uper" -v ku="$k_uper" 'BEGIN {
		if (k > 0 && ku > 0) printf "ratio %.2f (user %.2f)", o / k, ou / ku }')"
row "VmRSS with 1,000 RS" "$(mb "$o_rss")" "$(mb "$k_rss")" \
	"ours <= 1 MB: $([ "$o_rss" -le 1024 ] && echo met || echo missed)"
row "  of which RssAnon (heap, stack, data)" "$(mb "$o_anon")" "$(mb "$k_anon")" ""
row "listener closed -> RS removed ($trials trials)" "$(median /tmp/ours.latency)" "$(median /tmp/ka.latency)" \
	"delay_loop 1, retry 0: 0-1000 ms"
row "  of which after the next check was due" "$(median /tmp/ours.latency 2)" "$(median /tmp/ka.latency 2)" \
	"the same close times for both"
echo "| (medians, min-max; CPU is utime+stime from /proc/PID/stat, keepalived's parent + checker)"
echo PASS
