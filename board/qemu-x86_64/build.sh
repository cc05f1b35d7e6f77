#!/bin/sh
# Builds the VM's kernel and base initramfs into OUT (default target/vm):
#   OUT/vmlinuz            Debian 12's kernel (the package linux-image-amd64 depends on)
#   OUT/initramfs.cpio.gz  busybox-static, ipvsadm, iproute2's ip, nft, Debian's keepalived,
#                          our static binary, the modules below and board/qemu-x86_64/init
# run-scenario.sh appends one scenario (a small cpio) to the initramfs for each boot.
#
# Environment: KEEPALIVED_RS (our static binary; default the musl release build), OUT.
# Needs (make vm-test installs them): dash busybox-static ipvsadm iproute2 keepalived nftables cpio.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${OUT:-$top/target/vm}
ours=${KEEPALIVED_RS:-$top/target/x86_64-unknown-linux-musl/release/keepalived-rs}

# Modules the VM loads at boot (their dependencies come from modules.dep).
modules="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh
ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh crc32c_generic veth bridge macvlan
nf_tables virtio_pci virtio_net"
# Programs copied with their shared libraries (absent ones are skipped with a note).
# /bin/sh is dash: busybox's ash runs its own applets before PATH (its ip, not iproute2's).
programs="/bin/dash /usr/sbin/ipvsadm /usr/sbin/ip /usr/sbin/nft /usr/sbin/keepalived"

# shellcheck source=SCRIPTDIR/buildlib.sh
. "$here/buildlib.sh"
[ -x "$ours" ] || die "no static keepalived-rs at $ours (make static)"
need_busybox

# 1. The kernel package, downloaded and unpacked once per version (KVER, KDIR).
kernel_fetch "$out/dl"
kver=$KVER
cp "$KDIR/boot/vmlinuz-$kver" "$out/vmlinuz"

# 2. The initramfs tree.
root=$out/rootfs
rm -rf "$root"
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc proc sys dev run tmp root var/empty www vm \
	"lib/modules/$kver"
ln -s ../run var/run

# Modules: the closure of $modules over modules.dep; /etc/modules lists what init loads.
# shellcheck disable=SC2086  # a list of words
install_modules "$root" "$out/modules.list" $modules

# Programs and the shared libraries ldd names (the dynamic loader included).
for p in $programs; do
	if [ -x "$p" ]; then copy_with_libs "$p"; else echo "build.sh: $p missing, not in the VM"; fi
done
cp "$ours" usr/sbin/keepalived-rs
[ -x bin/dash ] || die "no /bin/dash"
ln -s dash bin/sh

# busybox for everything else: a link per applet where no real program is.
install_busybox "$root"
install_accounts "$root" vm
echo '<html>vm real server</html>' >www/index.html
cp "$here/init" init
cp "$here/lib.sh" vm/lib.sh
chmod 755 init

pack_cpio "$root" "$out/initramfs.cpio.gz"
cd "$out"
rm -rf "$root"
echo "build.sh: $out/vmlinuz ($kver), $out/initramfs.cpio.gz ($(du -k initramfs.cpio.gz | cut -f1) KB)"
