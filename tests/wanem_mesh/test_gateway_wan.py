#!/usr/bin/python3
"""Mesh gateways on the WAN emulator (issue 10): the seed's four-DC figure
(tests/routing/fixtures/slow_link_4.json) with the direct dc4-dc3 link made
300 ms, so dc4 -> dc1 -> dc3 (15 + 15 ms) is far faster than the direct
link. One agent (`<dc>-s1`) and one `meshfed gateway` (`<dc>-g1`) per DC,
one network area per DC pair, profile `lan`; a TLS echo server on dc3-s2
registered as service `web` on dc3's gateway, a test CA made at test time;
clients on dc4-s2 dial dc4's gateway with SNI web.default.dc3.internal.
example.test (tlsprobe.py: verified TLS 1.3 handshake, one line echoed).

Expected handshake time over a gateway path dc4 -> ... -> dc3: each
gateway reads the ClientHello before it connects to the next one, so every
hop costs its TCP connect (1 RTT) before the hello moves on, then TLS 1.3
takes one round trip over the whole path: 2 x the sum of the hops' RTTs
(plus the intra-DC legs, 0.2 ms each).
 - multi-hop: the handshake takes about 2 x (15 + 15) = 60 ms through dc1's
   gateway, far under the 600 ms of the direct link;
 - `wanem link dc4 dc1 down`: every new connection still succeeds (through
   the route's alternates while the route still points at dc1), and once
   dc4's route moves to dc2, within the routing failover bound
   (docs/routing.md "Failover"), connections go dc4 -> dc2 -> dc3 in about
   2 x (20 + 20) = 80 ms;
 - link up again: the route and the traffic return to dc1;
 - dc1's gateway SIGKILLed, dc1's agent up: new connections succeed within
   1 s through the route's first alternate, while dc4's gateway still runs
   on the table it had (its version unchanged when the first one succeeds);
 - dc4's agent restarted with `"routing": {"targets": {"dc3":
   "single-hop"}}`: the handshake takes the direct link, about 2 x 300 ms.
Needs root (network namespaces); skipped with a message otherwise.
Usage: test_gateway_wan.py WANEM MESHFED"""
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from meshwan import (Checks, MeshWan, main_args, pairwise_areas_config, reroute_bound,
                     wait_until)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mfcluster import stop  # noqa: E402
from mfgateway import TD, TestCA, sni  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DCS = ["dc1", "dc2", "dc3", "dc4"]
RTT = {("dc1", "dc2"): 10, ("dc1", "dc3"): 15, ("dc1", "dc4"): 15,
       ("dc2", "dc3"): 20, ("dc2", "dc4"): 20, ("dc3", "dc4"): 300}
INTRA = 0.2
TOPO = {
    "datacenters": {dc: {"servers": 2, "gateways": 1} for dc in DCS},
    "rtt_ms": {a: {b: v for (x, b), v in RTT.items() if x == a} for a in DCS[:3]},
    "intra_dc_rtt_ms": INTRA,
    "areas": [list(p) for p in itertools.combinations(DCS, 2)],
}
REROUTE_BOUND = reroute_bound(2)   # one agent per DC: 2 members per area pool
NAME = sni("web", "dc3")
SERVICE_PORT = 4433


def rtt(a, b):
    return RTT.get((a, b)) or RTT[(b, a)]


def expected_ms(path, tls_rtts=1):
    """Client in the first DC to the service in the last one through each
    DC's gateway: intra-DC legs at both ends (client -> gateway, gateway ->
    service), one TCP connect per gateway hop, then tls_rtts round trips
    over the whole path."""
    hops = sum(rtt(a, b) for a, b in zip(path, path[1:]))
    return hops + tls_rtts * hops + 2 * INTRA * (1 + tls_rtts)


class Mesh:
    def __init__(self, w, c):
        self.w = w
        self.c = c
        self.ca = TestCA(w.dir)
        self.gw = {dc: "%s-g1" % dc for dc in DCS}

    def agent_config(self, dc, single_hop=()):
        conf = pairwise_areas_config(self.w, "%s-s1" % dc, dc, DCS)
        conf["reconnect_interval"] = "2s"   # a link that comes back is rejoined soon
        if single_hop:
            conf["routing"]["targets"] = {t: "single-hop" for t in single_hop}
        return conf

    def start(self):
        w = self.w
        for dc in DCS:
            w.start_agent("%s-s1" % dc, dc, config=self.agent_config(dc))
        web = "%s:%d" % (w.addr("dc3-s2"), SERVICE_PORT)
        for dc in DCS:
            w.start_gateway(self.gw[dc], dc, "%s-s1" % dc, TD,
                            services=["web=" + web] if dc == "dc3" else ())
        cert, key = self.ca.server_cert("dc3-web", [NAME])
        w.spawn("dc3-s2", [sys.executable, os.path.join(HERE, "tlsprobe.py"), "serve",
                           w.addr("dc3-s2"), str(SERVICE_PORT), cert, key], log_name="web")

    def probe_cmd(self, count, gap, timeout=10, dc="dc4"):
        w = self.w
        return [w.wanem, "exec", "%s-s2" % dc, "--", sys.executable,
                os.path.join(HERE, "tlsprobe.py"), "probe", "%s:8443" % w.addr(self.gw[dc]),
                NAME, self.ca.ca, str(count), str(gap), str(timeout)]

    def probe(self, count=1, gap=0.2, dc="dc4"):
        r = subprocess.run(self.probe_cmd(count, gap, dc=dc), env=self.w.env,
                           capture_output=True, text=True, timeout=60 + count * 12)
        return [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]

    def local_ms(self):
        """The handshake's cost on this machine now, without the WAN: a
        client in dc3 through dc3's gateway to the service (median of 3)."""
        ok = [r["handshake_ms"] for r in self.probe(3, dc="dc3") if r["ok"]]
        return statistics.median(ok) if ok else 0.0

    def outcome(self, dc, what):
        inf = self.w.ctl_json(self.gw[dc], "info")
        return inf["outcomes"][what] if inf else None

    def counts(self):
        """(forwarded, local) of every DC's gateway."""
        return {dc: (self.outcome(dc, "forwarded"), self.outcome(dc, "local")) for dc in DCS}

    def route(self, dc, target="dc3"):
        return self.w.routes("%s-s1" % dc).get(target) or {}

    def path_is(self, dc, path):
        """The agent's route to dc3 has this path (its gateway gets each new
        table pushed at once; comparing versions would race with distance
        updates on a loaded machine)."""
        return list(self.route(dc).get("path") or []) == path

    def measure(self, what, path, n=5, tls_rtts=1):
        """n probes; checks every one succeeded, the median handshake against
        the expectation for path, and which gateways carried them. Returns
        the median (ms) or None."""
        before = self.counts()
        res = self.probe(n)
        ok = [r for r in res if r["ok"]]
        self.c.check(len(ok) == n, "%s: %d of %d TLS connections verified and echoed %s" % (
            what, len(ok), n, [r.get("error") for r in res if not r["ok"]][:2]))
        if not ok:
            return None
        after = self.counts()
        fwd = {dc: (after[dc][0] or 0) - (before[dc][0] or 0) for dc in DCS}
        want = {dc: (n if dc in path[:-1] else 0) for dc in DCS}
        self.c.check(fwd == want and after["dc3"][1] - before["dc3"][1] == n,
                     "%s: forwarded by %s, dc3 local +%d (want forwarded %s, local +%d)" % (
                         what, fwd, after["dc3"][1] - before["dc3"][1], want, n))
        if fwd != want:
            inf = self.w.ctl_json(self.gw["dc4"], "info") or {}
            print("dc4's route to dc3: %s; dc4's gateway's remote gateways: %s" % (
                self.route("dc4"), inf.get("remote_gateways")))
        med = statistics.median(r["handshake_ms"] for r in ok)
        exp = expected_ms(path, tls_rtts)
        # The network part cannot be beaten; above it, allow the machine's
        # own cost (TLS in Python, 3 gateways: ~8 process wake-ups a round
        # trip where the local case has ~4) as measured now, so a loaded
        # machine does not fail the test.
        base = self.local_ms()
        lo, hi = 0.95 * exp - 1, exp * 1.1 + 15 + 4 * base
        self.c.check(lo <= med <= hi and all(r["version"] == "TLSv1.3" for r in ok),
                     "%s: median handshake %.1f ms (min %.1f, max %.1f), expected %.1f ms "
                     "over %s (allowed %.0f-%.0f: the same without the WAN took %.1f ms)" % (
                         what, med, min(r["handshake_ms"] for r in ok),
                         max(r["handshake_ms"] for r in ok), exp, "-".join(path), lo, hi,
                         base))
        return med


class ProbeLoop:
    """Probes from dc4 back to back in the background; lines collected."""

    def __init__(self, m, gap, timeout=10):
        self.lines = []
        self.p = subprocess.Popen(m.probe_cmd(0, gap, timeout), env=m.w.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        m.w.procs.append(self.p)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            if line.startswith("{"):
                self.lines.append(json.loads(line))

    def since(self, t):
        return [r for r in list(self.lines) if r["t0"] >= t]

    def stop(self):
        self.p.kill()
        self.p.wait()


class RouteWatch:
    """Polls dc4's agent's route to dc3: (monotonic time, next hop, names
    of the next hop's gateways) samples."""

    def __init__(self, m, interval=0.02):
        self.samples = []
        self.stopped = False

        def run():
            while not self.stopped:
                t = time.monotonic()
                r = m.route("dc4")
                self.samples.append((t, r.get("next_hop"),
                                     [g["name"] for g in r.get("gateways") or []]))
                time.sleep(interval)
        threading.Thread(target=run, daemon=True).start()

    def stop(self):
        self.stopped = True


def phase_link_down(m, c):
    w = m.w
    loop = ProbeLoop(m, gap=0.5)
    time.sleep(1)
    w.run("link", "dc4", "dc1", "down")
    t_down = time.monotonic()
    t_route = wait_until(lambda: m.path_is("dc4", ["dc4", "dc2", "dc3"]),
                         REROUTE_BOUND + 15, interval=0.25)
    c.check(t_route is not None and t_route <= REROUTE_BOUND,
            "link dc4-dc1 down: dc4's route to dc3 moves to dc4-dc2-dc3 after %s s "
            "(bound %.1f s)" % ("%.1f" % t_route if t_route is not None else "timeout",
                                REROUTE_BOUND))
    t_moved = time.monotonic()
    fwd2 = m.outcome("dc2", "forwarded")
    wait_until(lambda: any(r["ok"] for r in loop.since(t_moved)), 15, interval=0.1)
    loop.stop()
    during = loop.since(t_down)
    failed = [r for r in during if not r["ok"]]
    after = [r for r in loop.since(t_moved) if r["ok"]]
    c.check(during and not failed,
            "link down: all %d new connections succeeded while the route moved "
            "(slowest handshake %.0f ms); failed: %s" % (
                len(during), max((r.get("handshake_ms", 0) for r in during), default=0),
                [r.get("error") for r in failed][:3]))
    c.check(bool(after) and after[0]["t1"] - t_down <= REROUTE_BOUND + 2 and
            m.outcome("dc2", "forwarded") > fwd2,
            "link down: a new connection on the next best path (dc2's gateway forwarding) "
            "%s s after the link went down" % (
                "%.1f" % (after[0]["t1"] - t_down) if after else "never"))
    m.measure("link dc4-dc1 down", ["dc4", "dc2", "dc3"], n=3)


def phase_link_up(m, c):
    m.w.run("link", "dc4", "dc1", "up")
    t = wait_until(lambda: m.path_is("dc4", ["dc4", "dc1", "dc3"]), 60, interval=0.5)
    c.check(t is not None, "link up: dc4's route to dc3 is back through dc1 after %s s" % (
        "%.1f" % t if t is not None else "timeout"))

    # dc4's gateway ejected dc1's while the link was down (30 s): wait until
    # connections go through dc1 again.
    def through_dc1():
        before = m.outcome("dc1", "forwarded")
        return m.probe(1)[0]["ok"] and m.outcome("dc1", "forwarded") > before
    t = wait_until(through_dc1, 60, interval=1)
    c.check(t is not None, "link up: connections go through dc1's gateway again after %s s" % (
        "%.1f" % t if t is not None else "timeout"))


def phase_kill_gateway(m, c):
    w = m.w
    route = m.route("dc4")
    alts = route.get("alternates") or []
    c.check(route.get("next_hop") == "dc1" and alts,
            "before the kill: dc4 -> dc3 via dc1, alternates %s" % (
                [(a["next_hop"], a["distance_ms"]) for a in alts]))
    if not alts:
        return
    first = alts[0]["next_hop"]
    before = m.counts()
    watch = RouteWatch(m)
    loop = ProbeLoop(m, gap=0.02, timeout=5)
    wait_until(lambda: len(loop.lines) >= 3, 10, interval=0.05)  # running: python is up
    p = w.agents.pop(m.gw["dc1"])
    p.kill()
    t_kill = time.monotonic()
    p.wait()
    wait_until(lambda: any(r["ok"] for r in loop.since(t_kill)), 5, interval=0.02)
    time.sleep(0.3)
    loop.stop()
    watch.stop()
    oks = [r for r in loop.since(t_kill) if r["ok"]]
    first_ok = oks[0]["t1"] - t_kill if oks else None
    c.check(first_ok is not None and first_ok < 1.0,
            "dc1's gateway killed: the first new connection succeeded %s s later (< 1 s)" % (
                "%.3f" % first_ok if first_ok is not None else "never"))
    print("probes since the kill (start, end, error):",
          [(round(r["t0"] - t_kill, 3), round(r["t1"] - t_kill, 3), r.get("error"))
           for r in loop.since(t_kill)][:6])
    if oks:
        # dc1's agent withdraws the gateway as soon as its route socket
        # closes: the route's gateway list changes soon, its next hop not.
        same_after = [t for t, hop, _ in watch.samples if t >= oks[0]["t1"] and hop == "dc1"]
        gone = [t for t, _, gws in watch.samples if t > t_kill and m.gw["dc1"] not in gws]
        c.check(bool(same_after),
                "dc4's route to dc3 still via dc1 when the first connection succeeded "
                "(dc1's gateway withdrawn from dc4's table %s)" % (
                    "%.2f s after the kill" % (gone[0] - t_kill) if gone
                    else "not during the watch"))
    after = m.counts()
    if first == "dc3":
        carried = after["dc3"][1] > before["dc3"][1] and all(
            after[dc][0] == before[dc][0] for dc in ("dc1", "dc2"))
    else:
        carried = after[first][0] > before[first][0]
    c.check(carried, "the connections went through the route's first alternate, %s "
            "(gateway counters before %s, after %s)" % (first, before, after))
    c.check(m.route("dc4").get("next_hop") == "dc1",
            "dc4's route to dc3 still goes via dc1 (dc1's agent is up)")


def phase_single_hop(m, c):
    w = m.w
    p = w.agents.pop("dc4-s1")
    stop(p)
    w.start_agent("dc4-s1", "dc4", config=m.agent_config("dc4", single_hop=["dc3"]))

    def ready():
        r = m.route("dc4")
        if r.get("status") != "direct" or r.get("mode") != "single-hop" or \
                not m.path_is("dc4", ["dc4", "dc3"]):
            return False
        return m.probe(1)[0]["ok"]
    t = wait_until(ready, 60, interval=1)
    c.check(t is not None, "dc4's agent restarted with dc3 single-hop: dc4 -> dc3 direct, "
            "connections flow (%s s)" % ("%.1f" % t if t is not None else "timeout"))
    med = m.measure("single-hop", ["dc4", "dc3"], n=3)
    return med


def main():
    wanem, meshfed, _ = main_args()
    c = Checks()
    t_start = time.monotonic()
    with MeshWan(TOPO, "gwwan", wanem, meshfed) as w:
        m = Mesh(w, c)
        m.start()

        def ready():
            # dc1's gateway must be in dc4's route (else the probe may pass
            # through an alternate and the multi-hop timing measures dc2);
            # the gateway gets the table from its agent within a delta.
            return (m.path_is("dc4", ["dc4", "dc1", "dc3"]) and
                    (m.route("dc4").get("gateways") or []) and m.probe(1)[0]["ok"])
        t = wait_until(ready, 90, interval=1)
        c.check(t is not None, "converged: dc4 -> dc1 -> dc3, a TLS connection through the "
                "gateways works (%s s)" % ("%.0f" % t if t is not None else "timeout"))
        if t is not None:
            direct = expected_ms(["dc4", "dc3"])
            med = m.measure("multi-hop", ["dc4", "dc1", "dc3"])
            c.check(med is not None and med < direct / 2,
                    "multi-hop handshake %s ms, well under the direct link's %.0f ms" % (
                        "%.1f" % med if med is not None else "-", direct))
            phase_link_down(m, c)
            phase_link_up(m, c)
            phase_kill_gateway(m, c)
            phase_single_hop(m, c)
        if c.failed:
            for h in ("dc4-s1", "dc4-g1", "dc1-g1", "dc3-g1"):
                print("---- %s ----\n%s" % (h, w.tail(h)))
            print(w.ctl("dc4-s1", "routes").stdout)
    print("run time %.0f s" % (time.monotonic() - t_start))
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
