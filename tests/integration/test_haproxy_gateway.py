#!/usr/bin/python3
"""HAProxy 2.6 as dc2's mesh gateway, kept in line by `meshfed haproxy`, on
loopback: three DCs in a line of network areas (dc1-dc2, dc2-dc3), one
agent each; dc1 and dc3 have configured gateways (here small Python
listeners standing in for them); dc2 runs a real haproxy with a test copy
of docs/haproxy.cfg (loopback addresses, temporary admin socket and map)
and `meshfed haproxy` subscribed to dc2's agent.
 - HAProxy's map (`show map`) and slot servers (`show stat`) match dc2's
   `meshfed routes`: dc1 and dc3 on slot backends whose enabled servers are
   their gateways, dc2 local; the map file on disk says the same;
 - a TLS ClientHello for web.default.dc3.internal.example.test, sent to
   HAProxy's lan bind, arrives at dc3's gateway after a PROXY v2 header,
   from HAProxy's wan address; one for dc1 sent to the wan bind after a
   PROXY v2 header with meshfed's hop TLV arrives at dc1's gateway;
 - HAProxy is registered as dc2's gateway: it shows among the gateways of
   dc1's routes to dc2 and dc3 (dc2 is the next hop for both);
 - a route change (dc3 gains a gateway) reaches HAProxy without a reload:
   a second server in dc3's slot, same pid, Uptime_sec goes on;
 - HAProxy restarted: the map is back from the file at once, the servers
   within one sync interval.
Skipped (exit 77) when haproxy is not installed."""
import json
import signal
import socket
import ssl
import threading
import time

from mfcluster import check, log, run, start_line, wait_for
from mfhaproxy import HAProxy, skip_without_haproxy

PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
TD = "internal.example.test"


class FakeGateway:
    """Stands in for another DC's gateway: keeps the first bytes of every
    connection that carries a TLS record (HAProxy's health checks send a
    PROXY header at most)."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, int(port)))
        self.sock.listen(64)
        self.got = []  # (peer ip, bytes)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c, peer), daemon=True).start()

    def _conn(self, c, peer):
        c.settimeout(3)
        data = b""
        try:
            while len(data) < 4096:
                d = c.recv(4096)
                if not d:
                    break
                data += d
                if len(data) > 100 and b"example.test" in data:
                    break
        except OSError:
            pass
        if b"\x16\x03" in data:
            self.got.append((peer[0], data))
        c.close()


def client_hello(sni):
    """The bytes of a real TLS ClientHello for `sni` (Python's OpenSSL)."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def pp2_header(src, dst, hops):
    """PROXY v2, PROXY command, TCP over IPv4, with meshfed's hop TLV 0xE0."""
    sip, sport = src.rsplit(":", 1)
    dip, dport = dst.rsplit(":", 1)
    body = socket.inet_aton(sip) + socket.inet_aton(dip) + int(sport).to_bytes(2, "big") + \
        int(dport).to_bytes(2, "big") + bytes([0xE0, 0, 1, hops])
    return PP2_SIG + bytes([0x21, 0x11]) + len(body).to_bytes(2, "big") + body


def send_raw(addr, data, src_ip=None):
    host, port = addr.rsplit(":", 1)
    s = socket.socket()
    if src_ip:
        s.bind((src_ip, 0))
    s.settimeout(3)
    s.connect((host, int(port)))
    s.sendall(data)
    try:
        s.recv(1)  # HAProxy closes when the fake gateway does
    except OSError:
        pass
    s.close()


class Sub:
    """A route socket subscriber that registers a gateway and stays healthy."""

    def __init__(self, path, gw):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.stop = False
        self.send({"type": "subscribe", "deltas": True})
        self.send({"type": "register", "gateway": gw})
        self.send({"type": "health", "ok": True})
        threading.Thread(target=self._loop, daemon=True).start()

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def _loop(self):
        buf, last = b"", time.monotonic()
        self.sock.settimeout(1)
        while not self.stop:
            try:
                d = self.sock.recv(65536)
                if not d:
                    return
                buf += d
            except socket.timeout:
                pass
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                m = json.loads(line)
                if m.get("type") in ("snapshot", "delta"):
                    self.send({"type": "ack", "version": m["version"]})
            if time.monotonic() - last > 4:
                self.send({"type": "health", "ok": True})
                last = time.monotonic()

    def close(self):
        self.stop = True
        self.sock.close()


def main(cluster_factory):
    skip_without_haproxy()
    c = cluster_factory(41)
    ip = c.ip
    gw1, gw3, gw3b = ip(11) + ":8443", ip(13) + ":8443", ip(14) + ":8443"

    # --- three agents in a line ---
    agents = start_line(c, ips=(1, 2, 3), gateways={"dc1": [{"name": "dc1-gw", "wan": gw1}],
                                                    "dc3": [{"name": "dc3-gw", "wan": gw3}]})
    rsock = {dc: a.route_socket for dc, a in agents.items()}
    fake1, fake3, fake3b = FakeGateway(gw1), FakeGateway(gw3), FakeGateway(gw3b)

    routes = lambda dc: agents[dc].routes()
    route = lambda dc, target: agents[dc].route(target)

    wait_for(lambda: (route("dc2", "dc1") or {}).get("gateways") and
             (route("dc2", "dc3") or {}).get("gateways"), 60,
             "dc2's routes to dc1 and dc3 with their gateways", interval=0.5)
    log("ok: dc2 routes to dc1 and dc3, each with its gateway")

    # --- HAProxy with a loopback copy of docs/haproxy.cfg, meshfed haproxy ---
    hp = HAProxy(c, "haproxy", ip(20), ip(21) + ":8443",
                 local=(ip(30) + ":9000", ip(31) + ":9000")).start()
    pid = hp.info()["Pid"]
    sync = hp.start_sync("dc2-haproxy", rsock["dc2"])
    in_line = lambda: hp.in_line_with(routes("dc2"))
    wait_for(in_line, 20, "HAProxy in line with dc2's table")
    m = hp.map()
    check(sorted(m) == ["dc1", "dc2", "dc3"] and m["dc1"] != m["dc3"], "map: %r" % m)
    log("ok: HAProxy's map %r and slot servers %r match dc2's routes" % (
        m, {b: v for b, v in hp.servers().items() if v[0] or v[1]}))

    # --- traffic: SNI -> next hop's gateway, PROXY v2 from HAProxy's wan ---
    send_raw(hp.lan, client_hello("web.default.dc3.%s" % TD))
    wait_for(lambda: fake3.got, 5, "dc3's gateway to get a connection")
    peer, data = fake3.got[-1]
    check(data.startswith(PP2_SIG), "dc3's gateway got a PROXY v2 header first: %r" % data[:16])
    hlen = 16 + int.from_bytes(data[14:16], "big")
    check(data[hlen] == 0x16 and b"web.default.dc3." + TD.encode() in data,
          "then the ClientHello with its SNI: %r" % data[hlen:hlen + 8])
    check(peer == ip(20), "from HAProxy's wan address %s: %s" % (ip(20), peer))
    hello1 = client_hello("web.default.DC1.%s." % TD)
    send_raw(hp.wan, pp2_header(ip(13) + ":40000", hp.wan, 1) + hello1, src_ip=ip(13))
    wait_for(lambda: fake1.got, 5, "dc1's gateway to get a connection")
    check(fake1.got[-1][1].startswith(PP2_SIG) and hello1 in fake1.got[-1][1],
          "dc1's gateway got PROXY v2 + the ClientHello: %r" % fake1.got[-1][1][:32])
    n1 = len(fake1.got) + len(fake3.got)
    send_raw(hp.lan, client_hello("web.default.dc4.%s" % TD))
    send_raw(hp.lan, client_hello("web.default.dc3.other.test"))
    time.sleep(0.5)
    check(len(fake1.got) + len(fake3.got) == n1, "unknown DC and other trust domain forwarded")
    log("ok: SNI routing through HAProxy to the next hop's gateway with PROXY v2, "
        "from its lan and wan binds; unknown DC, other trust domain refused")

    # --- HAProxy registered as dc2's gateway, seen from dc1 ---
    def registered():
        for tgt in ("dc2", "dc3"):
            gws = (route("dc1", tgt) or {}).get("gateways") or []
            check({"name": "dc2-haproxy", "addr": hp.wan} in gws,
                  "dc1's route to %s lists dc2-haproxy at %s: %r" % (tgt, hp.wan, gws))
        return True
    t = wait_for(registered, 30, "dc2-haproxy among dc1's next-hop gateways", interval=0.5)
    hap_gone = lambda: all(g["name"] != "dc2-haproxy" for tgt in ("dc2", "dc3")
                           for g in (route("dc1", tgt) or {}).get("gateways") or [])
    log("ok: HAProxy registered: among dc1's gateways for dc2 and dc3 after %.1fs" % t)

    # --- a route change without a reload ---
    up0 = int(hp.info()["Uptime_sec"])
    be3 = hp.map()["dc3"]
    sub = Sub(rsock["dc3"], {"name": "dc3-gw2", "wan": gw3b})
    wait_for(lambda: hp.servers()[be3][0] == {gw3, gw3b}, 30,
             "dc3's second gateway in HAProxy's %s" % be3, interval=0.5)
    wait_for(in_line, 10, "HAProxy in line after the change")
    info = hp.info()
    check(info["Pid"] == pid and hp.proc.alive(), "same HAProxy process: %s, was %s" % (
        info["Pid"], pid))
    check(int(info["Uptime_sec"]) >= up0, "uptime goes on: %s, was %d" % (info["Uptime_sec"], up0))
    check(hp.map()["dc3"] == be3, "dc3 stays on %s" % be3)
    log("ok: dc3's new gateway set in %s live: pid %s unchanged, uptime %s s" % (
        be3, pid, info["Uptime_sec"]))
    sub.close()
    wait_for(lambda: hp.servers()[be3][0] == {gw3}, 40,
             "dc3's second gateway out of %s after it disconnected" % be3, interval=0.5)
    log("ok: and out again after it disconnected")

    # --- HAProxy restarted: map from the file, servers put back ---
    before = hp.map()
    hp.proc.kill(signal.SIGTERM)
    hp.start()
    check(hp.map() == before, "map back from the file at start: %r, was %r" % (hp.map(), before))
    t = wait_for(lambda: hp.servers()[before["dc1"]][0] and hp.servers()[before["dc3"]][0], 12,
                 "servers back after the restart")
    wait_for(in_line, 30, "HAProxy in line after the restart")
    log("ok: HAProxy restarted: map from the file at once, servers back after %.1fs" % t)
    check(sync.alive(), "meshfed haproxy still runs: %s" % sync.tail())
    sync.proc.send_signal(signal.SIGTERM)
    rc = sync.proc.wait(10)
    check(rc == 0, "meshfed haproxy exits 0 on SIGTERM (ASan: no leak): %s\n%s" % (rc, sync.tail()))
    wait_for(lambda: hap_gone(), 10, "dc2-haproxy withdrawn from dc1's routes once it stopped",
             interval=0.5)
    log("ok: meshfed haproxy stops on SIGTERM (exit 0), HAProxy withdrawn from dc1's routes")
    lines = sync.log_lines()
    check(not [l for l in lines if "refused" in l], "HAProxy refused no command: %s" % sync.tail())
    print("\n".join(l for l in lines if "haproxy:" in l or "route socket:" in l))


if __name__ == "__main__":
    run(main)
