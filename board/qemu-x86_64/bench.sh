#!/bin/sh
# bench.sh: the LVS benchmark (bench/lvs_bench.sh) in the VM, keepalived-rs beside Debian's
# keepalived 2.2.7 in the same boot: CPU and memory with 1,000 TCP_CHECK real servers, and the
# time from a listener closing to its real server leaving IPVS. Needs build.sh's VM and the
# static vm_sink example (make bench builds both). Prints the result lines; the whole console
# is kept in target/vm/logs/lvs_bench.log.
# Environment: SINK (default the musl release build of the vm_sink example), BENCH_SECS (60),
# BENCH_TRIALS (9).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
sink=${SINK:-$top/target/x86_64-unknown-linux-musl/release/examples/vm_sink}
logs=${VM_DIR:-$top/target/vm}/logs
[ -x "$sink" ] || { echo "bench.sh: no $sink (cargo build --release --target x86_64-unknown-linux-musl --example vm_sink)" >&2; exit 2; }
mkdir -p "$logs"

files=$(mktemp -d "${TMPDIR:-/tmp}/vm-bench.XXXXXX")
trap 'rm -rf "$files"' EXIT
trap 'exit 130' INT TERM
cp "$sink" "$files/vm_sink"
printf 'BENCH_SECS=%s\nBENCH_TRIALS=%s\n' "${BENCH_SECS:-60}" "${BENCH_TRIALS:-9}" >"$files/env"

log=$logs/lvs_bench.log
rc=0
VM_FILES=$files VM_MEM=${VM_MEM:-1G} VM_TIMEOUT=${VM_TIMEOUT:-900} VM_LOG=$log \
	"$here/run-scenario.sh" "$here/bench/lvs_bench.sh" >/dev/null 2>&1 || rc=$?
sed -n 's/^| //p' "$log"
if [ "$rc" -ne 0 ]; then
	grep -v '^Keepalived' "$log" | tail -30
	echo "bench.sh: the VM benchmark failed (status $rc, log $log)" >&2
	exit 1
fi
