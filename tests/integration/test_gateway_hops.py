#!/usr/bin/python3
"""Gateways never loop: two `meshfed gateway`s whose (fake) agents' tables
send dc9 to each other, as two DCs might while routes converge. A
connection for dc9 bounces between them, one PROXY v2 hop count higher
each time, and is refused after 8 gateway hops: dc1's gateway forwards 4
times, dc2's 4 times, and dc1's counts one hop_limit; the client sees the
connection closed. A PROXY header from an address that is no gateway in
the table is refused as untrusted_proxy."""
import os

from mfcluster import check, log, run, wait_for
from mfgateway import FakeRouteSocket, Gateway, fake_route, probe_closed, sni

NET = 41


def main(cluster_factory):
    c = cluster_factory(NET)
    a_ip, b_ip = c.ip(1), c.ip(2)
    a_addr, b_addr = a_ip + ":8443", b_ip + ":8443"
    fa = FakeRouteSocket(os.path.join(c.dir, "a-routes.sock"), "dc1",
                         [fake_route("dc1", "dc1", None, []),
                          fake_route("dc1", "dc2", "dc2", [("gwb", b_addr)]),
                          fake_route("dc1", "dc9", "dc2", [("gwb", b_addr)])])
    fb = FakeRouteSocket(os.path.join(c.dir, "b-routes.sock"), "dc2",
                         [fake_route("dc2", "dc1", "dc1", [("gwa", a_addr)]),
                          fake_route("dc2", "dc2", None, []),
                          fake_route("dc2", "dc9", "dc1", [("gwa", a_addr)])])
    ga = Gateway(c, "gwa", a_ip, "dc1", fa.path).start()
    gb = Gateway(c, "gwb", b_ip, "dc2", fb.path).start()
    for g in (ga, gb):
        wait_for(lambda: g.info()["route_socket"]["table_version"] == 1, 10,
                 "%s applied the fake table" % g.name)
    reg = [m for m in fa.received if m["type"] == "register"]
    check(reg and reg[0]["gateway"]["name"] == "gwa" and reg[0]["gateway"]["wan"] == a_addr,
          "gwa registered itself: %r" % fa.received)
    check(any(m["type"] == "ack" and m["version"] == 1 for m in fa.received),
          "gwa acknowledged the snapshot: %r" % fa.received)
    log("ok: both gateways subscribed, registered and acknowledged their tables")

    dt = probe_closed(ga.addr, name=sni("web", "dc9"))
    wait_for(lambda: ga.outcomes()["hop_limit"] == 1, 5, "gwa counts one hop_limit")
    oa, ob = ga.outcomes(), gb.outcomes()
    check(oa["forwarded"] == 4 and ob["forwarded"] == 4,
          "4 forwards each before the limit: gwa %r, gwb %r" % (oa, ob))
    check(dt < 3, "the looping connection closed within 3 s (%.2fs)" % dt)
    check(any(b"hop_limit" in l for l in ga.log_text().splitlines()),
          "gwa logs the hop_limit refusal")
    log("ok: a routing loop between two gateways dies after 8 hops in %.2fs (gwa %d + gwb %d "
        "forwards, gwa hop_limit 1)" % (dt, oa["forwarded"], ob["forwarded"]))

    before = gb.outcomes()["untrusted_proxy"]
    probe_closed(gb.addr, data=b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x10" + bytes(12) +
                 b"\xe0\x00\x01\x01")
    wait_for(lambda: gb.outcomes()["untrusted_proxy"] == before + 1, 5,
             "PROXY from the test's address counted untrusted_proxy")
    log("ok: a PROXY header from an address that is no gateway is refused")
    fa.close()
    fb.close()


run(main)
