#!/usr/bin/env python3
"""A stock `serf agent` works across the emulator (UDP gossip and TCP
push-pull): three agents in two DCs join, see each other alive, and after
`link dc1 dc2 down` the dc1 agent sees the dc2 ones fail. Skipped when serf
is not installed."""
import shutil
import subprocess
import sys
import time

from wanem_test import Checks, Wan

TOPO = {
    "datacenters": {"dc1": {"servers": 1}, "dc2": {"servers": 2}},
    "rtt_ms": {"dc1": {"dc2": 40}},
}


def members(w):
    r = w.run("exec", "dc1-s1", "--", "serf", "members", "-rpc-addr",
              "127.0.0.1:7373", check=False)
    return {f[0]: f[2] for f in (l.split() for l in r.stdout.splitlines())
            if len(f) >= 3}


def wait_for(w, want, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = members(w)
        if got == want:
            return got
        time.sleep(0.5)
    return members(w)


def main():
    if not shutil.which("serf"):
        print("SKIPPED: serf is not installed")
        return 77
    c = Checks()
    with Wan(TOPO, "serf") as w:
        for node, host in (("a", "dc1-s1"), ("b", "dc2-s1"), ("c", "dc2-s2")):
            args = ["serf", "agent", "-node", node, "-bind",
                    w.addr(host) + ":7946", "-rpc-addr", "127.0.0.1:7373"]
            if node != "a":
                args += ["-join", w.addr("dc1-s1") + ":7946"]
                time.sleep(0.5)
            w.procs.append(subprocess.Popen(
                [w.wanem, "exec", host, "--", *args], env=w.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        alive = {"a": "alive", "b": "alive", "c": "alive"}
        got = wait_for(w, alive, 15)
        c.check(got == alive, "three serf agents joined across the WAN: %s" % got)
        w.ctl("link", "dc1", "dc2", "down")
        failed = {"a": "alive", "b": "failed", "c": "failed"}
        got = wait_for(w, failed, 30)
        c.check(got == failed, "after `link dc1 dc2 down` dc1 sees dc2 fail: %s" % got)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
