#!/bin/sh
# board/openwrt/net/keepalived-rs/Makefile under a stub of OpenWrt's build system (the SDK
# cannot be downloaded here), reached the way a src-link feed reaches it (through
# symlinks): the package definition and conffiles, Build/Prepare copying the repository
# it lives in, PKG_FILE_DEPENDS naming files that exist, and the install section run for
# real: binary in /usr/sbin, keepalived and genhash links, the procd script, the conffile.
# Usage: openwrt_mk.sh KEEPALIVED_RS_BINARY
set -eu
BIN=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/ka-owmk.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok:   $*"; }

TOP="$TMP/openwrt"
mkdir -p "$TOP/include" "$TOP/feeds/packages/lang/rust" "$TOP/package/feeds/keepalived_rs"
cat >"$TOP/rules.mk" <<'MK'
INCLUDE_DIR:=$(TOPDIR)/include
BUILD_DIR:=$(TOPDIR)/build_dir
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_CONF:=install -m0600
CP:=cp -fpR
LN:=ln -sf
MK
cat >"$TOP/include/package.mk" <<'MK'
PKG_BUILD_DIR ?= $(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)
PKG_INSTALL_DIR ?= $(PKG_BUILD_DIR)/ipkg-install
# BuildPackage: the package's fields, its Build/Prepare and its install section.
define BuildPackage
$$(eval $$(Package/$(1)))
info:
	@echo 'SECTION=$$(SECTION)'; echo 'CATEGORY=$$(CATEGORY)'; echo 'TITLE=$$(TITLE)'
	@echo 'URL=$$(URL)'; echo 'DEPENDS=$$(DEPENDS)'; echo 'CONFLICTS=$$(CONFLICTS)'
	@echo 'PKG_FILE_DEPENDS=$$(PKG_FILE_DEPENDS)'; echo 'TREE=$$(KEEPALIVED_RS_TREE)'
	@echo 'PKG_BUILD_DEPENDS=$$(PKG_BUILD_DEPENDS)'
conffiles:
	@echo '$$(Package/$(1)/conffiles)'
prepare:
	$$(Build/Prepare)
install:
	$$(call Package/$(1)/install,$$(IPKG_ROOT))
endef
MK
cat >"$TOP/feeds/packages/lang/rust/rust-package.mk" <<'MK'
RUST_ARCH_DEPENDS:=@(aarch64||x86_64)
# As the packages feed's: a default install section unless the package has one.
define RustBinPackage
  ifndef Package/$(1)/install
    define Package/$(1)/install
	$$(INSTALL_DIR) $$(1)/usr/bin/
	$$(INSTALL_BIN) $$(PKG_INSTALL_DIR)/bin/* $$(1)/usr/bin/
    endef
  endif
endef
MK
# src-link: feeds/<name> -> the feed directory, package/feeds/<name>/<pkg> -> into it.
ln -s "$REPO/board/openwrt" "$TOP/feeds/keepalived_rs"
ln -s ../../../feeds/keepalived_rs/net/keepalived-rs "$TOP/package/feeds/keepalived_rs/keepalived-rs"
M="make --no-print-directory -C $TOP/package/feeds/keepalived_rs/keepalived-rs TOPDIR=$TOP"

$M info >"$TMP/info"
field() { sed -n "s/^$1=//p" "$TMP/info"; }
[ "$(field SECTION)" = net ] || fail "SECTION: $(cat "$TMP/info")"
[ "$(field CATEGORY)" = Network ] || fail "CATEGORY: $(cat "$TMP/info")"
[ -n "$(field TITLE)" ] || fail "TITLE empty"
[ -n "$(field URL)" ] || fail "URL empty"
field DEPENDS | grep -qF '@(aarch64||x86_64)' || fail "DEPENDS lacks RUST_ARCH_DEPENDS: $(field DEPENDS)"
field CONFLICTS | grep -qw keepalived || fail "no CONFLICTS with keepalived"
field PKG_BUILD_DEPENDS | grep -qF rust/host || fail "PKG_BUILD_DEPENDS lacks rust/host"
[ "$(field TREE)" = "$REPO" ] || fail "the tree through the feed's symlinks is $(field TREE), not $REPO"
for f in $(field PKG_FILE_DEPENDS); do [ -e "$f" ] || fail "PKG_FILE_DEPENDS: $f does not exist"; done
ok "package fields; the repository found through the src-link symlinks: $(field TREE)"
[ "$($M conffiles)" = /etc/keepalived/keepalived.conf ] || fail "conffiles: $($M conffiles)"
ok "conffiles: /etc/keepalived/keepalived.conf"

$M prepare >/dev/null
B="$TOP/build_dir/keepalived-rs-$(sed -n 's/^PKG_VERSION:=//p' "$REPO/board/openwrt/net/keepalived-rs/Makefile")"
for f in Cargo.toml Cargo.lock src/main.rs tests docs/COPYING; do
    [ -e "$B/$f" ] || fail "Build/Prepare: $f missing in $B"
done
cmp -s "$B/Cargo.lock" "$REPO/Cargo.lock" || fail "Build/Prepare: Cargo.lock differs"
[ ! -e "$B/target" ] || fail "Build/Prepare copied target/"
ok "Build/Prepare copied the crate ($(du -sh "$B" | cut -f1))"

mkdir -p "$B/ipkg-install/bin"
cp "$BIN" "$B/ipkg-install/bin/keepalived-rs"
R="$TMP/ipkg"
$M install IPKG_ROOT="$R" >/dev/null
[ -x "$R/usr/sbin/keepalived-rs" ] || fail "no /usr/sbin/keepalived-rs"
[ ! -e "$R/usr/bin/keepalived-rs" ] || fail "RustBinPackage's default install (/usr/bin) was used"
[ "$(readlink -f "$R/usr/sbin/keepalived")" = "$R/usr/sbin/keepalived-rs" ] || fail "keepalived link"
[ "$(readlink -f "$R/usr/bin/genhash")" = "$R/usr/sbin/keepalived-rs" ] || fail "genhash link"
[ -x "$R/etc/init.d/keepalived" ] || fail "no executable /etc/init.d/keepalived"
cmp -s "$R/etc/init.d/keepalived" "$REPO/board/openwrt/net/keepalived-rs/files/keepalived.init" || fail "init script"
cmp -s "$R/etc/keepalived/keepalived.conf" "$REPO/rootfs/etc/keepalived/keepalived.conf" || fail "keepalived.conf"
"$R/usr/bin/genhash" -h 2>&1 | grep -q genhash || fail "genhash -h through the link"
ok "install: $(cd "$R" && find . -type f -o -type l | sort | tr '\n' ' ')"
