#!/bin/sh
# Builds the bootable keepalived-rs image into OUT (default target/image), a kernel and
# initramfs pair (the whole system runs from the initramfs; nothing is mounted from a disk):
#   OUT/vmlinuz         Debian 12's kernel (the package linux-image-amd64 depends on, cached
#                       in target/vm/dl like build.sh's)
#   OUT/rootfs.cpio.gz  busybox-static (a link per applet, /init = busybox init), the modules
#                       below with their dependencies, board/qemu-x86_64/image/ (inittab, rcS,
#                       rcK, S10network, S20syslogd, S90vipwatch, node.conf.in, udhcpc's
#                       script), then the rootfs/ overlay (keepalived.conf,
#                       /etc/init.d/S60keepalived, ...) and our static binary as
#                       /usr/sbin/keepalived-rs.
# Boot it with: -kernel OUT/vmlinuz -initrd OUT/rootfs.cpio.gz -append "console=ttyS0 ka.node=1"
# (run-image.sh boots two and fails over).
#
# Environment: KEEPALIVED_RS (our static binary; default the musl release build), ROOTFS (the
# overlay, default rootfs/), OUT, VM_DIR (the kernel cache's parent, default target/vm).
# Needs: busybox-static cpio (make image installs them).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${OUT:-$top/target/image}
ours=${KEEPALIVED_RS:-$top/target/x86_64-unknown-linux-musl/release/keepalived-rs}
overlay=${ROOTFS:-$top/rootfs}

# The NIC the VMs get (virtio-net-pci) and macvlan for use_vmac; af_packet, IPv4/IPv6 and the
# rest VRRP needs are built into Debian's kernel. Dependencies come from modules.dep.
modules="virtio_pci virtio_net macvlan"

# shellcheck source=SCRIPTDIR/buildlib.sh
. "$here/buildlib.sh"
[ -x "$ours" ] || die "no static keepalived-rs at $ours (make static)"
[ -f "$overlay/etc/keepalived/keepalived.conf" ] ||
	die "no $overlay/etc/keepalived/keepalived.conf: the rootfs overlay is incomplete"
[ -f "$overlay/etc/init.d/S60keepalived" ] ||
	die "no $overlay/etc/init.d/S60keepalived: the image starts keepalived-rs through the rootfs overlay's init script, which is missing (it comes with the packaging work)"
[ -x "$overlay/etc/init.d/S60keepalived" ] || die "$overlay/etc/init.d/S60keepalived is not executable"
need_busybox

kernel_fetch "${VM_DIR:-$top/target/vm}/dl"
mkdir -p "$out"
root=$out/root
rm -rf "$root"
mkdir -p "$root"
(cd "$root" && mkdir -p bin sbin usr/bin usr/sbin etc/init.d proc sys dev run tmp root var/empty &&
	ln -s ../run var/run)

# shellcheck disable=SC2086  # a list of words
install_modules "$root" "$out/modules.list" $modules
install_busybox "$root"
ln -s bin/busybox "$root/init"
install_accounts "$root" keepalived
cp -R "$here/image/." "$root/"
cp -R "$overlay/." "$root/"
cp "$ours" "$root/usr/sbin/keepalived-rs"
chmod 755 "$root/usr/sbin/keepalived-rs" "$root"/etc/init.d/*

pack_cpio "$root" "$out/rootfs.cpio.gz"
cp "$KDIR/boot/vmlinuz-$KVER" "$out/vmlinuz"
rm -rf "$root"
echo "image.sh: $out/vmlinuz ($KVER, $(du -k "$out/vmlinuz" | cut -f1) KB)," \
	"$out/rootfs.cpio.gz ($(du -k "$out/rootfs.cpio.gz" | cut -f1) KB; modules: $(sort -u "$out/modules.list" | sed 's|.*/||; s|\.ko.*||' | tr '\n' ' ' | sed 's/ $//'))"
