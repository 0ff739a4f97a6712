#!/usr/bin/python3
"""The three-DC gateway test with HAProxy 2.6 in the middle DC: a line of
network areas (a12: dc1+dc2, a23: dc2+dc3), one agent per DC; `meshfed
gateway` in dc1 and dc3, a real haproxy (docs/haproxy.cfg) kept in line by
`meshfed haproxy` in dc2. A test CA is made with openssl at test time.
 - every table lists its next hops' gateways: dc1 and dc3 dial HAProxy's
   wan bind (it registered itself), HAProxy's slots hold dc1's and dc3's
   gateways;
 - `openssl s_client -connect <dc1 gateway> -servername
   web.default.dc3.internal.example.test -verify_return_error` completes a
   verified handshake with `openssl s_server -rev` behind dc3's gateway and
   data goes both ways: gw1 forwarded 1, HAProxy's dc3 slot took 1
   session, gw3 local 1 (it took HAProxy's PROXY v2 header: HAProxy is a
   gateway in dc3's table; HAProxy's health checks are not asserted on);
 - 100 concurrent TLS connections x 1 MB echoed intact through the three;
 - a second dc3 gateway reaches HAProxy's slot without a reload (same pid,
   uptime goes on); dc3's first gateway killed: new connections at once go
   through the second (HAProxy's retry + redispatch), none fails.
Skipped (exit 77) when haproxy is not installed."""
import os
import subprocess
import time

from mfcluster import check, log, run, start_line, wait_for
from mfgateway import (EchoServer, Gateway, TestCA, echo_concurrently, echo_roundtrip,
                       s_client_exchange, sni)
from mfhaproxy import HAProxy, skip_without_haproxy

NET = 42
LINE = "meshfed-haproxy-canary-5e1d"


def main(cluster_factory):
    skip_without_haproxy()
    c = cluster_factory(NET)
    ip = c.ip

    ag = start_line(c)
    rsock = {dc: a.route_socket for dc, a in ag.items()}
    routes = lambda dc: ag[dc].routes()

    def gw_addrs(dc, target):
        return sorted(g["addr"] for g in (ag[dc].route(target) or {}).get("gateways") or [])

    ca = TestCA(c.dir)
    cert, key = ca.server_cert("dc3-services", [sni("web", "dc3"), sni("echo", "dc3")])
    web = "%s:4433" % ip(20)
    sserver = subprocess.Popen(["openssl", "s_server", "-accept", web, "-cert", cert, "-key", key,
                                "-rev"], stdout=open(os.path.join(c.dir, "s_server.log"), "wb"),
                               stderr=subprocess.STDOUT)
    echo = EchoServer(ip(21), 4434, cert, key)
    try:
        hp = HAProxy(c, "haproxy", ip(11), ip(12) + ":8443").start()
        sync = hp.start_sync("dc2-haproxy", rsock["dc2"])
        g1 = Gateway(c, "gw1", ip(10), "dc1", rsock["dc1"]).start()
        g3 = Gateway(c, "gw3", ip(13), "dc3", rsock["dc3"],
                     services=["web=" + web, "echo=" + echo.addr]).start()
        scenario(c, ag, routes, gw_addrs, hp, sync, g1, g3, ca, echo, rsock)
    finally:
        sserver.kill()
        sserver.wait()
        echo.close()


def scenario(c, ag, routes, gw_addrs, hp, sync, g1, g3, ca, echo, rsock):
    def tables_ok():
        return (gw_addrs("dc1", "dc3") == [hp.wan] and gw_addrs("dc1", "dc2") == [hp.wan] and
                gw_addrs("dc3", "dc1") == [hp.wan] and gw_addrs("dc2", "dc3") == [g3.addr] and
                gw_addrs("dc2", "dc1") == [g1.addr] and hp.in_line_with(routes("dc2")) and
                g1.info()["route_socket"]["table_version"] >= routes("dc1")["version"] and
                g3.info()["route_socket"]["table_version"] >= routes("dc3")["version"])
    t = wait_for(tables_ok, 90, "tables list HAProxy as dc2's gateway, HAProxy in line",
                 interval=0.5)
    log("ok: dc1 and dc3 dial HAProxy (%s) for dc2, HAProxy's slots hold gw1 and gw3, after "
        "%.1fs" % (hp.wan, t))
    pid = hp.info()["Pid"]
    be3 = hp.map()["dc3"]

    name = sni("web", "dc3")
    verified, replied, out = s_client_exchange(g1.addr, name, ca.ca, LINE)
    check(verified, "s_client through gw1 and HAProxy verifies dc3's server:\n%s" % out[-2000:])
    check(replied, "s_server -rev's reply came back:\n%s" % out[-2000:])
    wait_for(lambda: g1.outcomes()["forwarded"] == 1 and g3.outcomes()["local"] == 1 and
             hp.sessions(be3) == 1, 10,
             "gw1 forwarded 1, HAProxy's %s took 1 session, gw3 local 1" % be3)
    hlog = "\n".join(hp.proc.log_lines())
    check(LINE not in hlog and LINE[::-1] not in hlog, "no payload in HAProxy's log")
    log("ok: openssl s_client -> gw1 (dc1) -> HAProxy (dc2) -> gw3 (dc3) -> s_server: verified "
        "handshake, data both ways; HAProxy's %s counts one session" % be3)

    n, size = 100, 1 << 20
    dt = echo_concurrently(g1.addr, sni("echo", "dc3"), ca.ca, n, size)
    check(hp.sessions(be3) == 1 + n, "HAProxy's %s took %d sessions: %d" % (
        be3, 1 + n, hp.sessions(be3)))
    log("ok: %d concurrent TLS connections x 1 MB echoed intact through gw1, HAProxy, gw3 in "
        "%.1fs" % (n, dt))

    # A second dc3 gateway: into HAProxy's slot live.
    up0 = int(hp.info()["Uptime_sec"])
    g3b = Gateway(c, "gw3b", c.ip(14), "dc3", rsock["dc3"],
                  services=["web=%s:4433" % c.ip(20), "echo=" + echo.addr]).start()
    wait_for(lambda: hp.servers()[be3][0] == {g3.addr, g3b.addr}, 40,
             "gw3b in HAProxy's %s" % be3, interval=0.5)
    wait_for(lambda: g3b.info()["route_socket"]["table_version"] >= routes("dc3")["version"] and
             gw_addrs("dc3", "dc1") == [hp.wan], 20, "gw3b holding dc3's table")
    info = hp.info()
    check(info["Pid"] == pid and int(info["Uptime_sec"]) >= up0,
          "no reload: pid %s (was %s), uptime %s (was %d)" % (info["Pid"], pid,
                                                              info["Uptime_sec"], up0))
    log("ok: gw3b set in HAProxy's %s without a reload (pid %s, uptime %s s)" % (
        be3, pid, info["Uptime_sec"]))

    g3.kill()
    b0 = g3b.outcomes()["local"]
    t0 = time.monotonic()
    for i in range(10):
        payload = os.urandom(4096)
        got = echo_roundtrip(g1.addr, sni("echo", "dc3"), ca.ca, payload, timeout=20)
        check(got == payload, "connection %d after gw3 died came back intact" % i)
    dt = time.monotonic() - t0
    check(g3b.outcomes()["local"] - b0 == 10, "all 10 through gw3b: %r" % g3b.outcomes())
    log("ok: gw3 killed: 10 new connections through gw3b at once (%.2fs for all)" % dt)
    check(sync.alive(), "meshfed haproxy still runs: %s" % sync.tail())
    check(not [l for l in sync.log_lines() if "refused" in l],
          "HAProxy refused no command: %s" % sync.tail())


if __name__ == "__main__":
    run(main)
