#!/usr/bin/python3
"""The route socket between real agents on loopback, laid out as the demo's
line: 3 DCs x 2 agents, area a12 (dc1+dc2) and area a23 (dc2+dc3), no WAN
pool, profile `local`, each agent with its own -route-socket.
 - a subscriber on a dc1 agent gets hello (protocol 1, its DC and node),
   then a snapshot, then deltas; each applied table equals what
   `meshfed routes -format json` shows for that version; versions strictly
   increase;
 - a gateway registered (register + health) on a dc2 agent's route socket
   by docs/route-socket-example.py appears in dc1's `meshfed routes` among
   the gateways of its routes to dc2 and to dc3 (next hop dc2 for both), at
   its dc:dc1 tagged address, and is gone within 15 s + one advertisement
   after the example's connection closes;
 - both dc3 agents killed: the dc1 subscriber gets a delta in which dc3 is
   unreachable within the routing failover bound (docs/routing.md);
 - `meshfed routes -watch -format json` printed the snapshot and later
   versions, one table object per line, and exits 1 with one line when its
   agent is killed;
 - a second line with routing.require_gateways true on every agent, dc1 and
   dc3 with configured gateways, dc2 without: dc1 does not use dc2 as
   transit to dc3 (dc2 is no-gateway, dc3 unreachable); once a gateway
   registers on a dc2 agent, dc1 reaches dc3 via dc2."""
import json
import os
import signal
import subprocess
import time

from mfcluster import check, demo_line, log, run, wait_for
from rsock import Example, Subscriber, route_of, routes_json

BOUND_S = 40     # failover bound of test_routing_loopback.py (local profile)
GW_SILENCE_S = 15  # a gateway without health for 15 s is withdrawn
ADVERT_S = 10    # one advertisement: rate limit plus gossip to the neighbours
GW1 = {"name": "dc1-gw", "wan": "192.0.2.1:8443"}
GW3 = {"name": "dc3-gw", "wan": "192.0.2.3:8443"}


def build(c, base=0, require_gateways=None):
    """Six agents as the demo's line, each with its own route socket
    (mfcluster's -route-socket); returns {dc: [agent, agent]}. With
    require_gateways set, every agent's config has it, and dc1 and dc3 have
    a configured gateway each, dc2 none."""
    out = {}
    for suffix, dc, i, areas in demo_line(c, base):
        name = ("g" if require_gateways else "d") + suffix
        cfg = {"wan": False, "areas": areas}
        if require_gateways is not None:
            cfg["routing"] = {"require_gateways": require_gateways}
            cfg["gateways"] = {"dc1": [GW1], "dc2": [], "dc3": [GW3]}[dc]
        path = os.path.join(c.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        a = c.agent(name, base + i, dc=dc, extra=["-config-file", path]).start()
        wait_for(lambda: os.path.exists(a.route_socket), 5, "%s's route socket" % name)
        out.setdefault(dc, []).append(a)
    return out


def gateways(route):
    return sorted((g["name"], g["addr"]) for g in (route or {}).get("gateways") or [])


def check_versions(sub, who):
    vs = [m["version"] for _, m in sub.log if m["type"] in ("snapshot", "delta")]
    check(all(a < b for a, b in zip(vs, vs[1:])),
          "%s: versions strictly increase: %r" % (who, vs))
    for _, m in sub.log:
        if m["type"] == "delta":
            check(m["version"] > m["base"], "delta version above its base: %r" % m)
    return vs


def line_one(c):
    dcs = build(c)
    d1, d2, d3 = dcs["dc1"], dcs["dc2"], dcs["dc3"]

    # Subscribe before the routes converge, so the deltas carry them in.
    sub = Subscriber(d1[0].route_socket)
    hello = sub.next(5)
    check(hello and hello["type"] == "hello" and hello["protocol"] == 1
          and hello["datacenter"] == "dc1" and hello["node"] == d1[0].name
          and isinstance(hello["epoch"], int), "first message is hello: %r" % hello)
    snap = sub.next(5)
    check(snap and snap["type"] == "snapshot" and snap["epoch"] == hello["epoch"]
          and snap["table"]["datacenter"] == "dc1", "then a snapshot: %r" % snap)
    log("ok: subscriber on %s got hello (epoch %d) and snapshot version %d"
        % (d1[0].name, hello["epoch"], snap["version"]))

    watch = subprocess.Popen([c.meshfed, "routes", "-watch", "-format", "json",
                              "-route-socket", d1[1].route_socket],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def dc3_via_dc2(m):
        r = route_of(sub.state.table(), "dc3")
        return r is not None and r["status"] == "via" and r["next_hop"] == "dc2"

    sub.until(dc3_via_dc2, 60, "a delta with dc3 via dc2")
    check(sub.state.epoch == hello["epoch"], "same epoch throughout")
    log("ok: deltas brought dc1 -> dc3 via dc2 (version %d)" % sub.state.version)

    # The applied table is what `meshfed routes` shows at that version.
    seen = {}

    def versions_meet():
        sub.drain(0.3)
        seen["cli"] = routes_json(d1[0])
        return seen["cli"]["version"] == sub.state.version
    wait_for(versions_meet, 20, "the subscriber and `meshfed routes` at one version",
             interval=0.2)
    check(seen["cli"] == sub.state.table(), "snapshot + deltas give `meshfed routes -format "
          "json`:\n cli %r\n sub %r" % (seen["cli"], sub.state.table()))
    log("ok: snapshot + deltas reproduce `meshfed routes -format json` at version %d"
        % sub.state.version)

    # A gateway registered on dc2's route socket, by the example program.
    # First d1a must know d2a: a joiner may first hear of another member at
    # the next push-pull (15 s in `local`), and adverts are taken only from
    # servers alive in the pool they came through (routing/node.h).
    def d2a_known():
        mem = json.loads(d1[0].ctl("members", "-pool", "a12", "-format", "json").stdout)
        return any(m["name"] == d2[0].name and m["status"] == "alive" for m in mem)
    wait_for(d2a_known, 30, "%s to see %s alive in a12" % (d1[0].name, d2[0].name),
             interval=0.5)
    gw = ("dc2-gwx", "198.51.100.22:8443")
    ex = Example(d2[0].route_socket, "--name", gw[0], "--wan", "192.0.2.22:8443",
                 "--lan", "10.2.0.22:8443", "--tag", "dc:dc1=" + gw[1])
    ex.until(lambda ln: ln.startswith("registered gateway dc2-gwx"), 10, "registered")
    ex.until(lambda ln: "dc1: direct dc1" in ln, 10, "its next hops")

    def gw_in_dc1():
        t = routes_json(d1[0])
        return all(gw in gateways(route_of(t, x)) and route_of(t, x)["next_hop"] == "dc2"
                   for x in ("dc2", "dc3"))
    took = wait_for(gw_in_dc1, GW_SILENCE_S + ADVERT_S, "dc1's routes to dc2 and dc3 to list "
                    "the registered gateway", interval=0.2)
    sub.until(lambda m: gw in gateways(route_of(sub.state.table(), "dc3")), 10,
              "the gateway in the subscriber's table")
    log("ok: gateway registered on %s appears in dc1's routes to dc2 and dc3 after %.1fs"
        % (d2[0].name, took))

    ex.stop()  # closes the registering connection
    took = wait_for(lambda: all(gw not in gateways(route_of(routes_json(d1[0]), x))
                                for x in ("dc2", "dc3")),
                    GW_SILENCE_S + ADVERT_S, "the gateway to leave dc1's routes", interval=0.2)
    log("ok: the gateway left dc1's routes %.1fs after its connection closed" % took)

    # Both dc3 servers die: a delta makes dc3 unreachable.
    t0 = time.monotonic()
    for a in d3:
        a.kill(signal.SIGKILL)

    def dc3_gone(m):
        if m["type"] != "delta":
            return False
        gone = "dc3" in m.get("remove", []) or any(
            r["target"] == "dc3" and r["status"] == "unreachable" for r in m.get("upsert", []))
        return gone
    m = sub.until(dc3_gone, BOUND_S, "a delta with dc3 unreachable")
    log("ok: delta version %d (base %d) made dc3 unreachable %.1fs after the kill"
        % (m["version"], m["base"], time.monotonic() - t0))
    vs = check_versions(sub, d1[0].name)
    log("ok: %d versions, strictly increasing, one epoch" % len(vs))
    sub.close()

    # The watching CLI: killed agent -> one line, exit 1.
    d1[1].kill(signal.SIGKILL)
    try:
        out, err = watch.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        watch.kill()
        check(False, "routes -watch still running 10 s after its agent was killed")
    tables = [json.loads(x) for x in out.splitlines()]
    check(watch.returncode == 1, "routes -watch exits 1 when the agent dies: %r" % watch.returncode)
    check(err.strip().count("\n") == 0 and "closed the route socket" in err,
          "routes -watch says so in one line: %r" % err)
    check(len(tables) >= 2, "routes -watch printed the snapshot and later versions: %r" % out)
    keys = set(routes_json(d1[0]).keys())
    check(all(set(t.keys()) == keys and t["datacenter"] == "dc1" for t in tables),
          "each line is a `routes -format json` object: %r" % tables[0])
    wv = [t["version"] for t in tables]
    check(all(a < b for a, b in zip(wv, wv[1:])), "watch versions increase: %r" % wv)
    check(any(route_of(t, "dc3") and route_of(t, "dc3")["status"] == "via" for t in tables),
          "routes -watch showed dc3 via dc2 at some version")
    log("ok: routes -watch printed %d versions (%d..%d) and exited 1: %s"
        % (len(tables), wv[0], wv[-1], err.strip()))
    for dc in dcs.values():
        for a in dc:
            a.kill(signal.SIGTERM)


def line_two(c):
    dcs = build(c, base=20, require_gateways=True)
    d1, d2 = dcs["dc1"], dcs["dc2"]

    def dc2_known():
        r = route_of(routes_json(d1[0]), "dc2")
        return r is not None and r["status"] == "no-gateway"
    wait_for(dc2_known, 60, "dc1 to see dc2 (status no-gateway: dc2 has no gateway)",
             interval=0.5)
    time.sleep(5)  # time for dc3's advertisements to reach dc1, were dc2 transit
    for a in d1:
        r = route_of(routes_json(a), "dc3")
        check(r is None or (r["status"] in ("unreachable", "no-gateway")
                            and r["next_hop"] is None),
              "require_gateways: dc1 must not reach dc3 through gateway-less dc2: %r" % r)
    log("ok: require_gateways: dc2 without gateways is no-gateway and not transit to dc3")

    # The same mesh once dc2 has a gateway: dc3 via dc2 (the check above can fail).
    ex = Example(d2[1].route_socket, "--name", "dc2-late", "--wan", "192.0.2.23:8443")
    ex.until(lambda ln: ln.startswith("registered gateway dc2-late"), 10, "registered")

    def via():
        r = route_of(routes_json(d1[0]), "dc3")
        return r is not None and r["status"] == "via" and r["next_hop"] == "dc2"
    took = wait_for(via, 40, "dc1 -> dc3 via dc2 once dc2 has a gateway", interval=0.5)
    log("ok: with a gateway registered on dc2, dc1 reaches dc3 via dc2 after %.1fs" % took)
    ex.stop()


def main(cluster_factory):
    c = cluster_factory(19)
    line_one(c)
    line_two(c)


run(main)
