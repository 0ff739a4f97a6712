#!/usr/bin/python3
"""Mesh gateways on loopback: three DCs as a line of network areas (a12:
dc1+dc2, a23: dc2+dc3), one agent and one `meshfed gateway` per DC, each on
its own 127.40.x.y address; the gateways subscribe to their agent's route
socket. A test CA is made with openssl at test time.
 - `openssl s_client` to dc1's gateway with SNI
   web.default.dc3.internal.example.test completes a verified handshake with
   an `openssl s_server -rev` registered as -service web on dc3's gateway,
   and data goes both ways; dc2's gateway counts one forwarded connection
   and the payload is nowhere in its log;
 - 100 concurrent TLS connections each carrying 1 MB come back intact
   (sha256), through a Python TLS echo server in dc3;
 - unknown service, wrong trust domain, no SNI, garbage and an unknown DC
   are closed and counted by cause;
 - dc1's agent killed: dc1's gateway keeps forwarding on its last table,
   and re-subscribes when the agent is back;
 - a second dc2 gateway: killing the first, new connections go through the
   second; killing both, new connections fail fast and are counted."""
import os
import signal
import subprocess
import time

from mfcluster import check, log, run, start_line, wait_for
from mfgateway import (EchoServer, Gateway, TestCA, echo_concurrently, echo_roundtrip,
                       probe_closed, s_client_exchange, sni)

NET = 40
PAYLOAD_LINE = "meshfed-plaintext-canary-7f3a9c"


def gateway_addrs(agent, target):
    r = agent.route(target) or {}
    return sorted(g["addr"] for g in r.get("gateways") or [])


def start_agents(c):
    # mfcluster gives each agent its own route socket (a.route_socket).
    return start_line(c)


def converged(ag):
    r13, r31 = ag["dc1"].route("dc3"), ag["dc3"].route("dc1")
    return (r13 and r13["status"] == "via" and r13["next_hop"] == "dc2" and
            r31 and r31["status"] == "via" and r31["next_hop"] == "dc2")


def wait_gateways(ag, gws, want2, what):
    """Waits until every agent's table lists the gateways of its next hops
    (dc2's as want2) and every gateway applied its agent's version."""
    w1, w3 = [gws["dc1"].addr], [gws["dc3"].addr]

    def ok():
        if gateway_addrs(ag["dc1"], "dc3") != want2 or gateway_addrs(ag["dc1"], "dc2") != want2:
            return False
        if gateway_addrs(ag["dc3"], "dc1") != want2 or gateway_addrs(ag["dc3"], "dc2") != want2:
            return False
        if gateway_addrs(ag["dc2"], "dc1") != w1 or gateway_addrs(ag["dc2"], "dc3") != w3:
            return False
        for dc, g in gws.items():
            if g.proc is None:
                continue
            # The agent's version first: its table moves on (distances) while
            # we look, and the gateway's lags it by the publish only.
            v = ag[dc[:3]].routes()["version"]
            if g.info()["route_socket"]["table_version"] < v:
                return False
        return True

    t = wait_for(ok, 60, what, interval=0.5)
    log("ok: %s after %.1fs" % (what, t))


def main(cluster_factory):
    c = cluster_factory(NET)
    ag = start_agents(c)
    t = wait_for(lambda: converged(ag), 60, "dc1 -> dc3 via dc2 and back", interval=0.5)
    log("ok: routes converged (dc1 -> dc2 -> dc3) after %.1fs" % t)

    ca = TestCA(c.dir)
    cert, key = ca.server_cert("dc3-services", [sni("web", "dc3"), sni("echo", "dc3")])
    web = "%s:4433" % c.ip(20)
    sserver_log = open(os.path.join(c.dir, "s_server.log"), "wb")
    sserver = subprocess.Popen(
        ["openssl", "s_server", "-accept", web, "-cert", cert, "-key", key, "-rev"],
        stdout=sserver_log, stderr=subprocess.STDOUT)
    echo = EchoServer(c.ip(21), 4434, cert, key)

    gws = {
        "dc1": Gateway(c, "gw1", c.ip(10), "dc1", ag["dc1"].route_socket).start(),
        "dc2": Gateway(c, "gw2", c.ip(11), "dc2", ag["dc2"].route_socket).start(),
        "dc3": Gateway(c, "gw3", c.ip(13), "dc3", ag["dc3"].route_socket,
                       services=["web=" + web, "echo=" + echo.addr]).start(),
    }
    try:
        scenario(c, ag, gws, ca, echo)
    finally:
        sserver.kill()
        sserver.wait()
        echo.close()


def scenario(c, ag, gws, ca, echo):
    g1, g2, g3 = gws["dc1"], gws["dc2"], gws["dc3"]
    wait_gateways(ag, gws, [g2.addr], "each DC's table lists its next hops' gateways")
    for g in (g1, g2, g3):
        inf = g.info()
        check(inf["route_socket"]["connected"] and inf["gateway"]["dc"] == g.dc,
              "%s subscribed: %r" % (g.name, inf["route_socket"]))

    # One verified handshake across two gateway hops, data both ways.
    name = sni("web", "dc3")
    verified, replied, out = s_client_exchange(g1.addr, name, ca.ca, PAYLOAD_LINE)
    check(verified, "s_client through dc1's gateway verifies the dc3 server:\n%s" % out[-2000:])
    check(replied, "s_server -rev's reply came back through the gateways:\n%s" % out[-2000:])
    log("ok: openssl s_client -> gw1 (dc1) -> gw2 (dc2) -> gw3 (dc3) -> s_server: verified "
        "handshake, data both ways")
    wait_for(lambda: g2.outcomes()["forwarded"] == 1 and g3.outcomes()["local"] == 1 and
             g1.outcomes()["forwarded"] == 1 and g2.info()["connections"]["active"] == 0,
             10, "counters: gw1 forwarded 1, gw2 forwarded 1, gw3 local 1, relays closed")
    o2 = g2.outcomes()
    check(sum(o2.values()) == 1, "dc2's gateway saw exactly one connection: %r" % o2)
    b = g2.info()["bytes"]
    check(b["client_to_upstream"] > len(PAYLOAD_LINE) and b["upstream_to_client"] > 0,
          "gw2 relayed bytes both ways: %r" % b)
    for g in (g1, g2, g3):
        check(PAYLOAD_LINE.encode() not in g.log_text() and
              PAYLOAD_LINE[::-1].encode() not in g.log_text(),
              "%s's log holds no payload" % g.name)
    log("ok: dc2's gateway counts one forwarded connection (%d bytes up, %d down), no "
        "payload in any gateway log" % (b["client_to_upstream"], b["upstream_to_client"]))

    # 100 concurrent connections, 1 MB each, through both hops.
    n, size = 100, 1 << 20
    before = g2.outcomes()["forwarded"]
    dt = echo_concurrently(g1.addr, sni("echo", "dc3"), ca.ca, n, size)
    check(g2.outcomes()["forwarded"] - before == n,
          "gw2 forwarded %d more: %r" % (n, g2.outcomes()))
    log("ok: %d concurrent TLS connections x 1 MB echoed intact through 3 gateways in %.1fs "
        "(%.0f MB/s each way)" % (n, dt, n * size / dt / 1e6))

    # Refusals, each closed and counted by cause.
    def refused(g, cause, what, via=None, **kw):
        b0 = g.outcomes()[cause]
        dt_ = probe_closed((via or g1).addr, **kw)
        wait_for(lambda: g.outcomes()[cause] == b0 + 1, 5,
                 "%s counted as %s on %s" % (what, cause, g.name))
        check(dt_ < 3, "%s closed within 3 s (%.2fs)" % (what, dt_))
        log("ok: %s: closed after %.2fs, %s counts %s" % (what, dt_, g.name, cause))

    refused(g3, "unknown_service", "unknown service in dc3", name=sni("nosuch", "dc3"))
    refused(g1, "unknown_service", "unknown service in dc1", name=sni("nosuch", "dc1"))
    refused(g1, "unknown_trust_domain", "wrong trust domain",
            name="web.default.dc3.internal.other.test")
    refused(g1, "bad_hello", "no SNI", no_sni=True)
    refused(g1, "bad_hello", "garbage", data=b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    refused(g1, "bad_hello", "malformed SNI name", name="web.dc3.internal.example.test")
    refused(g1, "no_route", "unknown DC", name=sni("web", "dc9"))
    refused(g2, "untrusted_proxy", "PROXY header from a non-gateway", via=g2,
            data=b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" + bytes(12))
    gw_lines = [l for l in g1.log_text().decode(errors="replace").splitlines()
                if "refused connection" in l]
    for cause in ("unknown_service", "unknown_trust_domain", "bad_hello", "no_route"):
        check(any(cause in l for l in gw_lines), "a log line names %s: %r" % (cause, gw_lines))
    log("ok: one log line per refusal, naming the cause (%d lines)" % len(gw_lines))

    # dc1's agent goes away: its gateway forwards on the last table, then
    # re-subscribes when the agent is back.
    ag["dc1"].kill(signal.SIGKILL)
    time.sleep(0.5)
    got = echo_roundtrip(g1.addr, sni("echo", "dc3"), ca.ca, b"x" * 1000)
    check(got == b"x" * 1000, "forwarding with the agent away")
    check(not g1.info()["route_socket"]["connected"], "gw1 noticed its agent is gone")
    log("ok: dc1's agent killed: dc1's gateway still forwards on its last table")
    ag["dc1"].start()
    wait_for(lambda: g1.info()["route_socket"]["connected"] and
             g1.info()["route_socket"]["connects"] >= 2, 20, "gw1 re-subscribed")
    wait_for(lambda: converged(ag), 60, "routes after dc1's agent restarted", interval=0.5)
    log("ok: dc1's gateway re-subscribed to the restarted agent")

    # A second gateway in dc2; kill the first: new connections use the second.
    g2b = Gateway(c, "gw2b", c.ip(12), "dc2", ag["dc2"].route_socket).start()
    gws["dc2x"] = g2b
    wait_gateways(ag, gws, sorted([g2.addr, g2b.addr]), "both dc2 gateways in every table")
    g2.kill(signal.SIGKILL)
    before = g2b.outcomes()["forwarded"]
    fails0 = g1.info()["upstream"]["connect_failures"]
    t0 = time.monotonic()
    for i in range(10):
        got = echo_roundtrip(g1.addr, sni("echo", "dc3"), ca.ca, b"y" * 5000, timeout=10)
        check(got == b"y" * 5000, "connection %d after gw2 died: %d of 5000 bytes came back; "
              "gw1 %r, gw2b %r" % (i, len(got), g1.outcomes(), g2b.outcomes()))
    dt = time.monotonic() - t0
    check(g2b.outcomes()["forwarded"] - before == 10,
          "the second dc2 gateway carried all 10: %r" % g2b.outcomes())
    inf = g1.info()
    fails = inf["upstream"]["connect_failures"] - fails0
    check(fails <= 3, "at most 3 connects to the dead gateway before it is ejected: %d" % fails)
    dead = inf["remote_gateways"].get(g2.addr) or {}
    check(fails < 3 or dead.get("ejected"), "the dead gateway is ejected: %r" % dead)
    log("ok: dc2's first gateway killed: 10 new connections went through the second in %.1fs "
        "(%d connect(s) to the dead one%s)" % (dt, fails, ", then ejected" if fails == 3 else ""))

    # Both dc2 gateways dead: new connections fail fast and are counted.
    g2b.kill(signal.SIGKILL)
    fails = lambda: (g1.outcomes()["upstream_failed"] + g1.outcomes()["no_gateway"])
    b0 = fails()
    worst = 0
    for i in range(5):
        worst = max(worst, probe_closed(g1.addr, name=sni("echo", "dc3"), timeout=5))
    wait_for(lambda: fails() == b0 + 5, 5, "5 failures counted on gw1")
    check(worst < 2.5, "each failed within one connect timeout (worst %.2fs)" % worst)
    o1 = g1.outcomes()
    log("ok: no dc2 gateway left: 5 connections refused in at most %.2fs each "
        "(upstream_failed %d, no_gateway %d)" % (worst, o1["upstream_failed"],
                                                  o1["no_gateway"]))


run(main)
