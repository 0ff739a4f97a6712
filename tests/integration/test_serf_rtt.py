#!/usr/bin/python3
"""Coordinates between a real serf agent (Debian serf 0.9.4) and meshfed:
serf learns meshfed's coordinate from the payload of meshfed's acks, and
meshfed learns serf's from serf's acks, so `serf rtt s0 m0` and
`meshfed rtt s0` both give a finite positive estimate (tiny on loopback).
Also: serf logs no decode error for meshfed's push-pull state, which
carries an extra "MeshfedRoutes" key serf must ignore; and `meshfed rtt
-dc serfdc` (median over the serf DC's servers) and `meshfed coords` work."""
import json
import math
import re
import subprocess

from mfcluster import check, log, run, wait_for

EST = re.compile(r"^Estimated (\S+) <-> (\S+) rtt: ([0-9.]+) ms")


def serf_rtt(s, a, b):
    # serf's flags must come before the node names (Go's flag package).
    r = subprocess.run(["serf", "rtt", "-rpc-addr", s.rpc, a, b], capture_output=True,
                       text=True, timeout=20)
    m = EST.match(r.stdout.strip())
    check(r.returncode == 0 and m, "serf rtt %s %s: %s %s" % (a, b, r.stdout, r.stderr))
    return float(m.group(3))


def meshfed_rtt(agent, *args):
    r = agent.ctl("rtt", *args, check_rc=False)
    if r.returncode != 0:
        return None
    m = EST.match(r.stdout.strip())
    check(m, "meshfed rtt output is serf's: %r" % r.stdout)
    return float(m.group(3))


def main(cluster_factory):
    c = cluster_factory(17)
    m0 = c.agent("m0", 0, profile="lan").start()
    m1 = c.agent("m1", 1, profile="lan", join=[m0.addr]).start()
    s0 = c.serf("s0", 10, join=[m0.addr]).start()
    wait_for(lambda: m0.status_of("s0") == "alive" and m1.status_of("s0") == "alive", 30,
             "meshfed to list s0 alive")

    def serf_ok():
        try:
            v = serf_rtt(s0, "s0", "m0")
        except Exception:
            return False
        return math.isfinite(v) and v > 0

    wait_for(serf_ok, 40, "serf rtt s0 m0 (serf needs m0's coordinate from its acks)",
             interval=0.5)
    v = serf_rtt(s0, "s0", "m0")
    log("ok: serf rtt s0 <-> m0 = %.3f ms" % v)

    wait_for(lambda: (meshfed_rtt(m0, "s0") or 0) > 0, 40,
             "meshfed rtt s0 (m0 needs s0's coordinate from its acks)", interval=0.5)
    w = meshfed_rtt(m0, "s0")
    check(math.isfinite(w) and w > 0, "meshfed rtt s0 finite positive: %r" % w)
    log("ok: meshfed rtt m0 <-> s0 = %.3f ms" % w)

    # Two named nodes, neither need be us: m0 holds m1's and s0's coordinates.
    wait_for(lambda: (meshfed_rtt(m0, "m1", "s0") or 0) > 0, 40, "meshfed rtt m1 s0",
             interval=0.5)
    log("ok: meshfed rtt m1 <-> s0 = %.3f ms" % meshfed_rtt(m0, "m1", "s0"))

    d = meshfed_rtt(m0, "-dc", "serfdc")
    check(d is not None and d > 0, "meshfed rtt -dc serfdc: %r" % d)
    log("ok: meshfed rtt -dc serfdc = %.3f ms" % d)

    coords = json.loads(m0.ctl("coords", "-format", "json").stdout)
    names = {x["node"] for x in coords}
    check({"m0", "m1", "s0"} <= names, "coords lists m0 (self), m1 and s0: %r" % names)
    check(any(x["self"] and x["node"] == "m0" for x in coords), "own coordinate marked self")
    log("ok: meshfed coords lists its own and its peers' coordinates")

    r = m0.ctl("rtt", "nosuchnode", check_rc=False)
    check(r.returncode == 1 and "nosuchnode" in r.stderr, "unknown node: one-line error")
    log("ok: meshfed rtt of an unknown node fails with one line")

    # serf has pushed-pulled with us by now (join + periodic); it must not
    # have complained about our push-pull state.
    with open(s0.logpath, "rb") as f:
        text = f.read().decode(errors="replace")
    bad = [l for l in text.splitlines()
           if "[ERR]" in l and ("decode" in l.lower() or "remote state" in l.lower())]
    check(not bad, "serf logged decode errors: %r" % bad[:3])
    log("ok: serf logged no decode error for meshfed's push-pull state")


run(main)
