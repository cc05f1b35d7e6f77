#!/bin/sh
# buildroot/package/keepalived-rs/keepalived-rs.mk under a stub of buildroot's package
# infrastructure (the real one cannot be downloaded here): the cargo options for each
# feature set; the local source as buildroot rsyncs it (no target/); the vendoring hook
# (crates from the local cargo cache, then `cargo metadata --offline` on the copy); the
# install commands run for real for busybox init, systemd and OpenRC, and the installed
# binary answers as keepalived and as genhash through its links.
# Usage: buildroot_mk.sh KEEPALIVED_RS_BINARY
set -eu
BIN=$(readlink -f "$1")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/ka-brmk.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok:   $*"; }

cat >"$TMP/stub.mk" <<'MK'
# The parts of buildroot's package infrastructure keepalived-rs.mk uses.
BR2_EXTERNAL_KEEPALIVED_RS_PATH := $(REPO)/buildroot
BUILD_DIR := $(TMP)/build
RUSTC_TARGET_NAME := x86_64-buildroot-linux-musl
INSTALL := install
HOST_MAKE_ENV := PATH="$(PATH)"
PKG_COMMON_CARGO_ENV = CARGO_HOME=$(BR_CARGO_HOME)
UPPERCASE = $(shell echo '$(1)' | tr 'a-z-' 'A-Z_')
pkgdir = $(dir $(lastword $(MAKEFILE_LIST)))
pkgname = $(lastword $(subst /, ,$(pkgdir)))

cargo-package = $(call stub-cargo-package,$(pkgname),$(call UPPERCASE,$(pkgname)))
define stub-cargo-package
$(1)-rsync:
	mkdir -p $(BUILD_DIR)/$(1)
	rsync -au $$($(2)_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS) --exclude=.git $$($(2)_SITE)/ $(BUILD_DIR)/$(1)
$(1)-pre-build: $(BUILD_DIR)/$(1)/.stamp_pre_build
$(BUILD_DIR)/$(1)/.stamp_pre_build:
	$$(foreach hook,$$($(2)_PRE_BUILD_HOOKS),$$(call $$(hook))$$(sep))
$(1)-install-target: $(BUILD_DIR)/$(1)/.stamp_target_installed
$(BUILD_DIR)/$(1)/.stamp_target_installed:
	$$($(2)_INSTALL_TARGET_CMDS)
	$$(if $$(BR2_INIT_SYSTEMD),$$($(2)_INSTALL_INIT_SYSTEMD))
	$$(if $$(BR2_INIT_SYSV)$$(BR2_INIT_BUSYBOX),$$($(2)_INSTALL_INIT_SYSV))
	$$(if $$(BR2_INIT_OPENRC),$$(or $$($(2)_INSTALL_INIT_OPENRC),$$($(2)_INSTALL_INIT_SYSV)))
endef
define sep


endef

include $(BR2_EXTERNAL_KEEPALIVED_RS_PATH)/external.mk

print-%:
	@echo '$($*)'
MK
M="make --no-print-directory -f $TMP/stub.mk REPO=$REPO TMP=$TMP"
P=BR2_PACKAGE_KEEPALIVED_RS

# opts EXPECTED OPTION=y...: the cargo build options for a feature set.
opts() {
    want=$1
    shift
    got=$($M print-KEEPALIVED_RS_CARGO_BUILD_OPTS "$@")
    [ "$got" = "$want" ] || fail "with $*: cargo options '$got', expected '$want'"
    ok "with ${*:-no option}: $got"
}
opts '--no-default-features --features "lvs tls"' "${P}_LVS=y" "${P}_TLS=y"
opts '--no-default-features --features "lvs"' "${P}_LVS=y"
opts '--no-default-features --features ""'
[ "$($M print-KEEPALIVED_RS_SITE_METHOD)" = local ] || fail "site method"

# The source as buildroot copies it; target/ (the repository's build output) must stay out.
$M keepalived-rs-rsync >/dev/null
S="$TMP/build/keepalived-rs"
for f in Cargo.toml Cargo.lock src tests docs/COPYING rootfs board/openrc; do
    [ -e "$S/$f" ] || fail "rsync: $f missing"
done
[ ! -e "$S/target" ] || fail "rsync copied target/"
[ ! -e "$S/.git" ] || fail "rsync copied .git"
ok "local source copied without target/ and .git ($(du -sh "$S" | cut -f1))"

# Vendoring: from the machine's cargo cache (offline), as buildroot's would from its own.
CACHE="${CARGO_HOME:-$HOME/.cargo}"
if [ -d "$CACHE/registry" ]; then
    CARGO_NET_OFFLINE=true $M keepalived-rs-pre-build BR_CARGO_HOME="$CACHE" >"$TMP/vendor.log" 2>&1 ||
        { cat "$TMP/vendor.log"; fail "the vendoring hook failed"; }
    grep -q 'directory = "VENDOR"' "$S/.cargo/config.toml" || fail "no VENDOR source in .cargo/config.toml"
    (cd "$S" && CARGO_HOME="$TMP/empty-cargo-home" cargo metadata --offline --locked --format-version 1 >/dev/null) ||
        fail "cargo cannot resolve the vendored crates offline"
    ok "crates vendored: $(find "$S/VENDOR" -mindepth 1 -maxdepth 1 | wc -l) crates, cargo resolves them offline with an empty CARGO_HOME"
else
    echo "SKIP vendoring: no cargo registry cache in $CACHE"
fi

# Install, as each init system gets it.
mkdir -p "$S/target/x86_64-buildroot-linux-musl/release"
cp "$BIN" "$S/target/x86_64-buildroot-linux-musl/release/keepalived-rs"
for init in BUSYBOX SYSTEMD OPENRC; do
    T="$TMP/target-$init"
    rm -f "$S/.stamp_target_installed"
    $M keepalived-rs-install-target TARGET_DIR="$T" "BR2_INIT_$init=y" "${P}_KEEPALIVED_LINKS=y" >/dev/null
    [ -x "$T/usr/sbin/keepalived-rs" ] || fail "$init: no /usr/sbin/keepalived-rs"
    [ "$(readlink -f "$T/usr/sbin/keepalived")" = "$T/usr/sbin/keepalived-rs" ] || fail "$init: keepalived link"
    [ "$(readlink -f "$T/usr/bin/genhash")" = "$T/usr/sbin/keepalived-rs" ] || fail "$init: genhash link"
    cmp -s "$T/etc/keepalived/keepalived.conf" "$REPO/rootfs/etc/keepalived/keepalived.conf" || fail "$init: keepalived.conf"
    case $init in
        BUSYBOX) [ -x "$T/etc/init.d/S60keepalived" ] || fail "$init: init script"
            [ -f "$T/etc/default/keepalived" ] || fail "$init: defaults" ;;
        SYSTEMD) [ -f "$T/usr/lib/systemd/system/keepalived.service" ] || fail "$init: unit" ;;
        OPENRC) [ -x "$T/etc/init.d/keepalived" ] || fail "$init: OpenRC script"
            [ -f "$T/etc/conf.d/keepalived" ] || fail "$init: conf.d" ;;
    esac
    [ "$(find "$T" -type f -o -type l | wc -l)" -le 6 ] || fail "$init: unexpected files: $(find "$T" -type f)"
    ok "$init: $(cd "$T" && find . -type f -o -type l | sort | tr '\n' ' ')"
done
"$T/usr/sbin/keepalived" -v 2>&1 | grep -q '^Keepalived-rs v' || fail "keepalived -v through the link"
"$T/usr/bin/genhash" -h 2>&1 | grep -q 'genhash' || fail "genhash -h through the link"
ok "the links answer as keepalived (-v) and genhash (-h)"

T="$TMP/target-nolinks"
rm -f "$S/.stamp_target_installed"
$M keepalived-rs-install-target TARGET_DIR="$T" BR2_INIT_BUSYBOX=y >/dev/null
[ -x "$T/usr/sbin/keepalived-rs" ] || fail "no binary without ${P}_KEEPALIVED_LINKS"
if [ -e "$T/usr/sbin/keepalived" ] || [ -e "$T/usr/bin/genhash" ]; then
    fail "links installed without ${P}_KEEPALIVED_LINKS"
fi
ok "no links without ${P}_KEEPALIVED_LINKS"
