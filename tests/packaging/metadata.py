#!/usr/bin/env python3
"""Name, version, license, binary and features in the buildroot and OpenWrt packages agree
with Cargo.toml. Usage: metadata.py [CARGO_TOML] (default: the repository's)."""
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
cargo = tomllib.loads(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "Cargo.toml").read_text())
pkg = cargo["package"]
name, version, license_ = pkg["name"], pkg["version"], pkg["license"]
errors = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        errors.append(what)


def make_vars(text):
    """VAR = value / VAR := value lines (continuations joined)."""
    text = re.sub(r"\\\n\s*", " ", text)
    return {m[1]: m[2].strip() for m in re.finditer(r"^([A-Z0-9_]+)\s*[:?]?=\s*(.*)$", text, re.M)}


check(any(b["name"] == name for b in cargo.get("bin", [])), f"Cargo.toml builds a binary named {name}")
features = cargo.get("features", {})
for f in ("lvs", "tls"):
    check(f in features, f"Cargo.toml has feature {f}")


def closure(feats):
    """The features a list turns on, transitively (dep: and crate/feature entries are not ours)."""
    seen, todo = set(), list(feats)
    while todo:
        f = todo.pop()
        if f in features and f not in seen:
            seen.add(f)
            todo += features[f]
    return seen


check(closure(["default"]) >= {"lvs", "tls"}, "default features turn on lvs and tls")
check("lvs" in closure(["tls"]), "feature tls implies lvs")

# buildroot: package/<name>/<name>.mk, BR2_PACKAGE_<NAME>, SPDX short forms buildroot uses.
upper = name.upper().replace("-", "_")
br = ROOT / "buildroot" / "package" / name
mk = make_vars((br / f"{name}.mk").read_text())
check(mk.get(f"{upper}_VERSION") == version, f"buildroot {upper}_VERSION = {version}")
br_license = re.sub(r"-or-later$", "+", re.sub(r"-only$", "", license_))
check(mk.get(f"{upper}_LICENSE") == br_license, f"buildroot {upper}_LICENSE = {br_license}")
for lf in mk.get(f"{upper}_LICENSE_FILES", "").split() or ["(none)"]:
    check((ROOT / lf).is_file(), f"buildroot license file {lf} exists")
check(mk.get(f"{upper}_SITE_METHOD") == "local" and mk.get(f"{upper}_SITE") == "$(BR2_EXTERNAL_KEEPALIVED_RS_PATH)/..",
      "buildroot source is the repository (local)")
conf = (br / "Config.in").read_text()
check(re.search(rf"^config BR2_PACKAGE_{upper}\n\tbool \"{name}\"", conf, re.M) is not None,
      f"buildroot Config.in: BR2_PACKAGE_{upper}, bool \"{name}\"")
for f in ("LVS", "TLS"):
    check(f"BR2_PACKAGE_{upper}_{f}),{f.lower()}" in mk.get(f"{upper}_FEATURES", "").replace(" ", ""),
          f"buildroot option {f} selects feature {f.lower()}")
desc = (ROOT / "buildroot" / "external.desc").read_text()
check(re.search(r"^name: KEEPALIVED_RS$", desc, re.M) is not None, "external.desc: name KEEPALIVED_RS")
for d in sorted((ROOT / "buildroot" / "configs").glob("*_defconfig")):
    text = d.read_text()
    check(f"BR2_PACKAGE_{upper}=y" in text, f"{d.name} enables the package")
    m = re.search(r'^BR2_ROOTFS_OVERLAY="\$\(BR2_EXTERNAL_KEEPALIVED_RS_PATH\)/(.*)"$', text, re.M)
    check(m is not None and (ROOT / "buildroot" / m[1]).resolve() == ROOT / "rootfs",
          f"{d.name}: overlay is rootfs/")
    for frag in re.findall(r'\$\(BR2_EXTERNAL_KEEPALIVED_RS_PATH\)/([^" ]+)', text):
        check((ROOT / "buildroot" / frag).exists(), f"{d.name}: {frag} exists")

# OpenWrt
ow = make_vars((ROOT / "board" / "openwrt" / "net" / name / "Makefile").read_text())
check(ow.get("PKG_NAME") == name, f"OpenWrt PKG_NAME = {name}")
check(ow.get("PKG_VERSION") == version, f"OpenWrt PKG_VERSION = {version}")
check(ow.get("PKG_LICENSE") == license_, f"OpenWrt PKG_LICENSE = {license_}")
check(re.fullmatch(r"[1-9][0-9]*", ow.get("PKG_RELEASE", "")) is not None, "OpenWrt PKG_RELEASE is a number")
for lf in ow.get("PKG_LICENSE_FILES", "").split() or ["(none)"]:
    check((ROOT / lf).is_file(), f"OpenWrt license file {lf} exists")

if errors:
    sys.exit(f"{len(errors)} metadata check(s) failed")
