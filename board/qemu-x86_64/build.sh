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

die() { echo "build.sh: $*" >&2; exit 1; }
[ -x "$ours" ] || die "no static keepalived-rs at $ours (make static)"
[ -x /bin/busybox ] || die "no /bin/busybox (apt-get install busybox-static)"
busybox | head -1 | grep -q 'multi-call' || die "/bin/busybox is not busybox"
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is dynamic (install busybox-static)"

mkdir -p "$out/dl"

# 1. The kernel package, downloaded and unpacked once per version.
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$pkg" ] || die "apt-cache depends linux-image-amd64 names no versioned package"
kver=${pkg#linux-image-}
kdir=$out/dl/$pkg
if [ ! -f "$kdir/.done" ]; then
	echo "build.sh: downloading $pkg"
	rm -rf "$out"/dl/linux-image-*
	# apt-get warns that _apt cannot write here and downloads as root; that is fine.
	download() {
		(cd "$out/dl" && apt-get download "$pkg" 2>&1) | grep -v '^W: Download is performed unsandboxed' >&2 || :
		find "$out/dl" -maxdepth 1 -name "${pkg}_*.deb" | head -1
	}
	deb=$(download)
	case $deb in
	*.deb) ;;
	*)
		# Stale package lists name a version the mirror no longer has.
		apt-get update -q >/dev/null
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		kver=${pkg#linux-image-}
		kdir=$out/dl/$pkg
		deb=$(download)
		;;
	esac
	case $deb in *.deb) ;; *) die "apt-get download $pkg failed" ;; esac
	mkdir -p "$kdir"
	dpkg -x "$deb" "$kdir"
	rm -f "$deb"
	# 400 MB unpacked: keep the networking, virtio, block, char, fs, crypto and lib modules.
	for d in "$kdir/lib/modules/$kver/kernel/drivers"/*; do
		case ${d##*/} in net | virtio | block | char) ;; *) rm -rf "$d" ;; esac
	done
	rm -rf "$kdir/lib/modules/$kver/kernel/sound" "$kdir/lib/modules/$kver/kernel/drivers/net/wireless"
	# The package has no modules.dep (its postinst runs depmod); busybox's depmod writes one.
	busybox depmod -b "$kdir" "$kver"
	touch "$kdir/.done"
fi
cp "$kdir/boot/vmlinuz-$kver" "$out/vmlinuz"

# 2. The initramfs tree.
root=$out/rootfs
rm -rf "$root"
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin lib lib64 etc proc sys dev run tmp root var/empty www vm \
	"lib/modules/$kver"
ln -s ../run var/run

# Modules: the closure of $modules over modules.dep, decompressed if the package compresses them.
mdir=$kdir/lib/modules/$kver
deps=$mdir/modules.dep
: >"$out/modules.list"
for m in $modules; do
	path=$(awk -F: -v m="$m" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n);
		gsub(/-/, "_", n); if (n == m) { print $0; exit } }' "$deps")
	[ -n "$path" ] || die "module $m is not in $deps"
	for f in $(echo "$path" | tr -d ':'); do
		echo "$f" >>"$out/modules.list"
	done
done
sort -u "$out/modules.list" | while read -r f; do
	mkdir -p "lib/modules/$kver/$(dirname "$f")"
	case $f in
	*.ko.xz) xz -dc "$mdir/$f" >"lib/modules/$kver/${f%.xz}" ;;
	*.ko.zst) zstd -qdc "$mdir/$f" >"lib/modules/$kver/${f%.zst}" ;;
	*.ko.gz) gzip -dc "$mdir/$f" >"lib/modules/$kver/${f%.gz}" ;;
	*) cp "$mdir/$f" "lib/modules/$kver/$f" ;;
	esac
done
cp "$mdir/modules.builtin" "$mdir/modules.order" "lib/modules/$kver/"
busybox depmod -b "$root" "$kver"
echo "$modules" | tr ' ' '\n' | grep . >etc/vm-modules

# Programs and the shared libraries ldd names (the dynamic loader included).
copy_with_libs() {
	mkdir -p ".$(dirname "$1")"
	cp -L "$1" ".$1"
	ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
		[ -e ".$lib" ] && continue
		mkdir -p ".$(dirname "$lib")"
		cp -L "$lib" ".$lib"
	done
}
for p in $programs; do
	if [ -x "$p" ]; then copy_with_libs "$p"; else echo "build.sh: $p missing, not in the VM"; fi
done
cp "$ours" usr/sbin/keepalived-rs
[ -x bin/dash ] || die "no /bin/dash"
ln -s dash bin/sh

# busybox for everything else: a link per applet where no real program is.
cp /bin/busybox bin/busybox
for a in $(/bin/busybox --list-full); do
	[ -e "$a" ] || [ -L "$a" ] || ln -s /bin/busybox "$a"
done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
keepalived_script:x:100:100::/var/empty:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
keepalived_script:x:100:
nogroup:x:65534:
EOF
echo 'hosts: files' >etc/nsswitch.conf
echo '127.0.0.1 localhost' >etc/hosts
echo vm >etc/hostname
echo '<html>vm real server</html>' >www/index.html
cp "$here/init" init
cp "$here/lib.sh" vm/lib.sh
chmod 755 init

find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -6 >"$out/initramfs.cpio.gz.tmp"
# Zeros up to a multiple of 512 bytes: the kernel skips them, and the cpio run-scenario.sh
# appends must start 4-byte aligned.
truncate -s %512 "$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cd "$out"
rm -rf "$root"
echo "build.sh: $out/vmlinuz ($kver), $out/initramfs.cpio.gz ($(du -k initramfs.cpio.gz | cut -f1) KB)"
