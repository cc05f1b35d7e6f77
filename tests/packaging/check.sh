#!/bin/sh
# `make package-test`: the packaging checks that run without buildroot or OpenWrt.
# Usage: check.sh KEEPALIVED_RS_BINARY [PYTHON_WITH_KCONFIGLIB]
set -eu
BIN=$(readlink -f "$1")
PY=${2:-python3}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d /tmp/ka-pkgcheck.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "metadata: Cargo.toml against the buildroot and OpenWrt packages"
python3 "$HERE/metadata.py"

step "Kconfig: buildroot/Config.in"
"$PY" "$HERE/kconfig_check.py"

step "buildroot: package/keepalived-rs/keepalived-rs.mk"
"$HERE/buildroot_mk.sh" "$BIN"

step "OpenWrt: net/keepalived-rs/Makefile"
"$HERE/openwrt_mk.sh" "$BIN"

step "shellcheck: init scripts and these tests"
shellcheck -x "$REPO/rootfs/etc/init.d/S60keepalived" "$HERE"/*.sh
# Non-POSIX shebangs (rc.common, openrc-run) and sourced files: checked as sh.
shellcheck -s sh "$REPO/board/openwrt/net/keepalived-rs/files/keepalived.init" \
    "$REPO/board/openrc/keepalived.initd" "$REPO/board/openrc/keepalived.confd" \
    "$REPO/rootfs/etc/default/keepalived"
echo "ok:   shellcheck clean"

step "the example configuration: keepalived-rs -t"
"$REPO/tests/demo/check_example.sh" "$BIN" "$REPO/rootfs/etc/keepalived/keepalived.conf"

step "systemd: keepalived.service"
UNIT="$REPO/rootfs/usr/lib/systemd/system/keepalived.service"
# shellcheck disable=SC2016  # regular expressions, not expansions
for want in '^Type=notify$' '^ExecStart=/usr/sbin/keepalived-rs --dont-fork ' \
    '^ExecReload=/bin/kill -HUP \$MAINPID$' '^KillMode=process$' '^After=network-online.target$'; do
    grep -q "$want" "$UNIT" || fail "keepalived.service lacks $want"
done
echo "ok:   Type=notify, --dont-fork, reload by SIGHUP, KillMode=process, after network-online"
if command -v systemd-analyze >/dev/null && [ -d /usr/lib/systemd/system ]; then
    # verify checks the executables exist: a root with the system's units, the binary and kill.
    R="$TMP/root"
    mkdir -p "$R/usr/lib/systemd" "$R/usr/sbin" "$R/bin" "$R/etc/keepalived"
    cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/"
    cp "$BIN" "$R/usr/sbin/keepalived-rs"
    cp "$(command -v kill)" "$R/bin/kill" 2>/dev/null || cp /bin/kill "$R/bin/kill"
    cp "$REPO/rootfs/etc/keepalived/keepalived.conf" "$R/etc/keepalived/"
    cp "$UNIT" "$R/usr/lib/systemd/system/"
    # It warns (and exits 0) on a bad line: any output is a failure.
    out=$(systemd-analyze verify --root="$R" keepalived.service 2>&1) || fail "systemd-analyze verify: $out"
    [ -z "$out" ] || fail "systemd-analyze verify: $out"
    echo "ok:   systemd-analyze verify is silent"
else
    echo "SKIP systemd-analyze verify: systemd is not installed"
fi

step "systemd: the unit's commands under an emulated Type=notify, in a network namespace"
python3 "$HERE/systemd_unit.py" "$BIN"

step "S60keepalived: start, reload, restart, stop in a network namespace"
"$HERE/sysvinit.sh" "$BIN"

step "procd and OpenRC scripts: sourced with stand-ins, the daemon run as each would run it"
"$HERE/procd_openrc.sh" "$BIN"

printf '\npackage-test: all checks passed\n'
