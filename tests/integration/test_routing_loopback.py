#!/usr/bin/python3
"""Routing between DCs in real agents, on loopback: 3 DCs x 2 agents in a
line of network areas (a12: dc1+dc2, a23: dc2+dc3), no WAN pool.
 - every agent's `meshfed routes`: dc1 reaches dc3 via dc2 (path
   dc1,dc2,dc3) and back; dc2 reaches both directly; both agents of a DC
   publish the same routes (target, status, next hop, path);
 - `meshfed members -pool a12` and `meshfed info` show the areas;
 - gateways from config reach the neighbour as the next hop's endpoints;
 - both dc3 agents killed: dc3 is unreachable everywhere within a bound;
 - a second line with transit off on dc2: dc1 cannot reach dc3 (nor dc3
   dc1), while dc2 still reaches both;
 - WAN pool and an area mixed: dc1 and dc2 in the WAN pool, dc2 and dc3 in
   an area (dc3 without a WAN pool): dc1 reaches dc3 via dc2."""
import json
import os
import signal
import time

from mfcluster import check, demo_line, log, run, wait_for

BOUND_S = 40  # local profile: up to two Lifeguard suspicion timeouts (~11 s each)


def routes(agent):
    return agent.routes()


def route(agent, target):
    return agent.route(target)


def shape(agent):
    return sorted((r["target"], r["status"], r["next_hop"], tuple(r["path"]))
                  for r in routes(agent)["routes"])


def build(c, transit_dc2=True, base=0):
    """Six agents; returns {dc: [agent, agent]}."""
    def conf(name, dc, areas, transit=True, gateways=()):
        path = os.path.join(c.dir, name + ".json")
        cfg = {"wan": False, "areas": areas,
               "routing": {"transit": transit}, "gateways": list(gateways)}
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    gw2 = [{"name": "dc2-gw", "lan": "10.2.0.1:8443", "wan": "192.0.2.2:8443",
            "tagged": {"dc:dc1": "198.51.100.2:8443"}}]
    specs = [("d" + suffix, dc, i, areas, transit_dc2 if dc == "dc2" else True,
              gw2 if dc == "dc2" else [])
             for suffix, dc, i, areas in demo_line(c, base)]
    out = {}
    for name, dc, i, areas, transit, gw in specs:
        path = conf(name + ("" if base == 0 else "-t"), dc, areas, transit, gw)
        a = c.agent(name + ("" if base == 0 else "t"), base + i, dc=dc,
                    extra=["-config-file", path]).start()
        # At once, before any gossip: the table already holds our own DC.
        own = routes(a)["routes"]
        check([r["target"] for r in own if r["status"] == "local"] == [dc],
              "%s's table right after start: %r" % (name, own))
        out.setdefault(dc, []).append(a)
    return out


def main(cluster_factory):
    c = cluster_factory(18)
    dcs = build(c)
    d1, d2, d3 = dcs["dc1"], dcs["dc2"], dcs["dc3"]

    def ok_line():
        for a in d1:
            r = route(a, "dc3")
            if not r or r["status"] != "via" or r["path"] != ["dc1", "dc2", "dc3"]:
                return False
        for a in d3:
            r = route(a, "dc1")
            if not r or r["status"] != "via" or r["path"] != ["dc3", "dc2", "dc1"]:
                return False
        for a in d2:
            if any((route(a, t) or {}).get("status") != "direct" for t in ("dc1", "dc3")):
                return False
        return True

    t = wait_for(ok_line, 60, "dc1 -> dc3 via dc2 and back", interval=0.5)
    r = route(d1[0], "dc3")
    check(r["next_hop"] == "dc2" and r["distance_ms"] is not None and r["distance_ms"] >= 0,
          "dc1 -> dc3: next hop dc2, finite distance: %r" % r)
    log("ok: dc1 reaches dc3 via dc2 (path dc1,dc2,dc3) and back, after %.1fs" % t)

    gws = r.get("gateways") or []
    check(any(g.get("addr") == "198.51.100.2:8443" for g in gws),
          "dc1 dials dc2's gateway at its dc:dc1 tagged address: %r" % gws)
    gws3 = route(d3[0], "dc1").get("gateways") or []
    check(any(g.get("addr") == "192.0.2.2:8443" for g in gws3),
          "dc3 dials dc2's gateway at its WAN address: %r" % gws3)
    log("ok: next-hop gateways: tagged address for dc1, WAN address for dc3")

    for dc, pair in dcs.items():
        wait_for(lambda: shape(pair[0]) == shape(pair[1]), 20,
                 "both %s agents publishing the same routes" % dc, interval=0.5)
    log("ok: both agents of each DC publish the same routes")

    for _ in range(8):  # and the routes hold (no flapping through push-pulls)
        check(ok_line(), "routes stay: dc1 %r, dc3 %r" % (route(d1[0], "dc3"),
                                                           route(d3[0], "dc1")))
        time.sleep(0.5)
    log("ok: the routes are stable over 4s")

    # A joiner's alive is gossiped only retransmit_mult * ceil(log10(n+1))
    # times (2 in a 4-member `local` pool), so a member may first hear of
    # another at the next push-pull (15 s in `local`), as with memberlist.
    def a12_names():
        mem = json.loads(d1[0].ctl("members", "-pool", "a12", "-format", "json").stdout)
        return sorted(m["name"] for m in mem)
    wait_for(lambda: a12_names() == ["d1a", "d1b", "d2a", "d2b"], 20,
             "members -pool a12 to list d1a, d1b, d2a, d2b")
    r = d1[0].ctl("members", "-pool", "wan", check_rc=False)
    check(r.returncode == 1 and "no pool named wan" in r.stderr, "no WAN pool: %r" % r.stderr)
    pools = [p["name"] for p in d2[0].info()["pools"]]
    check(pools == ["a12", "a23"], "info lists dc2's pools: %r" % pools)
    log("ok: members -pool a12 lists the area; info lists pools %r" % pools)

    inf = d1[0].info()
    check(inf["serf"]["decode_errors"] == 0 and inf["serf"]["push_pulls_merged"] > 0,
          "serf glue reads push-pulls that carry MeshfedDigest: %r" % inf["serf"])
    # push-pull carries digests (docs/routing.md, "Anti-entropy by digest")
    check(inf["routing"]["digests_in"] > 0 and inf["routing"]["bad_digests"] == 0
          and inf["routing"]["bad_full_states"] == 0
          and inf["routing"]["bad_fragments"] == 0, "routing counters: %r" % inf["routing"])
    log("ok: push-pulls carry adverts (%d full states in), no decode errors"
        % inf["routing"]["full_states_in"])

    dot = d1[0].ctl("routes", "-format", "dot").stdout
    check(dot.startswith("digraph") or "graph" in dot.split("\n")[0], "dot output: %r" % dot[:60])
    text = d1[0].ctl("routes").stdout
    check("dc3" in text and "via" in text, "table output: %r" % text)
    log("ok: routes -format dot and table render")

    t0 = time.monotonic()
    for a in d3:
        a.kill(signal.SIGKILL)

    def dc3_gone():
        return all((route(a, "dc3") or {"status": "unreachable"})["status"] == "unreachable"
                   for a in d1 + d2)

    wait_for(dc3_gone, BOUND_S, "dc3 unreachable everywhere after both dc3 agents died",
             interval=0.5)
    log("ok: dc3 unreachable in dc1 and dc2 %.1fs after both dc3 agents were killed"
        % (time.monotonic() - t0))
    with open(d2[0].logpath, "rb") as f:
        for line in f.read().decode(errors="replace").splitlines():
            if ("d3" in line and ("failed" in line or "suspect" in line)) or "withdraw" in line:
                log("   %s: %s" % (d2[0].name, line))
    for a in d1 + d2:
        a.kill(signal.SIGTERM)

    # A second line with transit off on dc2.
    dcs = build(c, transit_dc2=False, base=20)
    d1, d2, d3 = dcs["dc1"], dcs["dc2"], dcs["dc3"]

    def direct_everywhere():
        return all((route(a, t) or {}).get("status") == "direct"
                   for a in d2 for t in ("dc1", "dc3")) and \
            all((route(a, "dc2") or {}).get("status") == "direct" for a in d1 + d3)

    wait_for(direct_everywhere, 60, "direct links in the transit-off line", interval=0.5)
    time.sleep(3)  # adverts have had time to spread
    for a in d1:
        r = route(a, "dc3")
        check(r is None or r["status"] == "unreachable",
              "transit off on dc2: dc1 must not reach dc3: %r" % r)
    for a in d3:
        r = route(a, "dc1")
        check(r is None or r["status"] == "unreachable",
              "transit off on dc2: dc3 must not reach dc1: %r" % r)
    log("ok: with transit off on dc2, dc1 and dc3 cannot reach each other; dc2 reaches both")
    for dc in dcs.values():
        for a in dc:
            a.kill(signal.SIGTERM)

    # WAN pool dc1 + dc2, area dc2 + dc3.
    def conf(name, cfg):
        path = os.path.join(c.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return ["-config-file", path]

    w1 = c.agent("w1", 40, dc="dc1").start()
    w2 = c.agent("w2", 41, dc="dc2", join=[w1.addr], extra=conf("w2", {
        "areas": [{"name": "x23", "peers": ["dc3"], "bind": "%s:7947" % c.ip(41)}]})).start()
    w3 = c.agent("w3", 42, dc="dc3", extra=conf("w3", {
        "wan": False,
        "areas": [{"name": "x23", "peers": ["dc2"], "bind": "%s:7947" % c.ip(42),
                   "join": ["%s:7947" % c.ip(41)]}]})).start()

    def mixed():
        r1, r3 = route(w1, "dc3"), route(w3, "dc1")
        return r1 and r1["path"] == ["dc1", "dc2", "dc3"] and \
            r3 and r3["path"] == ["dc3", "dc2", "dc1"]

    wait_for(mixed, 60, "dc1 (WAN) -> dc3 (area) via dc2 and back", interval=0.5)
    pools = [p["name"] for p in w2.info()["pools"]]
    check(pools == ["wan", "x23"], "dc2's pools: %r" % pools)
    log("ok: WAN pool + area: dc1 reaches dc3 via dc2 (pools of dc2: %r)" % pools)


run(main)
