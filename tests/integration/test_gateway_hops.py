#!/usr/bin/python3
"""Gateways never loop: two `meshfed gateway`s whose (fake) agents' tables
send dc9 to each other, as two DCs might while routes converge. A
connection for dc9 bounces between them, one PROXY v2 hop count higher
each time, and is refused after 8 gateway hops: dc1's gateway forwards 4
times, dc2's 4 times, and dc1's counts one hop_limit; the client sees the
connection closed. A PROXY header from an address that is no gateway in
the table is refused as untrusted_proxy. What a gateway sends the next one
is checked byte by byte: from its -advertise address, a PROXY v2 header with
the client's address, the address it dialed and hop count 1, then the
ClientHello unchanged. A route whose next hop's gateway is dead fails over
to the route's alternate next hop, and the dead gateway is ejected after 3
failures in a row."""
import os
import signal
import socket
import struct

from mfcluster import check, log, run, wait_for
from mfgateway import FakeRouteSocket, Gateway, fake_route, hello_bytes, probe_closed, sni

NET = 46


def main(cluster_factory):
    c = cluster_factory(NET)
    a_ip, b_ip, x_ip = c.ip(1), c.ip(2), c.ip(3)
    a_addr, b_addr, x_addr = a_ip + ":8443", b_ip + ":8443", x_ip + ":8443"
    nexthop = socket.create_server((x_ip, 8443))  # a "gateway" of dc5 that records
    fa = FakeRouteSocket(os.path.join(c.dir, "a-routes.sock"), "dc1",
                         [fake_route("dc1", "dc1", None, []),
                          fake_route("dc1", "dc2", "dc2", [("gwb", b_addr)]),
                          fake_route("dc1", "dc5", "dc5", [("gwx", x_addr)]),
                          # dc6's next hop has one gateway, dead; its alternate
                          # dc5 has the recording one.
                          fake_route("dc1", "dc6", "dc7", [("gw7", x_ip + ":9")],
                                     alternates=[("dc5", [("gwx", x_addr)])]),
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

    # What goes on the wire to the next gateway.
    hello = hello_bytes(sni("web", "dc5"))
    cl = socket.create_connection((a_ip, 8443), timeout=5)
    cl.sendall(hello)
    nexthop.settimeout(5)
    conn, src = nexthop.accept()
    conn.settimeout(5)
    want = 16 + 12 + 4 + len(hello)
    got = b""
    while len(got) < want:
        d = conn.recv(want - len(got))
        if not d:
            break
        got += d
    check(src[0] == a_ip, "gwa dials from its -advertise address: %r" % (src,))
    check(got[:12] == b"\r\n\r\n\x00\r\nQUIT\n" and got[12] == 0x21 and got[13] == 0x11,
          "a PROXY v2 header, PROXY command, TCP over IPv4: %r" % got[:16])
    (length,) = struct.unpack(">H", got[14:16])
    check(length == 12 + 4, "address block + one TLV: %d" % length)
    csrc, cdst = socket.inet_ntoa(got[16:20]), socket.inet_ntoa(got[20:24])
    sport, dport = struct.unpack(">HH", got[24:28])
    check((csrc, sport) == cl.getsockname() and (cdst, dport) == (a_ip, 8443),
          "source is the client %r, destination what it dialed: %s:%d -> %s:%d"
          % (cl.getsockname(), csrc, sport, cdst, dport))
    check(got[28:32] == b"\xe0\x00\x01\x01", "hop TLV 0xE0 = 1: %r" % got[28:32])
    check(got[32:] == hello, "the ClientHello follows unchanged")
    cl.close()
    conn.close()
    wait_for(lambda: ga.outcomes()["forwarded"] == 5, 5, "the dc5 connection counted forwarded")
    log("ok: to the next gateway: from the advertise address, PROXY v2 (client %s:%d -> %s:%d, "
        "hops 1), then the ClientHello unchanged" % (csrc, sport, cdst, dport))

    # The next hop's only gateway refuses: the alternate next hop takes it;
    # after 3 failures in a row the dead gateway is ejected (not dialed).
    def via_dc6():
        cl = socket.create_connection((a_ip, 8443), timeout=5)
        cl.sendall(hello_bytes(sni("web", "dc6")))
        conn, _ = nexthop.accept()
        conn.settimeout(5)
        got = conn.recv(16)
        check(got[:12] == b"\r\n\r\n\x00\r\nQUIT\n", "PROXY header at the alternate: %r" % got)
        cl.close()
        conn.close()

    up0 = ga.info()["upstream"]
    for _ in range(3):
        via_dc6()
    up = ga.info()["upstream"]
    check(up["failovers"] == up0["failovers"] + 3 and
          up["connect_failures"] == up0["connect_failures"] + 3,
          "three failures, three failovers: %r -> %r" % (up0, up))
    dead = ga.info()["remote_gateways"].get(x_ip + ":9") or {}
    check(dead.get("ejected") is True, "the dead gateway is ejected: %r" % dead)
    via_dc6()
    up2 = ga.info()["upstream"]
    check(up2["connect_failures"] == up["connect_failures"] and
          up2["connect_attempts"] == up["connect_attempts"] + 1,
          "the ejected gateway is not dialed: %r -> %r" % (up, up2))
    log("ok: the next hop's only gateway refused: the route's alternate next hop (dc5) took "
        "each connection; after 3 failures it is ejected and no longer dialed")

    before = gb.outcomes()["untrusted_proxy"]
    probe_closed(gb.addr, data=b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x10" + bytes(12) +
                 b"\xe0\x00\x01\x01")
    wait_for(lambda: gb.outcomes()["untrusted_proxy"] == before + 1, 5,
             "PROXY from the test's address counted untrusted_proxy")
    log("ok: a PROXY header from an address that is no gateway is refused")
    for g, fr in ((ga, fa), (gb, fb)):
        g.proc.send_signal(signal.SIGTERM)
        rc = g.proc.wait(30)
        check(rc == 0, "%s exits 0 on SIGTERM (rc %d): %s" % (g.name, rc, g.tail(30)))
        g.proc = None
        last_health = lambda: [m for m in fr.received if m["type"] == "health"][-1]["ok"]
        wait_for(lambda: last_health() is False, 5, "%s's last health to say not ok" % g.name)
    log("ok: on SIGTERM each gateway reports not healthy to its agent and exits 0")
    fa.close()
    fb.close()
    nexthop.close()


run(main)
