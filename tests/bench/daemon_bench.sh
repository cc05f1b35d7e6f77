#!/bin/bash
# Benchmark: the daemon as a whole, keepalived-rs beside Debian's keepalived 2.2.7, measured
# in the same run with the same configurations, in two network namespaces joined by a veth
# pair (eth0 in each):
#   1. failover after SIGKILL of the master (Master_Down_Interval), v2 at advert_int 1 and
#      v3 at advert_int 0.1: from the kill until the backup holds the VIP;
#   2. handover after SIGTERM of the master (priority-0 advert, Skew_Time): until the backup
#      holds the VIP, and until the stopped process has exited;
#   3. owner start (priority 255): from exec until the VIP is present, and until its first
#      advert is on the wire (tcpdump's timestamp on the peer); goal for ours: <= 3 ms;
#   4. resident memory (VmRSS, and its RssAnon part) after 10 s as MASTER, 1 and 100
#      instances, and 20 instances x 50 VIPs; goal for ours: <= 0.8 MB;
#   5. CPU (utime + stime, and the finer on-CPU time of /proc/PID/schedstat) over 60 s of a
#      MASTER of 100 instances at advert_int 1 (v2) and of 20 at 0.1 s (v3), and of the
#      BACKUPs receiving their adverts;
#      goal: ours <= 1/3 of keepalived's.
# The VIP is seen with `ip -ts monitor address` in the namespace that gains it, the kill
# times with $EPOCHREALTIME: both wall-clock microseconds. A SIGKILL is issued within ~2 ms
# after an advert reached the backup (its eth0 rx counter, /proc/PID/net/dev), so the figure
# is the whole Master_Down_Interval. keepalived runs as two processes: the one started and
# its VRRP child (named in the -r pidfile); memory and CPU are their sums, and a SIGKILL goes
# to both (the parent stopped first, so it cannot respawn the child).
# With a static build (STATIC=PATH, default the x86_64 musl one of `make static`) its memory
# is measured too. Latencies are medians of TRIALS runs (default 5). Run as root; only 2
# CPU cores shared with other work: the figures are noisy.
# Usage: daemon_bench.sh [PATH/TO/keepalived-rs]
set -euo pipefail

OURS=$(readlink -f "${1:-target/release/keepalived-rs}")
# The static build (make static), when there is one: its memory is measured too.
STATIC=$(readlink -f "${STATIC:-target/x86_64-unknown-linux-musl/release/keepalived-rs}" || true)
KA=/usr/sbin/keepalived
TRIALS=${TRIALS:-5}
RSS_SECS=${RSS_SECS:-10}
CPU_SECS=${CPU_SECS:-60}
N=100
NS_A="ka-dbench-a-$$"
NS_B="ka-dbench-b-$$"
VIP=10.77.0.100
WORK=$(mktemp -d /tmp/ka-dbench.XXXXXX)

# Daemons by name (m, b, o ...): the pid started and the pid doing the VRRP work.
declare -A MAIN=() VRRP=()
MONITOR=""

# exited PID: true once the process is gone or a zombie.
exited() {
    local -a f
    [ -r "/proc/$1/stat" ] || return 0
    read -r -a f 2>/dev/null < "/proc/$1/stat" || return 0
    [ "${f[2]}" = Z ]
}

cleanup() {
    local n p
    for n in "${!MAIN[@]}"; do
        for p in "${MAIN[$n]}" "${VRRP[$n]}"; do
            if [ -n "$p" ] && ! exited "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
        done
    done
    if [ -n "$MONITOR" ]; then kill "$MONITOR" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$OURS" ] || { echo "no binary $OURS (cargo build --release)" >&2; exit 1; }
[ -x "$KA" ] || { echo "no $KA (apt-get install keepalived)" >&2; exit 1; }

ip netns add "$NS_A"
ip netns add "$NS_B"
ip -n "$NS_A" link add eth0 type veth peer name eth0 netns "$NS_B"
ip -n "$NS_A" addr add 10.77.0.1/24 dev eth0
ip -n "$NS_B" addr add 10.77.0.2/24 dev eth0
for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
done

# A sleep without a fork: a read that times out on a pipe this shell holds both ends of.
exec {SNOOZE_FD}<> <(:)
snooze() { read -r -t "${1:-0.002}" -u "$SNOOZE_FD" _ || true; }

# conf VERSION ADVERT_INT STATE PRIORITY COUNT: COUNT instances on eth0, VRIDs 1..COUNT;
# the VIP of instance 1 is $VIP, of instance i > 1 10.78.i.1 (with i up to 255).
conf() {
    printf 'global_defs {\n    router_id bench\n    vrrp_version %d\n    vrrp_garp_master_delay 0\n}\n' "$1"
    local i vip
    for ((i = 1; i <= $5; i++)); do
        vip=$VIP
        [ "$i" -gt 1 ] && vip="10.78.$i.1"
        printf 'vrrp_instance VI_%d {\n    state %s\n    interface eth0\n    virtual_router_id %d\n    priority %d\n    advert_int %s\n    virtual_ipaddress {\n        %s/32\n    }\n}\n' \
            "$i" "$3" "$i" "$4" "$2" "$vip"
    done
}
conf 2 1 MASTER 200 1 > "$WORK/v2-master.conf"
conf 2 1 BACKUP 100 1 > "$WORK/v2-backup.conf"
conf 3 0.1 MASTER 200 1 > "$WORK/v3-master.conf"
conf 3 0.1 BACKUP 100 1 > "$WORK/v3-backup.conf"
conf 2 1 MASTER 255 1 > "$WORK/owner.conf"
conf 2 1 MASTER 200 "$N" > "$WORK/n-master.conf"
conf 2 1 BACKUP 100 "$N" > "$WORK/n-backup.conf"
conf 3 0.1 MASTER 200 20 > "$WORK/fast-master.conf"
conf 3 0.1 BACKUP 100 20 > "$WORK/fast-backup.conf"
# 20 instances x 50 VIPs (10.79.<i>.<1..50>).
{
    printf 'global_defs {\n    router_id bench\n    vrrp_garp_master_delay 0\n}\n'
    for ((i = 1; i <= 20; i++)); do
        printf 'vrrp_instance VI_%d {\n    state MASTER\n    interface eth0\n    virtual_router_id %d\n    priority 200\n    advert_int 1\n    virtual_ipaddress {\n' "$i" "$i"
        for ((v = 1; v <= 50; v++)); do printf '        10.79.%d.%d/32\n' "$i" "$v"; done
        printf '    }\n}\n'
    done
} > "$WORK/vips-master.conf"

# start IMPL(ours|ka) NS CONF NAME: starts a daemon; T_START is when it was exec'd.
start() {
    local bin=$OURS name=$4
    [ "$1" = ka ] && bin=$KA
    [ "$1" = static ] && bin=$STATIC
    rm -f "$WORK/$name.pid" "$WORK/$name-vrrp.pid"
    T_START=$EPOCHREALTIME
    rm -f "$WORK/$name.exec"
    # The daemon's own exec time: taken by the shell that then execs it in place, inside the
    # namespace (launching `ip netns exec` and bash is not counted).
    # shellcheck disable=SC2016  # expanded by the inner bash
    ip netns exec "$2" bash -c 'echo "$EPOCHREALTIME" > "$0.exec"; exec "$@"' "$WORK/$name" \
        "$bin" -P -n -l -D -f "$3" \
        -p "$WORK/$name.pid" -r "$WORK/$name-vrrp.pid" </dev/null >>"$WORK/$name.log" 2>&1 &
    MAIN[$name]=$!
    VRRP[$name]=$!
    # Reaped by the shell without a "Killed" report; `exited` watches /proc instead.
    disown "$!"
    if [ "$1" = ka ]; then
        VRRP[$name]=""
        local k p=""
        for ((k = 0; k < 2500; k++)); do
            if [ -s "$WORK/$name-vrrp.pid" ]; then read -r p < "$WORK/$name-vrrp.pid" || true; fi
            [ -n "$p" ] && [ -d "/proc/$p" ] && break
            p=""
            snooze
        done
        [ -n "$p" ] || { echo "keepalived ($name): no VRRP child" >&2; cat "$WORK/$name.log" >&2; exit 1; }
        VRRP[$name]=$p
    fi
}

# stop NAME: SIGTERM, up to 5 s, then SIGKILL; a process already gone is not signalled.
stop() {
    local name=$1 k
    local main=${MAIN[$name]} vrrp=${VRRP[$name]}
    exited "$main" || kill -TERM "$main" 2>/dev/null || true
    for ((k = 0; k < 2500; k++)); do
        exited "$main" && break
        snooze
    done
    if ! exited "$main"; then
        echo "$name ($main) ignored SIGTERM for 5 s: SIGKILL" >&2
        kill -KILL "$main" 2>/dev/null || true
    fi
    if [ "$vrrp" != "$main" ] && ! exited "$vrrp"; then
        kill -KILL "$vrrp" 2>/dev/null || true
    fi
    for ((k = 0; k < 500; k++)); do
        exited "$main" && break
        snooze
    done
    unset "MAIN[$name]" "VRRP[$name]"
}

# signal NAME SIG: the master goes; T0 is when.
signal() {
    local main=${MAIN[$1]} vrrp=${VRRP[$1]}
    if [ "$2" = KILL ] && [ "$main" != "$vrrp" ]; then
        kill -STOP "$main"
        T0=$EPOCHREALTIME
        kill -KILL "$vrrp" "$main"
    else
        T0=$EPOCHREALTIME
        kill "-$2" "$main"
    fi
}

# has_vip NS ADDR
has_vip() { [[ "$(ip -n "$1" -o addr show dev eth0)" == *" inet $2/"* ]]; }

# wait_vip NS ADDR SECONDS
wait_vip() {
    local k
    for ((k = 0; k < $3 * 50; k++)); do
        has_vip "$1" "$2" && return 0
        snooze 0.02
    done
    echo "timeout: $2 not in $1" >&2
    return 1
}

monitor_start() { # NS
    ip -n "$1" -ts monitor address > "$WORK/monitor" 2>/dev/null &
    MONITOR=$!
    snooze 0.3
}

# monitor_vip_time: stops the monitor; T_VIP is when $VIP was added (epoch seconds).
monitor_vip_time() {
    kill "$MONITOR" 2>/dev/null || true
    wait "$MONITOR" 2>/dev/null || true
    MONITOR=""
    local ts
    ts=$(awk -v vip=" inet $VIP/" 'index($0, vip) && !/Deleted/ {
        sub(/^\[/, "", $1); sub(/\]$/, "", $1); print $1; exit }' "$WORK/monitor")
    [ -n "$ts" ] || { echo "the monitor saw no $VIP" >&2; exit 1; }
    T_VIP=$(date -d "$ts" +%s.%6N)
}

# rx_of PID: RX is the packets eth0 received in that process's namespace.
rx_of() {
    local line
    local -a f
    RX=""
    while IFS= read -r line; do
        line=${line/:/ }
        read -r -a f <<< "$line"
        if [ "${f[0]}" = eth0 ]; then
            RX=${f[2]}
            return
        fi
    done < "/proc/$1/net/dev"
}

sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }

# pair_trial IMPL VERSION SIG: master on A, backup on B, the master signalled; appends
# the seconds until the backup held the VIP to $WORK/IMPL-vVERSION-SIG (and, for TERM,
# until the master exited to ...-exit).
pair_trial() {
    local impl=$1 v=$2 sig=$3 k r0 out="$WORK/$1-v$2-$3"
    start "$impl" "$NS_A" "$WORK/v$v-master.conf" m
    wait_vip "$NS_A" "$VIP" 5
    start "$impl" "$NS_B" "$WORK/v$v-backup.conf" b
    sleep 1.5
    has_vip "$NS_B" "$VIP" && { echo "$impl: the backup took the VIP" >&2; exit 1; }
    monitor_start "$NS_B"
    # Just after an advert reached the backup.
    rx_of "${MAIN[b]}"
    r0=$RX
    for ((k = 0; k < 1000; k++)); do
        snooze
        rx_of "${MAIN[b]}"
        [ "$RX" != "$r0" ] && break
    done
    signal m "$sig"
    local t_exit=""
    if [ "$sig" = TERM ]; then
        for ((k = 0; k < 5000; k++)); do
            exited "${MAIN[m]}" && break
            snooze 0.001
        done
        t_exit=$EPOCHREALTIME
    fi
    wait_vip "$NS_B" "$VIP" 10
    monitor_vip_time
    sub "$T_VIP" "$T0" >> "$out"
    echo >> "$out"
    if [ -n "$t_exit" ]; then
        sub "$t_exit" "$T0" >> "$out-exit"
        echo >> "$out-exit"
    fi
    stop b
    stop m
    # A SIGKILLed master leaves its VIP behind.
    ip -n "$NS_A" addr del "$VIP/32" dev eth0 2>/dev/null || true
}

owner_trial() { # IMPL
    # What launching alone costs (ip netns exec of /bin/true), to read the rows below by.
    local t0=$EPOCHREALTIME
    ip netns exec "$NS_A" true
    sub "$EPOCHREALTIME" "$t0" >> "$WORK/$1-launch"
    echo >> "$WORK/$1-launch"
    monitor_start "$NS_A"
    # The first advert as the peer sees it: tcpdump's epoch timestamp of the first VRRP
    # packet on B's eth0.
    ip netns exec "$NS_B" timeout 10 tcpdump -tt -n -l -c 1 -i eth0 'ip proto 112' \
        >"$WORK/owner-advert" 2>/dev/null &
    local dump=$!
    sleep 0.5
    start "$1" "$NS_A" "$WORK/owner.conf" o
    wait_vip "$NS_A" "$VIP" 5
    monitor_vip_time
    sub "$T_VIP" "$T_START" >> "$WORK/$1-owner"
    echo >> "$WORK/$1-owner"
    wait "$dump" || true
    local t_exec t_adv
    read -r t_exec < "$WORK/o.exec" || t_exec=$T_START
    t_adv=$(awk 'NR == 1 { print $1 }' "$WORK/owner-advert")
    if [ -n "$t_adv" ]; then
        sub "$t_adv" "$t_exec" >> "$WORK/$1-owner-advert"
        echo >> "$WORK/$1-owner-advert"
    fi
    stop o
}

# kb PID FIELD: a field of /proc/PID/status, in kB.
kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# rss IMPL COUNT: VmRSS and RssAnon (kB) after RSS_SECS as MASTER of COUNT instances,
# alone; for keepalived parent + VRRP child.
rss() {
    local conf=$WORK/v2-master.conf p rss=0 anon=0 split=""
    [ "$2" = vips ] && conf=$WORK/vips-master.conf
    [ "$2" != vips ] && [ "$2" -gt 1 ] && conf=$WORK/n-master.conf
    start "$1" "$NS_A" "$conf" r
    sleep "$RSS_SECS"
    for p in ${MAIN[r]} ${VRRP[r]}; do
        rss=$((rss + $(kb "$p" VmRSS)))
        anon=$((anon + $(kb "$p" RssAnon)))
        split="$split $(kb "$p" VmRSS)"
        [ "${MAIN[r]}" = "${VRRP[r]}" ] && break
    done
    echo "$rss $anon$split" > "$WORK/$1-rss$2"
    stop r
}

# cpu_of NAME: CPU seconds (utime + stime) and on-CPU ns (schedstat) of a daemon's processes.
cpu_of() {
    local p ticks=0 ns=0
    local -a f s
    for p in ${MAIN[$1]} ${VRRP[$1]}; do
        read -r -a f < "/proc/$p/stat"
        ticks=$((ticks + f[13] + f[14]))
        read -r -a s < "/proc/$p/schedstat"
        ns=$((ns + s[0]))
        [ "${MAIN[$1]}" = "${VRRP[$1]}" ] && break
    done
    echo "$ticks $ns"
}

cpu() { # IMPL [fast]: MASTER of $N at 1 s (v2), or of 20 at 0.1 s (v3)
    local m0 b0 m1 b1 kind=${2:-} last=$N
    [ -n "$kind" ] && last=20
    start "$1" "$NS_A" "$WORK/${kind:-n}-master.conf" m
    wait_vip "$NS_A" "10.78.$last.1" 10
    start "$1" "$NS_B" "$WORK/${kind:-n}-backup.conf" b
    sleep 3
    m0=$(cpu_of m)
    b0=$(cpu_of b)
    sleep "$CPU_SECS"
    m1=$(cpu_of m)
    b1=$(cpu_of b)
    local hz
    hz=$(getconf CLK_TCK)
    # seconds by ticks, milliseconds by schedstat
    awk -v a="$m0 $m1" -v hz="$hz" 'BEGIN { split(a, x, " "); printf "%.2f %.1f\n", (x[3] - x[1]) / hz, (x[4] - x[2]) / 1e6 }' > "$WORK/$1-cpu$kind-master"
    awk -v a="$b0 $b1" -v hz="$hz" 'BEGIN { split(a, x, " "); printf "%.2f %.1f\n", (x[3] - x[1]) / hz, (x[4] - x[2]) / 1e6 }' > "$WORK/$1-cpu$kind-backup"
    has_vip "$NS_B" "10.78.$last.1" && echo "$1: the backup of $N instances took a VIP (noisy host?)" >&2
    stop b
    stop m
}

echo "daemon benchmark: keepalived-rs beside keepalived $("$KA" --version 2>&1 | awk 'NR == 1 { print $2 }'), $TRIALS trials each (medians)"
for impl in ours ka; do
    for ((t = 0; t < TRIALS; t++)); do
        pair_trial "$impl" 2 KILL
        pair_trial "$impl" 3 KILL
        pair_trial "$impl" 2 TERM
        owner_trial "$impl"
    done
    rss "$impl" 1
    rss "$impl" "$N"
    rss "$impl" vips
    cpu "$impl"
    cpu "$impl" fast
done
if [ -x "$STATIC" ]; then
    rss static 1
    rss static "$N"
    rss static vips
fi

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f s (%.3f-%.3f)", m, v[1], v[NR] }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f MB", k / 1024 }'; }
row() { printf '  %-42s %-24s %-30s %s\n' "$@"; }

row "" keepalived-rs "keepalived" "expected / goal"
for v in 2 3; do
    adv=1
    [ "$v" = 3 ] && adv=0.1
    row "SIGKILL failover, v$v advert_int $adv" "$(median "$WORK/ours-v$v-KILL")" "$(median "$WORK/ka-v$v-KILL")" \
        "$(awk -v a=$adv 'BEGIN { printf "%.3f s Master_Down_Interval", 3 * a + (256 - 100) * a / 256 }')"
done
row "SIGTERM handover: backup holds the VIP" "$(median "$WORK/ours-v2-TERM")" "$(median "$WORK/ka-v2-TERM")" \
    "$(awk 'BEGIN { printf "%.3f s Skew_Time", (256 - 100) / 256 }')"
row "SIGTERM: the stopped process has exited" "$(median "$WORK/ours-v2-TERM-exit")" "$(median "$WORK/ka-v2-TERM-exit")" ""
row "owner start (priority 255): exec to VIP" "$(median "$WORK/ours-owner")" "$(median "$WORK/ka-owner")" ""
row "owner start: exec to first advert" "$(median "$WORK/ours-owner-advert")" "$(median "$WORK/ka-owner-advert")" \
    "ours <= 0.003 s: $(sort -g "$WORK/ours-owner-advert" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print (m <= 0.003) ? "met" : "missed" }')"
row "  launching (ip netns exec true)" "$(median "$WORK/ours-launch")" "$(median "$WORK/ka-launch")" ""
for n in 1 "$N" vips; do
    read -r o_rss o_anon _ < "$WORK/ours-rss$n"
    read -r k_rss k_anon k_main k_vrrp < "$WORK/ka-rss$n"
    label="$n inst."
    [ "$n" = vips ] && label="20 inst. x 50 VIPs"
    row "VmRSS as MASTER after ${RSS_SECS} s, $label" "$(mb "$o_rss")" "$(mb "$k_rss") ($(mb "$k_main")+$(mb "$k_vrrp"))" \
        "ours <= 0.80 MB: $([ "$o_rss" -le 819 ] && echo met || echo missed)"
    row "  of which RssAnon (heap, stack, data)" "$(mb "$o_anon")" "$(mb "$k_anon")" ""
    if [ -f "$WORK/static-rss$n" ]; then
        read -r s_rss s_anon _ < "$WORK/static-rss$n"
        row "  static musl build: VmRSS (RssAnon)" "$(mb "$s_rss") ($(mb "$s_anon"))" "" \
            "ours <= 0.80 MB: $([ "$s_rss" -le 819 ] && echo met || echo missed)"
    fi
done
for case in :master :backup fast:master fast:backup; do
    kind=${case%%:*} role=${case#*:}
    read -r ot ons < "$WORK/ours-cpu$kind-$role"
    read -r kt kns < "$WORK/ka-cpu$kind-$role"
    if [ -z "$kind" ]; then
        label="CPU in ${CPU_SECS} s, MASTER of $N (v2, 1 s)"
        [ "$role" = backup ] && label="CPU in ${CPU_SECS} s, BACKUP of $N (v2, 1 s)"
    else
        label="CPU in ${CPU_SECS} s, MASTER of 20 (v3, 0.1 s)"
        [ "$role" = backup ] && label="CPU in ${CPU_SECS} s, BACKUP of 20 (v3, 0.1 s)"
    fi
    row "$label" "$ot s ($ons ms run)" "$kt s ($kns ms run)" \
        "$(awk -v o="$ons" -v k="$kns" -v ot="$ot" -v kt="$kt" 'BEGIN {
            if (k > 0) printf "ratio %.2f (goal <= 0.33: %s)", o / k, (o / k <= 1 / 3) ? "met" : "missed";
            if (ot == 0) printf ", ours < 1 tick"; else if (kt > 0) printf ", by ticks %.2f", ot / kt }')"
done
echo "  (latency ranges are min-max; keepalived's VmRSS is parent+VRRP child; CPU is"
echo "   utime+stime from /proc/PID/stat, 'run' on-CPU time from /proc/PID/schedstat)"
