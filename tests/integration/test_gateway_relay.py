#!/usr/bin/python3
"""The gateway's relay and limits, with local services only (no agent: a
gateway with -dc serves its own DC's services without a route table).
The client sends a real ClientHello (Python's ssl over a memory BIO) and
then plain bytes: after the hello the gateway relays opaque bytes.
 - a ClientHello split into TCP segments (1 byte each at first) is read;
 - half-close: the client's FIN reaches the service, which then answers
   with a digest of all it read, and its FIN reaches the client;
 - backpressure: toward a service that never reads, the client's sends
   stall after a bounded amount instead of the gateway buffering all;
 - -idle-timeout closes a silent relay and counts it;
 - -hello-timeout closes a connection whose ClientHello never completes;
 - failover: a dead first endpoint (connection refused) and a hanging one
   (SYNs dropped, -connect-timeout) are skipped for the next endpoint;
 - -max-conns: connections past the limit are closed at once and counted;
 - SIGTERM closes every connection and exits 0 (no leak in the ASan build)."""
import hashlib
import os
import signal
import socket
import threading
import time

from mfcluster import check, log, run, wait_for
from mfgateway import Gateway, hello_bytes, read_to_eof

NET = 47


def rss_kb(g):
    with open("/proc/%d/status" % g.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def name(svc):
    return "%s.default.dc1.internal.example.test" % svc


class Server:
    """A TCP service: `mode` is "digest" (read to EOF, answer sha256 of it,
    close), "sink" (accept, never read) or "hold" (accept, keep)."""

    def __init__(self, ip, port, mode, backlog=64):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, port))
        self.sock.listen(backlog)
        self.addr = "%s:%d" % (ip, port)
        self.conns = []
        self.accepted = 0
        if mode != "noaccept":
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)
            if self.mode == "digest":
                threading.Thread(target=self._digest, args=(c,), daemon=True).start()

    def _digest(self, c):
        h = hashlib.sha256()
        while True:
            d = c.recv(65536)
            if not d:
                break
            h.update(d)
        c.sendall(h.hexdigest().encode())
        c.close()


def main(cluster_factory):
    c = cluster_factory(NET)
    ip = c.ip
    digest = Server(ip(20), 7000, "digest")
    sink = Server(ip(21), 7000, "sink")
    hold = Server(ip(22), 7000, "hold")
    # Backlog 0 and never accepting: once the queue is full, SYNs are
    # dropped and a connect hangs (tcp_abort_on_overflow 0, the default).
    hang = Server(ip(23), 7000, "noaccept", backlog=0)
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((ip(23), 7000))
        fillers.append(s)
    time.sleep(0.2)
    g = Gateway(c, "gw", ip(1), "dc1", os.path.join(c.dir, "no-agent.sock"), services=[
        "digest=" + digest.addr, "sink=" + sink.addr, "hold=" + hold.addr,
        "refused=%s:7001,%s" % (ip(20), digest.addr),
        "hanging=%s,%s" % (hang.addr, digest.addr)],
        extra=["-idle-timeout", "1s", "-hello-timeout", "500ms", "-connect-timeout", "300ms"]
    ).start()
    host, port = g.ip, g.port

    def dial():
        return socket.create_connection((host, port), timeout=10)

    def digest_roundtrip(svc, body, split=False):
        s = dial()
        hello = hello_bytes(name(svc))
        if split:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            cuts = list(range(0, 12)) + list(range(12, len(hello), 50)) + [len(hello)]
            for a, b in zip(cuts, cuts[1:]):
                s.sendall(hello[a:b])
                time.sleep(0.002)
        else:
            s.sendall(hello)
        s.sendall(body)
        s.shutdown(socket.SHUT_WR)
        got = read_to_eof(s)
        s.close()
        return got.decode(), hashlib.sha256(hello + body).hexdigest()

    got, want = digest_roundtrip("digest", os.urandom(300000), split=True)
    check(got == want, "digest through the gateway: %s != %s" % (got, want))
    log("ok: a ClientHello in small segments is read; the client's FIN reaches the service, "
        "the service's answer and FIN come back (half-close both ways)")

    # Idle timeout.
    b0 = g.info()["connections"]["idle_closed"]
    s = dial()
    s.sendall(hello_bytes(name("hold")))
    t0 = time.monotonic()
    s.settimeout(5)
    check(s.recv(10) == b"", "an idle relay is closed")
    dt = time.monotonic() - t0
    s.close()
    check(0.8 < dt < 2.5, "-idle-timeout 1s closed it after %.2fs" % dt)
    check(g.info()["connections"]["idle_closed"] == b0 + 1, "idle_closed counted")
    log("ok: a silent relay is closed after %.2fs (-idle-timeout 1s)" % dt)

    # Hello timeout.
    b0 = g.outcomes()["bad_hello"]
    s = dial()
    s.sendall(hello_bytes(name("hold"))[:40])
    t0 = time.monotonic()
    s.settimeout(5)
    check(s.recv(10) == b"", "an incomplete ClientHello is closed")
    dt = time.monotonic() - t0
    s.close()
    check(0.3 < dt < 2, "-hello-timeout 500ms closed it after %.2fs" % dt)
    wait_for(lambda: g.outcomes()["bad_hello"] == b0 + 1, 5, "bad_hello counted")
    log("ok: an incomplete ClientHello is closed after %.2fs (-hello-timeout 500ms)" % dt)

    # Failover among a service's endpoints.
    inf0 = g.info()["upstream"]
    got, want = digest_roundtrip("refused", b"r" * 1000)
    check(got == want, "past a refusing endpoint")
    t0 = time.monotonic()
    got, want = digest_roundtrip("hanging", b"h" * 1000)
    dt = time.monotonic() - t0
    check(got == want, "past a hanging endpoint")
    check(0.25 < dt < 2, "the hanging endpoint cost one connect timeout (%.2fs)" % dt)
    inf = g.info()["upstream"]
    check(inf["failovers"] - inf0["failovers"] == 2 and
          inf["connect_failures"] - inf0["connect_failures"] == 2,
          "two failovers counted: %r -> %r" % (inf0, inf))
    log("ok: a refusing and a hanging (%.2fs) first endpoint are skipped for the next" % dt)

    # Backpressure (and below, the connection limit) on a gateway with the
    # default idle timeout: a stalled relay moves no bytes.
    g2 = Gateway(c, "gwlim", ip(2), "dc1", os.path.join(c.dir, "no-agent.sock"),
                 services=["hold=" + hold.addr, "sink=" + sink.addr],
                 extra=["-max-conns", "2", "-max-unwritten", "65536"]).start()
    # Backpressure: the sink never reads.
    s = socket.create_connection((g2.ip, g2.port), timeout=10)
    s.sendall(hello_bytes(name("sink")))
    s.setblocking(False)
    rss0 = rss_kb(g2)
    sent, chunk, stalls = 0, b"z" * 65536, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5 and stalls < 20:
        try:
            sent += s.send(chunk)
            stalls = 0
        except BlockingIOError:
            stalls += 1
            time.sleep(0.05)
    s.close()
    check(stalls >= 20, "the client's sends stalled (sent %d bytes)" % sent)
    check(sent < 64 << 20, "stalled after a bounded amount: %d bytes" % sent)
    log("ok: toward a service that never reads, the client stalls after %.1f MB (kernel "
        "buffers + -max-unwritten)" % (sent / 1e6))

    rss = rss_kb(g2) - rss0
    check(rss < 4096, "the gateway grew by %d KB holding a stalled relay" % rss)
    log("   the gateway's RSS grew by %d KB meanwhile" % rss)
    # The client's FIN waits behind its unwritten bytes (the sink may read
    # them yet); the sink going away (RST) ends the relay.
    for conn in sink.conns:
        conn.close()
    wait_for(lambda: g2.info()["connections"]["active"] == 0, 5, "the sink relay closed")

    # Connection limit.
    held = []
    for _ in range(2):
        s = socket.create_connection((g2.ip, g2.port), timeout=5)
        s.sendall(hello_bytes(name("hold")))
        held.append(s)
    wait_for(lambda: g2.info()["connections"]["relaying"] == 2, 5, "two relays")
    s = socket.create_connection((g2.ip, g2.port), timeout=5)
    check(s.recv(10) == b"", "the third connection is closed at once")
    s.close()
    wait_for(lambda: g2.outcomes()["over_limit"] == 1, 5, "over_limit counted")
    for s in held:
        s.close()
    log("ok: -max-conns 2: the third connection is closed at accept and counted")
    for s in fillers:
        s.close()

    # SIGTERM with relays and a half-read hello open: exit 0 (and, in the
    # sanitizer build, no leak report, which would make it non-zero).
    held = [socket.create_connection((host, port), timeout=5) for _ in range(2)]
    held[0].sendall(hello_bytes(name("hold")))
    held[1].sendall(hello_bytes(name("hold"))[:30])
    wait_for(lambda: g.info()["connections"]["active"] == 2, 5, "two connections open")
    for gw in (g, g2):
        gw.proc.send_signal(signal.SIGTERM)
        rc = gw.proc.wait(30)
        check(rc == 0, "%s exits 0 on SIGTERM (rc %d): %s" % (gw.name, rc, gw.tail(30)))
        gw.proc = None
    for s in held:
        check(s.recv(10) == b"", "connections are closed at exit")
        s.close()
    log("ok: SIGTERM closes every connection and exits 0")


run(main)
