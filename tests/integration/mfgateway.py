"""tests/integration/mfgateway.py — mesh gateways and TLS endpoints on loopback.

Helpers for the gateway tests (and for anything that puts another proxy in
a gateway's place): a `meshfed gateway` process, a test CA made with
openssl at test time, a threaded TLS echo server (Python's ssl module), a
TLS client that dials a gateway with an SNI name, and raw probes that send
what no client should (garbage, no SNI) and see the gateway close.
Everything binds 127.0.0.0/8 only.
"""

import hashlib
import json
import os
import socket
import ssl
import subprocess
import threading
import time

from mfcluster import Agent, Failure, check, stop

TD = "example.test"


def sni(service, dc, td=TD):
    return "%s.%s.internal.%s" % (service if "." in service else service + ".default", dc, td)


class Gateway(Agent):
    """One `meshfed gateway` process (an Agent for start, ctl, info, kill and
    tail: the control socket speaks the same protocol)."""

    def __init__(self, cluster, name, ip, dc, route_socket, port=8443, services=(),
                 extra=()):
        super().__init__(cluster, name, ip, dc=dc, extra=extra)
        self.port = port
        self.route_socket = route_socket
        self.services = list(services)
        cluster.agents.append(self)  # killed and tailed with the agents

    @property
    def addr(self):
        return "%s:%d" % (self.ip, self.port)

    def command(self):
        args = [self.cluster.meshfed, "gateway", "-name", self.name, "-dc", self.dc,
                "-listen", self.addr, "-trust-domain", TD,
                "-route-socket", self.route_socket, "-control", self.control,
                "-log-level", "debug"]
        for s in self.services:
            args += ["-service", s]
        return args + self.extra

    def outcomes(self):
        return self.info()["outcomes"]

    def log_text(self):
        with open(self.logpath, "rb") as f:
            return f.read()


class TestCA:
    """A CA and server certificates, made with openssl in a directory."""

    def __init__(self, directory):
        self.dir = directory
        self.ca = os.path.join(directory, "ca.pem")
        self._run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-nodes", "-keyout", os.path.join(directory, "ca.key"), "-out", self.ca,
                  "-days", "2", "-subj", "/CN=meshfed test CA")

    def _run(self, *args):
        r = subprocess.run(["openssl"] + list(args), capture_output=True, text=True)
        check(r.returncode == 0, "openssl %s: %s" % (args[0], r.stderr))

    def server_cert(self, name, dns_names):
        """Returns (cert, key) paths for a cert with dns_names as SANs."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        cert = os.path.join(self.dir, name + ".pem")
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join("DNS:" + d for d in dns_names) + "\n")
        self._run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", key, "-out", csr, "-subj", "/CN=" + dns_names[0])
        self._run("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey",
                  os.path.join(self.dir, "ca.key"), "-CAcreateserial", "-out", cert,
                  "-days", "2", "-extfile", ext)
        return cert, key


class EchoServer:
    """A TLS echo server: a thread per connection echoes until EOF."""

    def __init__(self, ip, port, cert, key):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.create_server((ip, port), backlog=256)
        self.addr = "%s:%d" % (ip, port)
        self.accepted = 0
        self.stopped = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn):
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as s:
                while True:
                    data = s.recv(65536)
                    if not data:
                        return
                    s.sendall(data)
        except (OSError, ssl.SSLError):
            pass

    def close(self):
        self.stopped = True
        self.sock.close()


def hello_bytes(name):
    """A real TLS ClientHello for SNI `name` (Python's ssl over a memory
    BIO), to send by hand."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    out = ssl.MemoryBIO()
    obj = ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname=name)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    data = out.read()
    check(data[:1] == b"\x16", "a TLS handshake record")
    return data


def tls_client(gateway_addr, name, ca, timeout=10):
    """A verified TLS connection to `name` through a gateway."""
    ctx = ssl.create_default_context(cafile=ca)
    host, port = gateway_addr.rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=name)
    except Exception:
        raw.close()
        raise


def read_to_eof(s, chunk=65536):
    """Every byte s receives until the peer closes (or shuts down) its side."""
    out = b""
    while True:
        d = s.recv(chunk)
        if not d:
            return out
        out += d


def echo_roundtrip(gateway_addr, name, ca, payload, timeout=60, chunk=65536):
    """Sends payload over TLS through the gateway and returns what came
    back, chunk by chunk in lock-step (one thread: an SSL socket must not be
    read and written from two threads at once)."""
    s = tls_client(gateway_addr, name, ca, timeout=timeout)
    got = bytearray()
    try:
        for off in range(0, len(payload), chunk):
            part = payload[off:off + chunk]
            s.sendall(part)
            want = len(got) + len(part)
            while len(got) < want:
                d = s.recv(want - len(got))
                if not d:
                    return bytes(got)
                got += d
    finally:
        s.close()
    return bytes(got)


def echo_concurrently(gateway_addr, name, ca, n, size, timeout=120):
    """n TLS connections at once through the gateway, each echoing its own
    `size` random bytes (echo_roundtrip); checks every one came back intact
    and returns the seconds it took."""
    results, errors = {}, []

    def one(i):
        payload = os.urandom(size)
        try:
            got = echo_roundtrip(gateway_addr, name, ca, payload, timeout=timeout)
            results[i] = (hashlib.sha256(payload).digest() == hashlib.sha256(got).digest(),
                          len(got))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("%d: %r" % (i, e))
    t0 = time.monotonic()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    dt = time.monotonic() - t0
    check(not errors, "%d of %d transfers failed: %s" % (len(errors), n, errors[:5]))
    bad = {i: ln for i, (ok, ln) in results.items() if not ok}
    check(len(results) == n and not bad, "%d of %d came back intact; bytes back of the others: "
          "%r" % (n - len(bad), n, bad))
    return dt


def probe_closed(gateway_addr, data=None, name=None, no_sni=False, timeout=5):
    """Opens a connection and sends `data` raw, or a TLS ClientHello for
    `name` (no_sni: without server_name). Returns seconds until the gateway
    closed it; raises Failure if it stays open past timeout or the TLS
    handshake completes."""
    host, port = gateway_addr.rsplit(":", 1)
    t0 = time.monotonic()
    raw = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        if data is not None:
            raw.sendall(data)
            while raw.recv(4096):
                pass
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            try:
                s = ctx.wrap_socket(raw, server_hostname=None if no_sni else name)
            except socket.timeout:
                raise
            except (ssl.SSLError, OSError):
                pass  # closed during the handshake: refused
            else:
                s.close()
                raise Failure("TLS handshake for %s through %s completed; want it refused"
                              % (name, gateway_addr))
    except socket.timeout:
        raise Failure("%s kept the connection open past %ss" % (gateway_addr, timeout))
    except ConnectionResetError:
        pass
    finally:
        raw.close()
    return time.monotonic() - t0


def s_client_exchange(gateway_addr, name, ca, line, timeout=15):
    """`openssl s_client` through the gateway with a verified handshake:
    sends `line`, waits for the reversed line from `openssl s_server -rev`,
    then quits. Returns (verified, reply_seen, output)."""
    p = subprocess.Popen(["openssl", "s_client", "-connect", gateway_addr, "-servername",
                          name, "-verify_return_error", "-CAfile", ca],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = bytearray()
    want = line[::-1].encode()
    deadline = time.monotonic() + timeout
    p.stdin.write(line.encode() + b"\n")
    p.stdin.flush()
    os.set_blocking(p.stdout.fileno(), False)
    while time.monotonic() < deadline and want not in out and p.poll() is None:
        try:
            chunk = p.stdout.read()
        except BlockingIOError:
            chunk = None
        if chunk:
            out += chunk
        else:
            time.sleep(0.05)
    try:
        p.stdin.write(b"Q\n")
        p.stdin.close()
    except BrokenPipeError:
        pass
    stop(p, None, 5)
    try:
        rest = p.stdout.read()
        if rest:
            out += rest
    except (BlockingIOError, ValueError):
        pass
    text = out.decode(errors="replace")
    return "Verify return code: 0 (ok)" in text, want in out, text


class FakeRouteSocket:
    """An agent's route socket with a table the test chooses (protocol 1,
    docs/route-socket.md): hello, then a snapshot once the subscriber says
    subscribe or resume; records what the subscriber sends. For tables no
    real DC graph would give (a routing loop)."""

    def __init__(self, path, dc, routes):
        self.path = path
        self.dc = dc
        self.routes = routes
        self.received = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)
        self.sock.bind(path)
        self.sock.listen(8)
        threading.Thread(target=self._serve, daemon=True).start()

    def table(self):
        return {"datacenter": self.dc, "version": 1, "routes": self.routes, "links": []}

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _send(self, conn, msg):
        conn.sendall((json.dumps(msg) + "\n").encode())

    def _client(self, conn):
        epoch = 42
        try:
            self._send(conn, {"type": "hello", "protocol": 1, "datacenter": self.dc,
                              "node": self.dc + "-fake", "epoch": epoch})
            buf = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line)
                    self.received.append(msg)
                    if msg["type"] in ("subscribe", "resume"):
                        self._send(conn, {"type": "snapshot", "epoch": epoch, "version": 1,
                                          "table": self.table()})
                    elif msg["type"] == "register":
                        self._send(conn, {"type": "registered",
                                          "gateway": msg["gateway"]["name"]})
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def fake_route(dc, target, next_hop, gateways, alternates=()):
    """A route object as `meshfed routes -format json` prints it;
    alternates: (next_hop, [(name, addr), ...]) best first."""
    if target == dc:
        return {"target": dc, "status": "local", "next_hop": None, "distance_ms": 0,
                "path": [dc], "mode": "multi-hop", "down": False, "gateways": []}
    return {"target": target, "status": "direct" if next_hop == target else "via",
            "next_hop": next_hop, "distance_ms": 1.0,
            "path": [dc, next_hop] + ([target] if next_hop != target else []),
            "mode": "multi-hop", "down": False,
            "gateways": [{"name": n, "addr": a} for n, a in gateways],
            "alternates": [{"next_hop": h, "distance_ms": 2.0 + k,
                            "gateways": [{"name": n, "addr": a} for n, a in gws]}
                           for k, (h, gws) in enumerate(alternates)]}
