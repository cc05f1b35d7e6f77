#!/bin/sh
# run-scenario.sh SCENARIO: boots the VM (target/vm/vmlinuz + initramfs.cpio.gz, see build.sh)
# with SCENARIO as /scenario.sh, prints the serial console and exits with the scenario's status
# (the "VM-EXIT <status>" line /init prints); 124 if the VM ran out of time, 125 if it stopped
# without saying.
# Environment: VM_DIR (default target/vm), VM_TIMEOUT (seconds, default 150), VM_MEM (512M),
# VM_APPEND (extra kernel arguments, e.g. loglevel=7), VM_LOG (a file for the console output),
# VM_FILES (a directory the VM sees as /files, e.g. configurations; the scenario is /scenario.sh).
set -eu

[ $# -eq 1 ] || { echo "usage: $0 SCENARIO.sh" >&2; exit 2; }
scenario=$1
[ -f "$scenario" ] || { echo "$0: no such scenario: $scenario" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
vm=${VM_DIR:-$here/../../target/vm}
for f in vmlinuz initramfs.cpio.gz; do
	[ -f "$vm/$f" ] || { echo "$0: no $vm/$f (board/qemu-x86_64/build.sh)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm-scenario.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The scenario as a second cpio archive after the base one: the kernel unpacks both.
mkdir "$tmp/root"
cp "$scenario" "$tmp/root/scenario.sh"
if [ -n "${VM_FILES:-}" ]; then
	cp -R "$VM_FILES" "$tmp/root/files"
fi
(cd "$tmp/root" && find . | cpio -o -H newc --quiet -R 0:0) >"$tmp/scenario.cpio"
cat "$vm/initramfs.cpio.gz" "$tmp/scenario.cpio" >"$tmp/initrd"

log=${VM_LOG:-$tmp/console.log}
# qemu's status (124 from timeout) is written to a file: a pipeline's status is tee's.
{
	rc=0
	timeout -k 5 "${VM_TIMEOUT:-150}" qemu-system-x86_64 -accel tcg -m "${VM_MEM:-512M}" \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-nic none \
		-kernel "$vm/vmlinuz" -initrd "$tmp/initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3 ${VM_APPEND:-}" </dev/null 2>&1 || rc=$?
	echo "$rc" >"$tmp/rc"
} | tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' | tee "$log"
rc=$(cat "$tmp/rc")
status=$(sed -n 's/^VM-EXIT \([0-9]*\).*/\1/p' "$log" | tail -1)
if [ -n "$status" ]; then
	exit "$status"
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-scenario.sh: no VM-EXIT line within ${VM_TIMEOUT:-150} s" >&2
	exit 124
fi
echo "run-scenario.sh: the VM stopped without a VM-EXIT line (qemu's status $rc)" >&2
exit 125
