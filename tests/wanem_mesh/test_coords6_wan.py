#!/usr/bin/python3
"""Coordinates of a small federation on the WAN emulator (issue 16): 6 DCs
from the WonderNetwork matrix (cities 5, 7, 15, 121, 132, 212:
tests/sim/fixtures/small_6_seed6.json, RTTs 67-477 ms), 2 meshfed agents
per DC plus a serf agent in dc1, one WAN pool, profile `wan`. After
SECONDS (default 600, the issue's 10 minutes):
 - every agent's `meshfed rtt -dc A B` for every DC pair within 10% (the
   measured link as A or B advertises it, issue 16);
 - the same by coordinates only (`-pool wan`), for every pair of DCs other
   than the agent's own, within 10% (the simulator, with the DC-level
   embedding of coord/dc_embed.h: 2.5% from round 36 on, seeds 1-4; the
   agents pin their coordinates there once the route table holds every
   DC pair's measured link, and log "coordinates: 6 DCs embedded");
 - the serf agent's `serf rtt` to every meshfed agent of another DC within
   15% (the simulator, `-serf-nodes 0`: within 15% from round 60, at most
   3.1% at round 120, seeds 1-4).
Needs root (network namespaces); skipped with a message otherwise.
Usage: test_coords6_wan.py WANEM MESHFED [SECONDS]"""
import itertools
import json
import os
import re
import sys
import time

from meshwan import Checks, MeshWan, main_args
from test_coords_wan import parse_ms

RTT = {("dc1", "dc2"): 288.824, ("dc1", "dc3"): 178.55, ("dc1", "dc4"): 146.766,
       ("dc1", "dc5"): 230.694, ("dc1", "dc6"): 384.715, ("dc2", "dc3"): 240.358,
       ("dc2", "dc4"): 228.197, ("dc2", "dc5"): 314.514, ("dc2", "dc6"): 477.469,
       ("dc3", "dc4"): 67.099, ("dc3", "dc5"): 117.856, ("dc3", "dc6"): 271.788,
       ("dc4", "dc5"): 127.799, ("dc4", "dc6"): 318.505, ("dc5", "dc6"): 186.299}
DCS = ["dc1", "dc2", "dc3", "dc4", "dc5", "dc6"]
TOPO = {
    "datacenters": {dc: {"servers": 3 if dc == "dc1" else 2} for dc in DCS},
    "rtt_ms": {a: {b: v for (x, b), v in RTT.items() if x == a} for a in DCS[:-1]},
}
TOL = 0.10
SERF_TOL = 0.15


def rtt(a, b):
    return RTT.get((a, b)) or RTT.get((b, a))


def pair_errors(w, hosts, extra, skip_own, per_pair=None):
    """Worst error and the misses of `rtt -dc A B [extra]` on every host;
    every reading's error into per_pair[(a, b)] when given."""
    worst, bad, sources = 0.0, [], set()
    for host, dc in hosts:
        for a, b in itertools.combinations(DCS, 2):
            if skip_own and dc in (a, b):
                continue
            r = w.ctl(host, "rtt", "-dc", a, b, *extra, "-format", "json")
            try:
                got = json.loads(r.stdout)
            except json.JSONDecodeError:
                bad.append("%s: rtt -dc %s %s: %r" % (host, a, b, r.stderr.strip()))
                continue
            sources.add(got.get("source"))
            err = abs(got["rtt_ms"] - rtt(a, b)) / rtt(a, b)
            worst = max(worst, err)
            if per_pair is not None:
                per_pair.setdefault((a, b), []).append(err)
            if err > TOL:
                bad.append("%s: %s-%s %.1f ms vs %.1f (%s)" % (
                    host, a, b, got["rtt_ms"], rtt(a, b), got.get("source")))
    return worst, bad, sources


def median(v):
    v = sorted(v)
    n = len(v)
    return (v[(n - 1) // 2] + v[n // 2]) / 2 if v else float("nan")


def embeddings(w, hosts):
    """Each agent's last "coordinates: ... DCs embedded (matrix X)" line:
    {host: (X, line)}; agents that solved the same matrix hold the same
    coordinates."""
    out = {}
    for host, _ in hosts:
        try:
            with open(os.path.join(w.dir, host + ".log"), errors="replace") as f:
                lines = [ln for ln in f if "DCs embedded" in ln or "embedding released" in ln]
        except OSError:
            continue
        if lines:
            m = re.search(r"matrix ([0-9a-f]+)", lines[-1])
            out[host] = (m.group(1) if m else "-", lines[-1].strip(), len(lines))
    return out


def watch(w, hosts, seconds, every=60):
    """Sleeps seconds; every `every` s prints the worst and median
    coordinate reading over all agents and pairs without their DC, and
    how many distinct matrices the agents last solved."""
    t0 = time.monotonic()
    while True:
        left = seconds - (time.monotonic() - t0)
        if left <= 0:
            return
        time.sleep(min(every, left))
        if time.monotonic() - t0 >= seconds:
            return
        per = {}
        pair_errors(w, hosts, ("-pool", "wan"), True, per)
        errs = [e for v in per.values() for e in v]
        mats = {m for m, _, _ in embeddings(w, hosts).values()}
        print("info: at %4.0f s: coordinates worst %.1f%% median %.1f%% (%d readings), "
              "%d distinct matrices solved last" % (
                  time.monotonic() - t0, 100 * max(errs, default=float("nan")),
                  100 * median(errs), len(errs), len(mats)), flush=True)


def report(title, per_pair):
    print("info: %s, per pair: true ms, median / worst error (readings)" % title)
    for (a, b), v in sorted(per_pair.items()):
        print("info:   %s-%s %6.1f  %5.1f%% / %5.1f%% (%d)" % (
            a, b, rtt(a, b), 100 * median(v), 100 * max(v), len(v)))
    allv = [e for v in per_pair.values() for e in v]
    print("info:   all pairs: median %.1f%%, worst %.1f%% (%d readings)" % (
        100 * median(allv), 100 * max(allv, default=float("nan")), len(allv)))


def main():
    wanem, meshfed, rest = main_args(" [SECONDS]")
    settle = float(rest[0]) if rest else 600
    c = Checks()
    with MeshWan(TOPO, "coords6", wanem, meshfed) as w:
        hosts, n, t = w.start_wan_pool_with_serf([(dc, 2) for dc in DCS], "dc1-s3", 90)
        have_serf = n > len(hosts)
        c.check(t is not None, "%d members joined across the emulated WAN" % n)
        t0 = time.monotonic()
        watch(w, hosts, settle)
        print("info: checking after %.0f s" % (time.monotonic() - t0))

        adv, coords = {}, {}
        worst, bad, sources = pair_errors(w, hosts, (), False, adv)
        c.check(not bad, "every agent's `rtt -dc A B` within 10%% (worst %.1f%%, sources %s) %s"
                % (100 * worst, sorted(s or "?" for s in sources), bad[:6]))
        # Issue 16, "Also": every pair is a measured link here, so every
        # reading must come from the adverts (stop 13's run: all did).
        c.check(sources == {"advertised"}, "every `rtt -dc A B` is the advertised "
                "measured link (sources %s)" % sorted(s or "?" for s in sources))
        worst, bad, _ = pair_errors(w, hosts, ("-pool", "wan"), True, coords)
        c.check(not bad, "every agent's `rtt -dc A B -pool wan` (coordinates) for pairs "
                "without its DC within 10%% (worst %.1f%%) %s" % (100 * worst, bad[:6]))
        report("`rtt -dc A B` (measured links as advertised)", adv)
        report("`rtt -dc A B -pool wan` (coordinates)", coords)
        for host, (m, line, n) in sorted(embeddings(w, hosts).items()):
            print("info: %s: matrix %s, %d solves; last: %s" % (host, m, n, line[-110:]))

        if have_serf:
            bad, worst = [], 0.0
            for host, dc in hosts:
                if dc == "dc1":
                    continue
                est = parse_ms(w.serf("dc1-s3", "rtt", host).stdout)
                want = rtt("dc1", dc)
                if est is None:
                    bad.append("%s: no estimate" % host)
                    continue
                worst = max(worst, abs(est - want) / want)
                print("info: serf rtt dc1-s3 -> %s: %.1f ms for %.1f (%.1f%%)" % (
                    host, est, want, 100 * abs(est - want) / want))
                if abs(est - want) / want > SERF_TOL:
                    bad.append("%s %.1f ms vs %.1f" % (host, est, want))
            c.check(not bad, "`serf rtt` from the serf agent in dc1 to every meshfed agent "
                    "of another DC within 15%% (worst %.1f%%) %s" % (100 * worst, bad))
        else:
            c.check(False, "serf is installed (scripts/setup installs it)")
        # What the agents measured, the ground the coordinates stand on: on
        # a loaded machine the emulated paths read high (docs/wanem.md).
        for host, dc in hosts[::2]:
            for e in w.ctl_json(host, "coords") or []:
                if "measured_ms" in e and not e["node"].startswith(dc + "-"):
                    want = rtt(dc, e["node"].split("-")[0])
                    if want and abs(e["measured_ms"] - want) / want > 0.05:
                        print("info: %s measured %s at %.1f ms, configured %.1f" % (
                            host, e["node"], e["measured_ms"], want))
        if c.failed:
            for h in ("dc1-s1", "dc6-s2"):
                print("---- %s log ----\n%s" % (h, w.tail(h)))
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
