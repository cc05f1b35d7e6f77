#!/usr/bin/env python3
"""buildroot/Config.in parses (kconfiglib, warnings are errors) inside a stub of the buildroot
symbols it uses, and its options behave: defaults, TLS needing LVS, the links giving way to
buildroot's keepalived, the rust dependency. Usage: kconfig_check.py (needs kconfiglib)."""
import os
import pathlib
import sys
import tempfile

import kconfiglib

ROOT = pathlib.Path(__file__).resolve().parents[2]
STUB = """
config BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS
\tbool "stub: rust supports the target"
\tdefault y
config BR2_USE_MMU
\tbool "stub: MMU"
\tdefault y
config BR2_PACKAGE_HOST_RUSTC
\tbool
config BR2_PACKAGE_KEEPALIVED
\tbool "stub: buildroot's keepalived"
menu "External options"
source "$BR2_EXTERNAL_KEEPALIVED_RS_PATH/Config.in"
endmenu
"""
errors = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        errors.append(what)


os.environ["BR2_EXTERNAL_KEEPALIVED_RS_PATH"] = str(ROOT / "buildroot")
with tempfile.TemporaryDirectory() as tmp:
    top = pathlib.Path(tmp) / "Config.in"
    top.write_text(STUB)
    kconf = kconfiglib.Kconfig(str(top), warn_to_stderr=False)
check(not kconf.warnings, "Config.in parses without warnings" + "".join("\n      " + w for w in kconf.warnings))

s = kconf.syms
undefined = sorted(n for n, sym in s.items() if not sym.nodes and n not in ("y", "n", "m", "MODULES"))
check(not undefined, "every symbol it names is defined (by it or the stub): " + (" ".join(undefined) or "yes"))
P = "BR2_PACKAGE_KEEPALIVED_RS"


def val(name):
    return s[name].str_value if name in s else "(missing)"


def setv(name, v):
    check(s[name].set_value(v), f"{name} can be set to {v}")


check(val(P) == "n", "the package is off by default")
setv(P, "y")
check(val("BR2_PACKAGE_HOST_RUSTC") == "y", "the package selects host-rustc")
for f in ("LVS", "TLS", "KEEPALIVED_LINKS"):
    check(val(f"{P}_{f}") == "y", f"{P}_{f} defaults to y")
setv(f"{P}_LVS", "n")
check(val(f"{P}_TLS") == "n", "TLS goes off with LVS")
check(not s[f"{P}_TLS"].set_value("y") or val(f"{P}_TLS") == "n", "TLS cannot be on without LVS")
setv(f"{P}_LVS", "y")
check(val(f"{P}_TLS") == "y", "TLS comes back with LVS")
setv("BR2_PACKAGE_KEEPALIVED", "y")
check(val(f"{P}_KEEPALIVED_LINKS") == "n", "no keepalived/genhash links beside buildroot's keepalived")
setv("BR2_PACKAGE_KEEPALIVED", "n")
setv("BR2_PACKAGE_HOST_RUSTC_TARGET_ARCH_SUPPORTS", "n")
check(val(P) == "n", "the package needs a target rust supports")
for sym in s.values():
    if sym.name.startswith(P) and sym.nodes:
        check(all(n.help for n in sym.nodes if n.prompt), f"{sym.name} has help text")

if errors:
    sys.exit(f"{len(errors)} Kconfig check(s) failed")
