#!/usr/bin/python3
"""A DC's only gateway dies, with routing.require_gateways on every agent.
Four DCs in a square of network areas (a12: dc1+dc2, a24: dc2+dc4, a13:
dc1+dc3, a34: dc3+dc4; no dc1-dc4, no dc2-dc3), one agent and one `meshfed
gateway` per DC on 127.52.x.y, each gateway registered on its agent's route
socket, a Python TLS echo server behind dc4's gateway.
 - dc1's route to dc4 is `via` M (dc2 or dc3: loopback links are about
   equal, the test records which) and a TLS connection from dc1's gateway to
   echo in dc4 goes through M's gateway, which counts it forwarded;
 - M's gateway killed (SIGKILL, no other gateway in M): a connection right
   away either succeeds through O's gateway (O, the other of dc2/dc3, is
   the route's alternate when loop-free: the test waits up to 10 s for it)
   or fails within 3 s, and dc1's gateway counts it (forwarded,
   upstream_failed, or no_route / no_gateway when dc1's route went before
   the alternate was known);
 - dc1's route to dc4 moves to via O within 25 s, dc1's route to M becomes
   no-gateway, and a new connection succeeds through O's gateway (its
   forwarded count grows);
 - O's gateway killed too (no path left): connections are refused within
   3 s and counted, at once and once dc1's route to dc4 is gone."""
import json
import os
import signal
import time

from mfcluster import Failure, check, log, run, wait_for
from mfgateway import EchoServer, Gateway, TestCA, echo_roundtrip, probe_closed, sni

NET = 52
MOVE_BOUND = 25.0  # s: route moves away from M (registration closed or 15 s health expiry)


def start_agents(c):
    ip = c.ip
    # One area per DC pair; each agent binds each of its areas on its own IP,
    # a distinct port per area.
    port = {"a12": 7946, "a13": 7947, "a24": 7948, "a34": 7949}

    def area(name, i, seed=None):
        return {"name": name, "peers": ["dc" + name[1], "dc" + name[2]],
                "bind": "%s:%d" % (ip(i), port[name]),
                "join": [] if seed is None else ["%s:%d" % (ip(seed), port[name])]}

    # dc1 seeds a12 and a13, dc2 seeds a24, dc3 seeds a34: start in order.
    specs = [("d1", "dc1", 0, [area("a12", 0), area("a13", 0)]),
             ("d2", "dc2", 1, [area("a12", 1, 0), area("a24", 1)]),
             ("d3", "dc3", 2, [area("a13", 2, 0), area("a34", 2)]),
             ("d4", "dc4", 3, [area("a24", 3, 1), area("a34", 3, 2)])]
    agents = {}
    for name, dc, i, areas in specs:
        path = os.path.join(c.dir, name + ".json")
        with open(path, "w") as f:
            json.dump({"wan": False, "areas": areas, "routing": {"require_gateways": True}}, f)
        agents[dc] = c.agent(name, i, dc=dc, extra=["-config-file", path]).start()
    return agents


def gateway_addrs(r):
    return sorted(g["addr"] for g in (r or {}).get("gateways") or [])


def caught_up(agent, gw, version=None):
    """The gateway applied `version` of its agent's table (default: the
    current one)."""
    v = agent.routes()["version"] if version is None else version
    return gw.info()["route_socket"]["table_version"] >= v


def route_in(table, target):
    return next((r for r in table["routes"] if r["target"] == target), None)


def main(cluster_factory):
    c = cluster_factory(NET)
    ag = start_agents(c)
    ca = TestCA(c.dir)
    cert, key = ca.server_cert("dc4-services", [sni("echo", "dc4")])
    echo = EchoServer(c.ip(21), 4434, cert, key)
    gws = {
        "dc1": Gateway(c, "gw1", c.ip(10), "dc1", ag["dc1"].route_socket).start(),
        "dc2": Gateway(c, "gw2", c.ip(11), "dc2", ag["dc2"].route_socket).start(),
        "dc3": Gateway(c, "gw3", c.ip(12), "dc3", ag["dc3"].route_socket).start(),
        "dc4": Gateway(c, "gw4", c.ip(13), "dc4", ag["dc4"].route_socket,
                       services=["echo=" + echo.addr]).start(),
    }
    try:
        scenario(ag, gws, ca)
    finally:
        echo.close()


def scenario(ag, gws, ca):
    a1, g1 = ag["dc1"], gws["dc1"]
    name = sni("echo", "dc4")
    state = {}

    def via_mid(want_alt):
        # The route, with its gateway; want_alt: and its alternate through the
        # other middle DC with its gateway (only while loop-free: the other's
        # distance to dc4 below ours, which loopback's noisy coordinates do
        # not always give).
        table = a1.routes()
        r = state["last"] = route_in(table, "dc4")
        if not (r and r["status"] == "via" and r["next_hop"] in ("dc2", "dc3")):
            return False
        m = r["next_hop"]
        o = "dc3" if m == "dc2" else "dc2"
        alts = [(a["next_hop"], gateway_addrs(a)) for a in r.get("alternates") or []]
        if gateway_addrs(r) != [gws[m].addr] or (want_alt and (o, [gws[o].addr]) not in alts):
            return False
        # The version we looked at: the table moves on (distances) meanwhile.
        if not caught_up(a1, g1, table["version"]):
            return False
        state["r"] = r
        return True

    try:
        t = wait_for(lambda: via_mid(False), 60, "dc1 -> dc4 via dc2 or dc3 with its "
                     "gateway, gw1 caught up", interval=0.5)
    except Failure as e:
        raise Failure("%s; last route %r, gw1 %r" % (e, state.get("last"),
                                                     g1.info()["route_socket"]))
    try:
        wait_for(lambda: via_mid(True), 10, "the other middle DC as alternate", interval=0.5)
    except Failure:  # then the connection right after the kill may fail (fast)
        wait_for(lambda: via_mid(False), 30, "dc1 -> dc4 via dc2 or dc3 again", interval=0.5)
    r = state["r"]
    m = r["next_hop"]
    o = "dc3" if m == "dc2" else "dc2"
    gm, go = gws[m], gws[o]
    alts = [(a["next_hop"], gateway_addrs(a)) for a in r.get("alternates") or []]
    log("ok: dc1 -> dc4 via M=%s (O=%s) after %.1fs, distance %.1f ms, alternates %r"
        % (m, o, t, r["distance_ms"], alts))

    # One connection through M's gateway.
    fm0, fo0 = gm.outcomes()["forwarded"], go.outcomes()["forwarded"]
    got = echo_roundtrip(g1.addr, name, ca.ca, b"m" * 4000, timeout=10)
    check(got == b"m" * 4000, "echo through dc1 -> %s -> dc4: %d of 4000 bytes" % (m, len(got)))
    wait_for(lambda: gm.outcomes()["forwarded"] == fm0 + 1, 5, "%s's gateway counts it" % m)
    check(go.outcomes()["forwarded"] == fo0, "%s's gateway carried nothing: %r"
          % (o, go.outcomes()))
    log("ok: dc1 -> %s -> dc4 echo; %s's gateway counts one forwarded" % (m, m))

    # M's only gateway dies.
    gm.kill(signal.SIGKILL)
    t_kill = time.monotonic()
    # Without the alternate known yet, dc1's route to dc4 can go (M turns
    # no-gateway) before the connection: refused as no_route, still counted
    # (an ASan CI run, alternates [] at the kill).
    counted = lambda: sum(g1.outcomes()[k] for k in ("forwarded", "upstream_failed",
                                                     "no_route", "no_gateway"))
    c0 = counted()
    fo0 = go.outcomes()["forwarded"]
    t0 = time.monotonic()
    try:
        got = echo_roundtrip(g1.addr, name, ca.ca, b"k" * 4000, timeout=5)
        err = None
    except OSError as e:  # ssl.SSLError, reset, timeout
        got, err = b"", e
    dt = time.monotonic() - t0
    route_then = a1.route("dc4")
    ok = got == b"k" * 4000
    check(ok or dt < 3, "right after the kill: a connection either succeeds or fails within "
          "3 s; it took %.2fs (%d bytes back, %r)" % (dt, len(got), err))
    wait_for(lambda: counted() == c0 + 1, 5, "gw1 counts it (forwarded, upstream_failed, no_route "
             "or no_gateway)")
    if ok:
        check(go.outcomes()["forwarded"] == fo0 + 1,
              "it succeeded, so through %s's gateway: %r" % (o, go.outcomes()))
    log("ok: right after the kill (route then via %s, alternates %r): connection %s in %.2fs"
        % ((route_then or {}).get("next_hop"), alts, "succeeded through %s" % o if ok else
           "failed fast (%r), counted upstream_failed %d" % (err, g1.outcomes()[
               "upstream_failed"]), dt))

    # The route moves to O; M is no-gateway.
    def moved():
        r4 = a1.route("dc4")
        return (r4 and r4["status"] == "via" and r4["next_hop"] == o and
                gateway_addrs(r4) == [go.addr])

    wait_for(moved, MOVE_BOUND, "dc1 -> dc4 via %s" % o, interval=0.2)
    t_move = time.monotonic() - t_kill
    wait_for(lambda: (a1.route(m) or {}).get("status") == "no-gateway", 10,
             "dc1's route to %s no-gateway" % m, interval=0.2)
    t_nogw = time.monotonic() - t_kill
    log("ok: after the kill: dc1 -> dc4 via %s after %.1fs, dc1 -> %s no-gateway after %.1fs"
        % (o, t_move, m, t_nogw))

    # A new connection goes through O's gateway.
    v = a1.routes()["version"]
    wait_for(lambda: caught_up(a1, g1, v), 10, "gw1 applied the new table", interval=0.2)
    fo0 = go.outcomes()["forwarded"]
    got = echo_roundtrip(g1.addr, name, ca.ca, b"o" * 4000, timeout=10)
    check(got == b"o" * 4000, "echo through dc1 -> %s -> dc4: %d of 4000 bytes" % (o, len(got)))
    wait_for(lambda: go.outcomes()["forwarded"] == fo0 + 1, 5, "%s's gateway counts it" % o)
    log("ok: new connection dc1 -> %s -> dc4 echoed; %s's gateway forwarded %d"
        % (o, o, go.outcomes()["forwarded"]))

    # O's gateway too: no path to dc4 is left. New connections fail fast and
    # are counted, right away (gw1 still dials O's dead gateway) and once the
    # route has gone (no-gateway or unreachable).
    go.kill(signal.SIGKILL)
    t_kill = time.monotonic()
    failed = lambda: sum(g1.outcomes()[k] for k in ("upstream_failed", "no_gateway", "no_route"))
    b0 = failed()
    dt = probe_closed(g1.addr, name=name, timeout=5)
    wait_for(lambda: failed() == b0 + 1, 5, "gw1 counts the failure")
    check(dt < 3, "right after the last kill: refused within 3 s (%.2fs)" % dt)
    wait_for(lambda: (a1.route("dc4") or {}).get("status") in (None, "no-gateway", "unreachable"),
             MOVE_BOUND, "dc1 -> dc4 gone", interval=0.2)
    t_gone = time.monotonic() - t_kill
    v = a1.routes()["version"]
    wait_for(lambda: caught_up(a1, g1, v), 10, "gw1 applied the new table", interval=0.2)
    worst = max(probe_closed(g1.addr, name=name, timeout=5) for _ in range(3))
    wait_for(lambda: failed() == b0 + 4, 5, "gw1 counts 3 more failures")
    check(worst < 3, "no path: each refused within 3 s (worst %.2fs)" % worst)
    o1 = g1.outcomes()
    log("ok: both middle gateways dead: refused in %.2fs at once; dc1 -> dc4 %s after %.1fs; "
        "then refused in at most %.2fs (upstream_failed %d, no_gateway %d, no_route %d)"
        % (dt, (a1.route("dc4") or {}).get("status"), t_gone, worst, o1["upstream_failed"],
           o1["no_gateway"], o1["no_route"]))


run(main)
