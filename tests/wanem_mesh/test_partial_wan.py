#!/usr/bin/python3
"""A link is usable only if it works directly (issue 13, point 4), with real
agents on the WAN emulator: one WAN pool of dc1, dc3 and dc4 (2 meshfed
servers each, profile `lan`) and a stock serf agent in dc1 (dc1-s3). The
dc3-dc4 link is the shortest way between them (30 ms, against 40 + 40 via
dc1). Three cuts, each healed before the next:
 - `link dc4 dc3 down oneway` (dc4 -> dc3 dropped), then `link dc3 dc4 down
   oneway` (the other direction), then `link dc3 dc4 down` (both): every
   dc3 and dc4 agent routes to the other DC through dc1 within the bound;
   memberlist's indirect probes (through dc1) keep everyone alive, so at no
   time does any meshfed agent or the serf agent list a member as failed,
   and the serf agent's log shows no failure or suspicion;
 - after each heal the direct routes return.
Bound: two probes in a row without a direct answer, for each of the far
DC's servers: two round-robin passes of the pool's 7 members at the `lan`
probe interval, doubled for Lifeguard's stretch, plus 2 s for the tick and
the recompute (docs/routing.md, "A link is usable only if it works
directly").
Needs root (network namespaces); skipped with a message otherwise.
Usage: test_partial_wan.py WANEM MESHFED"""
import os
import shutil
import sys
import time

from meshwan import Checks, MeshWan, main_args, wait_until

RTT = {("dc1", "dc3"): 40, ("dc1", "dc4"): 40, ("dc3", "dc4"): 30}
TOPO = {
    "datacenters": {"dc1": {"servers": 3}, "dc3": {"servers": 2}, "dc4": {"servers": 2}},
    "rtt_ms": {"dc1": {"dc3": 40, "dc4": 40}, "dc3": {"dc4": 30}},
}
MEMBERS = 7
BOUND = 2 * MEMBERS * 1.0 * 2 + 2.0


def main():
    wanem, meshfed, _ = main_args()
    c = Checks()
    have_serf = shutil.which("serf") is not None
    with MeshWan(TOPO, "partial", wanem, meshfed) as w:
        seed = w.addr("dc1-s1") + ":7946"
        hosts = w.start_wan_pool([(dc, 2) for dc in ("dc1", "dc3", "dc4")], profile="lan")
        n = len(hosts)
        if have_serf:
            w.start_serf("dc1-s3", seed, profile="lan", log_name="serf")
            n += 1
        else:
            c.check(False, "serf is installed (scripts/setup installs it)")

        def alive_everywhere():
            return all(len([m for m in w.ctl_json(h, "members") or []
                            if m["status"] == "alive"]) == n for h, _ in hosts)
        t = wait_until(alive_everywhere, 60)
        c.check(t is not None, "%d members alive in every agent's WAN pool" % n)

        dc3 = [h for h, dc in hosts if dc == "dc3"]
        dc4 = [h for h, dc in hosts if dc == "dc4"]

        def direct_both_ways():
            return (all(w.route_is(h, "dc3", "direct", ["dc4", "dc3"]) for h in dc4) and
                    all(w.route_is(h, "dc4", "direct", ["dc3", "dc4"]) for h in dc3))

        def via_dc1_both_ways():
            return (all(w.route_is(h, "dc3", "via", ["dc4", "dc1", "dc3"]) for h in dc4) and
                    all(w.route_is(h, "dc4", "via", ["dc3", "dc1", "dc4"]) for h in dc3))

        # Converged means the way round is known too: every dc3 and dc4
        # agent holds the route through dc1 as an alternate. A cut before
        # that (a CI run cut 1 s after the direct routes appeared) measures
        # how long a cold agent takes to learn dc1's advert, not failover.
        def via_dc1_known(h, target):
            r = w.routes(h).get(target) or {}
            return any(a.get("next_hop") == "dc1" for a in r.get("alternates") or [])

        def converged():
            return direct_both_ways() and all(via_dc1_known(h, "dc3") for h in dc4) and \
                all(via_dc1_known(h, "dc4") for h in dc3)

        t = wait_until(converged, 120, interval=1)
        c.check(t is not None, "dc3 <-> dc4 direct, the way through dc1 known as an alternate "
                "(%s s)" % ("%.0f" % t if t is not None else "timeout"))

        failed_seen = []

        def nobody_failed():
            for h, _ in hosts:
                for m in w.ctl_json(h, "members") or []:
                    if m["status"] not in ("alive", "suspect"):
                        failed_seen.append("%s sees %s %s" % (h, m["name"], m["status"]))
            if have_serf:
                out = w.serf("dc1-s3", "members").stdout
                for line in out.splitlines():
                    if line.split() and "alive" not in line.split():
                        failed_seen.append("serf sees %s" % line.strip())
            return False

        for cut in (["dc4", "dc3", "down", "oneway"], ["dc3", "dc4", "down", "oneway"],
                    ["dc3", "dc4", "down"]):
            name = "link %s" % " ".join(cut)
            failed_seen.clear()
            w.run("link", *cut)
            t0 = time.monotonic()
            t = wait_until(lambda: (nobody_failed(), via_dc1_both_ways())[1], BOUND + 20,
                           interval=0.5)
            c.check(t is not None and t <= BOUND,
                    "%s: dc3 and dc4 route to each other via dc1 after %s s (bound %.0f s)" % (
                        name, "%.1f" % t if t is not None else "timeout", BOUND))
            # hold the cut a while longer: still nobody failed
            while time.monotonic() - t0 < BOUND + 10:
                nobody_failed()
                time.sleep(1)
            c.check(not failed_seen, "%s: no member failed in any meshfed agent's or the "
                    "serf agent's view %s" % (name, sorted(set(failed_seen))[:6]))
            w.run("link", cut[0], cut[1], "up")
            t = wait_until(direct_both_ways, 120, interval=1)
            c.check(t is not None, "%s healed: direct routes return (%s s)" % (
                name, "%.0f" % t if t is not None else "timeout"))
        if have_serf:
            with open(os.path.join(w.dir, "serf.log"), errors="replace") as f:
                bad = [ln.strip() for ln in f
                       if "EventMemberFailed" in ln or "Suspect" in ln or "failed" in ln]
            c.check(not bad, "the serf agent logged no failure or suspicion %s" % bad[:4])
        if c.failed:
            for h in ("dc3-s1", "dc4-s1"):
                print("---- %s log ----\n%s" % (h, w.tail(h)))
                print(w.ctl(h, "routes").stdout)
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
