#!/bin/sh
# vm-test.sh [SCENARIO.sh...]: boots the VM once per scenario (default: every
# board/qemu-x86_64/scenarios/*.sh) and reports each one's status and time. The console of each
# run is kept in target/vm/logs/NAME.log and printed when the scenario fails (VM_VERBOSE=1:
# always). Exits 1 if any scenario failed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
logs=${VM_DIR:-$here/../../target/vm}/logs
mkdir -p "$logs"
[ $# -gt 0 ] || set -- "$here"/scenarios/*.sh

failed=""
total_start=$(date +%s)
for s in "$@"; do
	name=$(basename "$s" .sh)
	log=$logs/$name.log
	start=$(date +%s%N)
	rc=0
	VM_LOG=$log "$here/run-scenario.sh" "$s" >"$log.out" 2>&1 || rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	# The VM's uptime when the scenario started: how long the kernel and /init took.
	boot=$(sed -n 's/^VM-START \([0-9.]*\).*/\1/p' "$log" 2>/dev/null | head -1)
	if [ "${VM_VERBOSE:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		cat "$log.out"
	fi
	rm -f "$log.out"
	if [ "$rc" -eq 0 ]; then
		printf 'vm-test: %-28s ok     %5s s (VM boot %s s)\n' "$name" "$secs" "${boot:-?}"
	else
		printf 'vm-test: %-28s FAILED %5s s (status %s, log %s)\n' "$name" "$secs" "$rc" "$log"
		failed="$failed $name"
	fi
done
echo "vm-test: $# scenario(s) in $(($(date +%s) - total_start)) s${failed:+, failed:$failed}"
[ -z "$failed" ]
