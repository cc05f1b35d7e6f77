# shellcheck shell=sh
# Host-side helpers shared by build.sh (the test VM's initramfs) and image.sh (the appliance
# image): Debian's kernel package, a module closure, busybox, programs with their libraries and
# the cpio. Sourced: . "$here/buildlib.sh" (callers run under set -eu and define nothing else).

die() {
	echo "${0##*/}: $*" >&2
	exit 1
}

# need_busybox: /bin/busybox is Debian's busybox-static.
need_busybox() {
	[ -x /bin/busybox ] || die "no /bin/busybox (apt-get install busybox-static)"
	busybox | head -1 | grep -q 'multi-call' || die "/bin/busybox is not busybox"
	if ldd /bin/busybox >/dev/null 2>&1; then die "/bin/busybox is dynamic (install busybox-static)"; fi
}

# kernel_fetch DLDIR: the versioned package linux-image-amd64 depends on, downloaded and
# unpacked (dpkg -x) into DLDIR/linux-image-VERSION once per version, with its modules.dep.
# Sets KVER (6.1.0-N-amd64) and KDIR (the unpacked package).
kernel_fetch() {
	kf_dl=$1
	mkdir -p "$kf_dl"
	kf_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$kf_pkg" ] || die "apt-cache depends linux-image-amd64 names no versioned package"
	KVER=${kf_pkg#linux-image-}
	KDIR=$kf_dl/$kf_pkg
	[ -f "$KDIR/.done" ] && return 0
	echo "${0##*/}: downloading $kf_pkg"
	rm -rf "$kf_dl"/linux-image-*
	kf_deb=$(kernel_download "$kf_dl" "$kf_pkg")
	case $kf_deb in
	*.deb) ;;
	*)
		# Stale package lists name a version the mirror no longer has.
		apt-get update -q >/dev/null
		kf_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		KVER=${kf_pkg#linux-image-}
		KDIR=$kf_dl/$kf_pkg
		kf_deb=$(kernel_download "$kf_dl" "$kf_pkg")
		;;
	esac
	case $kf_deb in *.deb) ;; *) die "apt-get download $kf_pkg failed" ;; esac
	mkdir -p "$KDIR"
	dpkg -x "$kf_deb" "$KDIR"
	rm -f "$kf_deb"
	# 400 MB unpacked: keep the networking, virtio, block, char, fs, crypto and lib modules.
	for kf_d in "$KDIR/lib/modules/$KVER/kernel/drivers"/*; do
		case ${kf_d##*/} in net | virtio | block | char) ;; *) rm -rf "$kf_d" ;; esac
	done
	rm -rf "$KDIR/lib/modules/$KVER/kernel/sound" "$KDIR/lib/modules/$KVER/kernel/drivers/net/wireless"
	# The package has no modules.dep (its postinst runs depmod); busybox's depmod writes one.
	busybox depmod -b "$KDIR" "$KVER"
	touch "$KDIR/.done"
}

# kernel_download DLDIR PKG: apt-get download PKG into DLDIR; prints the .deb's path.
kernel_download() {
	# apt-get warns that _apt cannot write here and downloads as root; that is fine.
	(cd "$1" && apt-get download "$2" 2>&1) | grep -v '^W: Download is performed unsandboxed' >&2 || :
	find "$1" -maxdepth 1 -name "${2}_*.deb" | head -1
}

# install_modules ROOT LISTFILE MODULE...: the closure of the modules over KDIR's modules.dep
# (decompressed if the package compresses them) into ROOT/lib/modules/KVER with a modules.dep
# of their own; LISTFILE gets the module files, ROOT/etc/modules the names (the load order).
install_modules() {
	im_root=$1
	im_list=$2
	shift 2
	im_mdir=$KDIR/lib/modules/$KVER
	: >"$im_list"
	for im_m in "$@"; do
		im_path=$(awk -F: -v m="$im_m" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n);
			gsub(/-/, "_", n); if (n == m) { print $0; exit } }' "$im_mdir/modules.dep")
		[ -n "$im_path" ] || die "module $im_m is not in $im_mdir/modules.dep"
		for im_f in $(echo "$im_path" | tr -d ':'); do
			echo "$im_f" >>"$im_list"
		done
	done
	im_to=$im_root/lib/modules/$KVER
	mkdir -p "$im_to" "$im_root/etc"
	sort -u "$im_list" | while read -r im_f; do
		mkdir -p "$im_to/$(dirname "$im_f")"
		case $im_f in
		*.ko.xz) xz -dc "$im_mdir/$im_f" >"$im_to/${im_f%.xz}" ;;
		*.ko.zst) zstd -qdc "$im_mdir/$im_f" >"$im_to/${im_f%.zst}" ;;
		*.ko.gz) gzip -dc "$im_mdir/$im_f" >"$im_to/${im_f%.gz}" ;;
		*) cp "$im_mdir/$im_f" "$im_to/$im_f" ;;
		esac
	done
	cp "$im_mdir/modules.builtin" "$im_mdir/modules.order" "$im_to/"
	busybox depmod -b "$im_root" "$KVER"
	printf '%s\n' "$@" >"$im_root/etc/modules"
}

# copy_with_libs PROGRAM: PROGRAM and the shared libraries ldd names (the loader included)
# into the current directory's tree.
copy_with_libs() {
	mkdir -p ".$(dirname "$1")"
	cp -L "$1" ".$1"
	ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r cw_lib; do
		[ -e ".$cw_lib" ] && continue
		mkdir -p ".$(dirname "$cw_lib")"
		cp -L "$cw_lib" ".$cw_lib"
	done
}

# install_busybox ROOT: /bin/busybox and a link per applet where ROOT has no program yet.
install_busybox() {
	mkdir -p "$1/bin"
	cp /bin/busybox "$1/bin/busybox"
	for ib_a in $(/bin/busybox --list-full); do
		[ -e "$1/$ib_a" ] || [ -L "$1/$ib_a" ] || ln -s /bin/busybox "$1/$ib_a"
	done
}

# install_accounts ROOT HOSTNAME: passwd and group (root, keepalived_script, nobody),
# nsswitch.conf, hosts, hostname.
install_accounts() {
	mkdir -p "$1/etc"
	cat >"$1/etc/passwd" <<-'EOF'
	root:x:0:0:root:/root:/bin/sh
	keepalived_script:x:100:100::/var/empty:/bin/false
	nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$1/etc/group" <<-'EOF'
	root:x:0:
	keepalived_script:x:100:
	nogroup:x:65534:
	EOF
	echo 'hosts: files' >"$1/etc/nsswitch.conf"
	echo '127.0.0.1 localhost' >"$1/etc/hosts"
	echo "$2" >"$1/etc/hostname"
}

# pack_cpio ROOT OUT: ROOT as a gzipped newc cpio owned by root, padded with zeros to a
# multiple of 512 bytes (the kernel skips them, and a cpio appended after it starts 4-byte
# aligned); written to OUT.tmp and renamed.
pack_cpio() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$2.tmp"
	truncate -s %512 "$2.tmp"
	mv "$2.tmp" "$2"
}
