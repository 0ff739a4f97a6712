#!/usr/bin/python3
"""dist/meshfed.service and the agent's readiness: `systemd-analyze verify`
accepts the unit without a single warning (skipped with a message when
systemd-analyze is missing), the unit has the sandboxing it promises, and a
real agent sends READY=1 to a $NOTIFY_SOCKET the test creates (a path and an
abstract '@' name) only once its gossip port is bound and its control socket
answers, then STOPPING=1 on SIGTERM."""
import errno
import os
import shutil
import signal
import socket
import subprocess

from mfcluster import check, log, run

UNIT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dist",
                    "meshfed.service")


def verify_unit(c):
    text = open(UNIT).read()
    for line in ("Type=notify", "ProtectSystem=strict", "NoNewPrivileges=yes",
                 "StateDirectory=meshfed", "RuntimeDirectory=meshfed", "KillSignal=SIGTERM"):
        check(("\n" + line + "\n") in text, "the unit lacks %s" % line)
    sa = shutil.which("systemd-analyze")
    if not sa:
        log("SKIP: systemd-analyze verify: no systemd-analyze on this machine")
        return
    # verify needs ExecStart's binary to exist: point it at the one under test.
    unit = os.path.join(c.dir, "meshfed.service")
    with open(unit, "w") as f:
        f.write(text.replace("/usr/bin/meshfed", c.meshfed))
    r = subprocess.run([sa, "verify", "--man=no", unit], capture_output=True, text=True,
                       timeout=60)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and not out, "systemd-analyze verify: rc %d: %s" % (r.returncode, out))
    # The check can fail: a unit with a bad value draws a warning.
    bad = os.path.join(c.dir, "bad.service")
    with open(bad, "w") as f:
        f.write(text.replace("ProtectSystem=strict", "ProtectSystem=bogus")
                .replace("/usr/bin/meshfed", c.meshfed))
    r = subprocess.run([sa, "verify", "--man=no", bad], capture_output=True, text=True,
                       timeout=60)
    check("ProtectSystem" in r.stdout + r.stderr or "protect system" in r.stdout + r.stderr,
          "systemd-analyze did not flag ProtectSystem=bogus: %r" % (r.stdout + r.stderr))
    log("ok: systemd-analyze verify accepts dist/meshfed.service with no warning "
        "(and flags a broken copy)")


def port_bound(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((ip, port))
        return False
    except OSError as e:
        return e.errno == errno.EADDRINUSE
    finally:
        s.close()


def readiness(c, agent, name, bind_to):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(bind_to)
    sock.settimeout(10)
    os.environ["NOTIFY_SOCKET"] = name
    try:
        agent.start()
    finally:
        del os.environ["NOTIFY_SOCKET"]
    try:
        msg = sock.recv(4096).decode()
    except socket.timeout:
        msg = ""
    check("READY=1" in msg.split("\n"), "no READY=1 on %s: %r" % (name, msg))
    # The agent bound both before it said so.
    check(port_bound(agent.ip, 7946), "READY=1 before the gossip port is bound")
    check(os.path.exists(agent.control), "READY=1 before the control socket exists")
    check(agent.name in agent.members(), "control socket does not answer after READY=1")
    agent.kill(signal.SIGTERM)
    try:
        msg = sock.recv(4096).decode()
    except socket.timeout:
        msg = ""
    check("STOPPING=1" in msg.split("\n"), "no STOPPING=1 on %s after SIGTERM: %r" % (name, msg))
    sock.close()
    log("ok: READY=1 on %s once port and control socket are up; STOPPING=1 on SIGTERM" % name)


def main(cluster_factory):
    c = cluster_factory(63)
    verify_unit(c)
    path = os.path.join(c.dir, "notify.sock")
    readiness(c, c.agent("s0", 0), path, path)
    name = "meshfed-test-notify-%d" % os.getpid()
    readiness(c, c.agent("s1", 1), "@" + name, "\0" + name)
    # Outside systemd (no NOTIFY_SOCKET) the agent runs as before.
    a = c.agent("s2", 2).start()
    check(a.name in a.members(), "agent without NOTIFY_SOCKET")
    log("ok: without NOTIFY_SOCKET the agent starts as before")


run(main)
