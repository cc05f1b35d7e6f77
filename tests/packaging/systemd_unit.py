#!/usr/bin/env python3
"""keepalived.service as systemd would run it, without systemd (not PID 1 here): its ExecStart
(Environment/EnvironmentFile, $VAR word splitting) in a fresh network namespace and a private
/run, with $NOTIFY_SOCKET; Type=notify: READY=1 from the process systemd started (no fork),
the PIDFile= it names holding that pid; ExecReload with $MAINPID: RELOADING=1, READY=1, same
pid, the new configuration's VIP; stop (SIGTERM to the main process, KillMode=process):
STOPPING=1, exit status 0, VIPs gone. Usage: systemd_unit.py KEEPALIVED_RS_BINARY"""
import os
import pathlib
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.path.realpath(sys.argv[1])
ROOT = pathlib.Path(__file__).resolve().parents[2]
UNIT = ROOT / "rootfs/usr/lib/systemd/system/keepalived.service"
NS = f"ka-sd-{os.getpid()}"


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def ok(msg):
    print(f"ok:   {msg}")


def service(unit):
    """[Service] key -> list of values."""
    out, sect = {}, None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            sect = line
        elif sect == "[Service]" and "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def expand(cmd, env):
    """systemd's rules: $VAR splits into words, ${VAR} is one word."""
    words = []
    for w in shlex.split(cmd):
        m = re.fullmatch(r"\$(\w+)", w)
        if m:
            words += env.get(m[1], "").split()
        else:
            words.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m[1], ""), w))
    return words


def conf(*vips):
    addrs = "".join(f"  {v}/24\n" for v in vips)
    return ("vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 62\n"
            f" priority 255\n advert_int 1\n virtual_ipaddress {{\n{addrs} }}\n}}\n")


def has_vip(vip):
    out = subprocess.run(["ip", "-n", NS, "-o", "addr", "show", "dev", "eth0"],
                         capture_output=True, text=True).stdout
    return f" {vip}/" in out


def recv(sock, what):
    try:
        return sock.recv(4096).decode()
    except socket.timeout:
        fail(f"no {what} notification within 5 s")


def wait(secs, pred):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


svc = service(UNIT)
if svc.get("Type") != ["notify"]:
    fail(f"Type={svc.get('Type')}")
tmp = pathlib.Path(tempfile.mkdtemp(prefix="ka-sd."))
proc = None
try:
    subprocess.run(["ip", "netns", "add", NS], check=True)
    for c in (["link", "add", "eth0", "type", "veth", "peer", "name", "eth1"], ["link", "set", "eth0", "up"],
              ["link", "set", "eth1", "up"], ["link", "set", "lo", "up"],
              ["addr", "add", "10.232.0.1/24", "dev", "eth0"]):
        subprocess.run(["ip", "-n", NS, *c], check=True)
    # The installed paths, mapped to this test's files.
    paths = {"/usr/sbin/keepalived-rs": BIN, "/etc/keepalived/keepalived.conf": str(tmp / "keepalived.conf"),
             "/etc/default/keepalived": str(tmp / "default")}
    (tmp / "keepalived.conf").write_text(conf("10.232.0.100"))
    (tmp / "default").write_text('# as rootfs/etc/default/keepalived, with detail\nKEEPALIVED_OPTS="-D -P"\n')
    env = {}
    for e in svc.get("Environment", []):
        k, v = e.split("=", 1)
        env[k] = v
    for f in svc.get("EnvironmentFile", []):
        f = paths.get(f.lstrip("-"), f.lstrip("-"))
        for line in pathlib.Path(f).read_text().splitlines():
            m = re.fullmatch(r"(\w+)=\"?(.*?)\"?", line.strip())
            if m and not line.startswith("#"):
                env[m[1]] = m[2]
    (start,) = svc["ExecStart"]
    argv = [paths.get(w, w) for w in expand(start, env)]
    if "--dont-fork" not in argv and "-n" not in argv:
        fail("ExecStart does not keep the daemon in the foreground")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp / "notify"))
    notify.settimeout(5)
    # A private /run, so the default pid file is the test's own.
    proc = subprocess.Popen(["ip", "netns", "exec", NS, "unshare", "-m", "sh", "-c",
                             'mount -t tmpfs ka-run /run && exec "$@"', "sh", *argv],
                            env={**os.environ, **env, "NOTIFY_SOCKET": str(tmp / "notify")})
    msg = recv(notify, "READY=1")
    if "READY=1" not in msg:
        fail(f"first notification: {msg!r}")
    if proc.poll() is not None:
        fail("the started process exited: Type=notify needs it to stay (it forked?)")
    ok(f"READY=1 from the started process ({' '.join(argv)})")
    (pidfile,) = svc["PIDFile"]
    pid_in_file = (pathlib.Path(f"/proc/{proc.pid}/root") / pidfile.lstrip("/")).read_text().strip()
    if pid_in_file != str(proc.pid):
        fail(f"PIDFile={pidfile} holds {pid_in_file!r}, the main pid is {proc.pid}")
    ok(f"PIDFile={pidfile} holds the main pid")
    if not wait(5, lambda: has_vip("10.232.0.100")):
        fail("no VIP: not MASTER")

    (tmp / "keepalived.conf").write_text(conf("10.232.0.100", "10.232.0.101"))
    (reload,) = svc["ExecReload"]
    subprocess.run(expand(reload, {**env, "MAINPID": str(proc.pid)}), check=True)
    got = [recv(notify, "reload") for _ in range(2)]
    if "RELOADING=1" not in got[0] or "READY=1" not in got[1]:
        fail(f"reload notifications: {got!r}")
    if not wait(5, lambda: has_vip("10.232.0.101")) or proc.poll() is not None:
        fail("ExecReload: the new VIP did not appear in the same process")
    ok("ExecReload: RELOADING=1, READY=1, same pid, the new VIP")

    if svc.get("KillMode") != ["process"]:
        fail(f"KillMode={svc.get('KillMode')}")
    proc.send_signal(signal.SIGTERM)
    msg = recv(notify, "STOPPING=1")
    if "STOPPING=1" not in msg:
        fail(f"stop notification: {msg!r}")
    status = proc.wait(timeout=10)
    proc = None
    if status != 0:
        fail(f"exit status {status} after SIGTERM")
    if has_vip("10.232.0.100") or has_vip("10.232.0.101"):
        fail("VIPs left after stop")
    ok("stop: STOPPING=1, exit status 0, VIPs removed")
finally:
    if proc is not None:
        proc.kill()
        proc.wait()
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", str(tmp)])
