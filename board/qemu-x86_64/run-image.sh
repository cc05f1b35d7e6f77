#!/bin/sh
# run-image.sh: boots two VMs from the image (target/image/vmlinuz + rootfs.cpio.gz, see
# image.sh) joined by a qemu UDP socket network (one Ethernet link, virtio-net-pci, MACs
# 52:54:00:99:00:01 and :02), with ka.node=1 and ka.node=2 on their kernel command lines:
# node 1 (10.99.0.1, priority 150) must become MASTER and hold the VIP 10.99.0.100, node 2
# (10.99.0.2, priority 100) BACKUP. Then node 1 is powered off ("poweroff" typed on its serial
# console: busybox init runs rcK, S60keepalived stop; IMAGE_STOP=kill kills its qemu instead,
# a crash) and node 2 must take over: its console shows "Entering MASTER STATE" and its own
# check of eth0 (S90vipwatch: ip addr show eth0) prints VIP-ON-NODE2. Prints the interesting
# console lines and the times; exits 1 if anything of that did not happen within
# IMAGE_TIMEOUT (180) s. Both qemu processes are killed on every path.
#
# Environment: IMAGE_DIR (default target/image), IMAGE_TIMEOUT, IMAGE_STOP (poweroff|kill),
# IMAGE_MEM (256M), IMAGE_VERBOSE=1 (print both consoles at the end). The consoles are kept in
# IMAGE_DIR/logs/node1.log and node2.log.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
img=${IMAGE_DIR:-$(cd "$here/../.." && pwd)/target/image}
limit=${IMAGE_TIMEOUT:-180}
stop=${IMAGE_STOP:-poweroff}
vip=10.99.0.100
case $stop in poweroff | kill) ;; *) echo "$0: IMAGE_STOP is poweroff or kill" >&2 && exit 2 ;; esac
for f in vmlinuz rootfs.cpio.gz; do
	[ -f "$img/$f" ] || { echo "$0: no $img/$f (make image)" >&2; exit 2; }
done
mkdir -p "$img/logs"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-image.XXXXXX")
pids=""
# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || :; done
	for n in 1 2; do
		[ -f "$tmp/n$n.raw" ] && tr -d '\r' <"$tmp/n$n.raw" >"$img/logs/node$n.log"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
t0=$(now)
deadline=$((t0 + limit * 1000000000))
# since T: seconds from T (nanoseconds) to now, one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }
say() { echo "run-image: [+$(since "$t0") s] $*"; }

# alive PID: the process exists and is not a zombie (our qemu children stay zombies until reaped).
alive() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}

# Two free UDP ports for the socket network, one per side.
port=$((20000 + ($$ % 10000) * 2))
tries=20
while ss -Hlun | awk '{ print $4 }' | grep -Eq ":($port|$((port + 1)))\$"; do
	tries=$((tries - 1))
	[ "$tries" -gt 0 ] || { echo "$0: no free UDP ports" >&2; exit 2; }
	port=$((port + 2))
done

# boot N: VM N (ka.node=N) in the background, its serial console on the FIFOs nN.in (what we
# type) and nN.out (copied to nN.raw); sets qemuN to its pid.
boot() {
	mkfifo "$tmp/n$1.in" "$tmp/n$1.out"
	: >"$tmp/n$1.raw"
	cat "$tmp/n$1.out" >>"$tmp/n$1.raw" &
	pids="$pids $!"
	qemu-system-x86_64 -accel tcg -m "${IMAGE_MEM:-256M}" -display none -no-reboot -nodefaults \
		-monitor none -serial "pipe:$tmp/n$1" \
		-netdev "socket,id=n0,localaddr=127.0.0.1:$((port + $1 - 1)),udp=127.0.0.1:$((port + 2 - $1))" \
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:99:00:0$1,romfile=" \
		-kernel "$img/vmlinuz" -initrd "$img/rootfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 ka.node=$1 ka.watch=$vip" \
		</dev/null >"$tmp/n$1.qemu" 2>&1 &
	pids="$pids $!"
	if [ "$1" = 1 ]; then qemu1=$!; else qemu2=$!; fi
}

# type_on N TEXT: TEXT (printf %b) on VM N's serial console.
type_on() {
	printf '%b' "$2" | timeout 5 tee "$tmp/n$1.in" >/dev/null
}

# lines N [FROM]: VM N's console after line FROM (default 0), without carriage returns.
lines() {
	tail -n +$((${2:-0} + 1)) "$tmp/n$1.raw" | tr -d '\r'
}

# last_state N: the last VRRP state VM N's console shows (MASTER, BACKUP, FAULT or none).
last_state() {
	lines "$1" | sed -n 's/.*[Ee]ntering \([A-Z]*\) [Ss][Tt][Aa][Tt][Ee].*/\1/p' | tail -1
}

# last_vip N: ON or OFF, VM N's last VIP marker.
last_vip() {
	lines "$1" | sed -n "s/^VIP-\([A-Z]*\)-NODE$1 .*/\1/p" | tail -1
}

show() {
	for n in 1 2; do
		lines "$n" | grep -E 'KA-BOOTED|S10network|Starting keepalived|Stopping keepalived|[Ee]ntering [A-Z]+ [Ss][Tt][Aa][Tt][Ee]|VIP-(ON|OFF)|Stopped|Requesting system|Power down' |
			sed "s/^/  node$n| /"
	done
}

fail() {
	say "FAIL: $*"
	for n in 1 2; do
		echo "--- node $n's console (last 40 lines)"
		lines "$n" | tail -40
		[ -s "$tmp/n$n.qemu" ] && { echo "--- node $n's qemu"; cat "$tmp/n$n.qemu"; }
	done
	echo "run-image: consoles in $img/logs/node1.log and node2.log"
	exit 1
}

qemu_pid() {
	if [ "$1" = 1 ]; then echo "$qemu1"; else echo "$qemu2"; fi
}

# until WHAT CMD...: CMD every 0.1 s until it succeeds; fails the run at the deadline or when
# a VM that should be running has stopped.
until_ok() {
	uo_what=$1
	shift
	while ! "$@"; do
		[ "$(now)" -lt "$deadline" ] || fail "timed out (IMAGE_TIMEOUT=$limit s) waiting for: $uo_what"
		for uo_n in $running; do
			alive "$(qemu_pid "$uo_n")" || fail "node $uo_n's qemu stopped while waiting for: $uo_what"
		done
		sleep 0.1
	done
}

# The predicates until_ok waits for.
is_state() { [ "$(last_state "$1")" = "$2" ]; }
has_vip() { [ "$(last_vip "$1")" = ON ]; }
lacks_vip() { [ "$(last_vip "$1")" != ON ]; }
booted() { lines "$1" | grep -q '^KA-BOOTED '; }
has_line_after() { lines "$1" "$2" | grep -Eq -- "$3"; }
stopped() { ! alive "$1"; }

say "booting node 1 and node 2 (UDP ports $port and $((port + 1)), IMAGE_STOP=$stop)"
boot 1
boot 2
running="1 2"

until_ok "node 1's rcS to finish" booted 1
say "node 1 booted: $(lines 1 | sed -n 's/^KA-BOOTED //p') s of uptime after rcS"
until_ok "node 2's rcS to finish" booted 2
say "node 2 booted: $(lines 2 | sed -n 's/^KA-BOOTED //p') s of uptime after rcS"
until_ok "node 1 MASTER" is_state 1 MASTER
until_ok "VIP-ON-NODE1 (10.99.0.100 on node 1's eth0)" has_vip 1
say "node 1 is MASTER and holds $vip"
until_ok "node 2 BACKUP without the VIP" is_state 2 BACKUP
until_ok "node 2 without the VIP" lacks_vip 2
# Both must still agree after two more adverts (node 2 may have booted first and been
# preempted just now).
sleep 2
if ! is_state 1 MASTER || ! has_vip 1; then fail "node 1 left MASTER"; fi
if ! is_state 2 BACKUP || ! lacks_vip 2; then fail "node 2 left BACKUP"; fi
say "node 2 is BACKUP without $vip"

mark=$(lines 2 | wc -l)
t_off=$(now)
running=2
if [ "$stop" = kill ]; then
	kill "$qemu1"
	say "node 1's qemu killed"
else
	type_on 1 '\n' || fail "cannot type on node 1's console"
	sleep 0.3
	type_on 1 'poweroff\n' || fail "cannot type on node 1's console"
	say "typed poweroff on node 1's console"
fi
# Three events, in whatever order they come: node 2's MASTER line, its VIP-ON-NODE2 line (its
# own look at eth0) and node 1's qemu exiting.
t_master="" t_vip="" t_gone=""
while [ -z "$t_master" ] || [ -z "$t_vip" ] || [ -z "$t_gone" ]; do
	if [ -z "$t_master" ] && has_line_after 2 "$mark" '[Ee]ntering MASTER [Ss][Tt][Aa][Tt][Ee]'; then
		t_master=$(since "$t_off")
		say "node 2: Entering MASTER STATE"
	fi
	if [ -z "$t_vip" ] && has_line_after 2 "$mark" '^VIP-ON-NODE2 '; then
		t_vip=$(since "$t_off")
		say "node 2: VIP-ON-NODE2 ($vip on its eth0)"
	fi
	if [ -z "$t_gone" ] && stopped "$qemu1"; then
		t_gone=$(since "$t_off")
		say "node 1's qemu exited"
	fi
	[ "$(now)" -lt "$deadline" ] || fail "timed out (IMAGE_TIMEOUT=$limit s) after node 1 went:" \
		"node 2 MASTER ${t_master:-never}, VIP-ON-NODE2 ${t_vip:-never}, node 1 exited ${t_gone:-never}"
	alive "$qemu2" || fail "node 2's qemu stopped"
	sleep 0.1
done
say "failover: node 2 MASTER after $t_master s, $vip on node 2 after $t_vip s; node 1's qemu exited after $t_gone s"
if [ "$stop" = poweroff ]; then
	lines 1 | grep -q 'Stopping keepalived' || fail "node 1's poweroff did not run S60keepalived stop"
fi
if ! is_state 2 MASTER || ! has_vip 2; then fail "node 2 lost MASTER or the VIP"; fi

type_on 2 '\npoweroff\n' || :
running=""
until_ok "node 2's qemu to exit after poweroff" stopped "$qemu2"
say "node 2 powered off"
echo "run-image: console lines:"
show
if [ "${IMAGE_VERBOSE:-0}" = 1 ]; then
	for n in 1 2; do
		echo "--- node $n's console"
		lines "$n"
	done
fi
say "ok: failover from node 1 to node 2 ($stop): VIP-ON-NODE2 $t_vip s after node 1 was told to go"
