#!/usr/bin/python3
"""The route socket of one real agent, from Python's socket module:
 - the socket file is mode 0660 in the group of `route_socket_group`;
 - a subscriber gets hello, then a snapshot equal to `meshfed routes`;
   its ack shows in `meshfed info` (applied version, nothing in flight,
   its pid and uid);
 - register is answered with registered (the gateway shows in `meshfed
   info`), a bad one with an error naming the field; garbage lines get
   errors and are counted;
 - a 10 MB line without newline is refused: error, connection closed,
   counted in `meshfed info`, the other subscriber unaffected;
 - a heartbeat after 5 s of silence;
 - a second agent on the same path is refused while the first lives; a
   stale socket file left by a killed agent is replaced; SIGTERM removes
   the socket file."""
import grp
import json
import os
import signal
import socket
import stat
import subprocess
import time

from mfcluster import check, log, run, wait_for


class Sub:
    """One subscriber: JSON lines in and out, acking every update."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.version = None

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout=5):
        """The next message; acks snapshots and deltas. None on EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, "no message on the route socket within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                return None
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        m = json.loads(line)
        if m.get("type") in ("snapshot", "delta"):
            self.version = m["version"]
            self.send({"type": "ack", "version": m["version"]})
        return m

    def until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv(max(0.1, deadline - time.monotonic()))
            check(m is not None, "the agent closed the connection while waiting for %s" % what)
            if pred(m):
                return m
            check(time.monotonic() < deadline, "timed out waiting for %s" % what)

    def close(self):
        self.sock.close()


def rs_info(agent):
    inf = agent.info()
    check(isinstance(inf.get("route_socket"), dict), "info has route_socket: %r" % list(inf))
    return inf["route_socket"]


def main(cluster_factory):
    c = cluster_factory(23)
    path = os.path.join(c.dir, "routes.sock")
    # root may give the socket any group: by name, resolved in /etc/group;
    # others only their own: by number.
    group, gid = str(os.getgid()), os.getgid()
    if os.getuid() == 0:
        try:
            group, gid = "daemon", grp.getgrnam("daemon").gr_gid
        except KeyError:
            pass
    conf = os.path.join(c.dir, "a.json")
    with open(conf, "w") as f:
        json.dump({"route_socket_group": group}, f)
    a = c.agent("rs1", 0, dc="dc1", extra=["-config-file", conf, "-route-socket", path]).start()
    wait_for(lambda: os.path.exists(path), 5, "the route socket")

    st = os.stat(path)
    check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660,
          "route socket mode %o, want 0660" % stat.S_IMODE(st.st_mode))
    check(st.st_gid == gid, "route socket group %d, want %d" % (st.st_gid, gid))
    cst = os.stat(a.control)
    check(stat.S_IMODE(cst.st_mode) == 0o600, "control socket stays 0600")
    log("ok: route socket %s is 0660, group %s = %d (control socket 0600)" % (path, group, gid))

    s = Sub(path)
    hello = s.recv()
    check(hello and hello["type"] == "hello" and hello["protocol"] == 1
          and hello["datacenter"] == "dc1" and hello["node"] == "rs1"
          and isinstance(hello["epoch"], int) and hello["epoch"] > 0, "hello: %r" % hello)
    snap = s.recv()
    check(snap and snap["type"] == "snapshot" and snap["epoch"] == hello["epoch"],
          "then a snapshot: %r" % snap)
    routes = json.loads(a.ctl("routes", "-format", "json").stdout)
    if routes["version"] == snap["version"]:
        check(routes == snap["table"], "snapshot table == meshfed routes: %r vs %r"
              % (snap["table"], routes))
    check([r["target"] for r in snap["table"]["routes"] if r["status"] == "local"] == ["dc1"],
          "the snapshot holds our own DC: %r" % snap["table"])
    log("ok: hello (epoch %d), snapshot of version %d" % (hello["epoch"], snap["version"]))

    def me():
        subs = rs_info(a)["subscribers"]
        check(len(subs) >= 1, "info lists the subscriber: %r" % subs)
        return subs[0]

    wait_for(lambda: me()["applied"] == s.version and me()["in_flight"] is None, 5,
             "info to show the ack")
    sub = me()
    check(sub["pid"] == os.getpid() and sub["uid"] == os.getuid(),
          "peer credentials in info: %r" % sub)
    log("ok: meshfed info lists the subscriber: %r" % sub)

    s.send({"type": "register", "gateway": {"name": "dc1-gw9", "wan": "192.0.2.9:8443",
                                            "lan": "10.0.0.9:8443"}})
    s.until(lambda m: m["type"] == "registered", 5, "registered")
    s.send({"type": "health", "ok": True})
    wait_for(lambda: me()["gateway"] == "dc1-gw9" and me()["healthy"], 5,
             "the gateway in info")
    s.send({"type": "register", "gateway": {"name": "dc1-gw8", "wan": "nowhere"}})
    err = s.until(lambda m: m["type"] == "error", 5, "an error for a bad register")
    check("wan" in err["error"], "the error names the field: %r" % err)
    log("ok: register answered, shown in info; a bad one: %r" % err["error"])

    before = rs_info(a)
    for junk in (b"not json\n", b"[1,2]\n", b'{"type":"fly"}\n'):
        s.sock.sendall(junk)
        s.until(lambda m: m["type"] == "error", 5, "an error for %r" % junk)
    after = rs_info(a)
    check(after["malformed_lines"] == before["malformed_lines"] + 3,
          "3 malformed lines counted: %d -> %d" % (before["malformed_lines"],
                                                   after["malformed_lines"]))
    log("ok: garbage answered with errors, counted")

    big = Sub(path)
    check(big.recv()["type"] == "hello", "hello on the second connection")
    refused = False
    big.sock.settimeout(10)
    try:
        chunk = b"x" * 65536
        for _ in range(160):  # 10 MB, no newline
            big.sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        refused = True
    got_error = False
    while True:
        try:
            m = big.recv(10)
        except json.JSONDecodeError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            m = None
        if m is None:
            refused = True
            break
        got_error = got_error or m["type"] == "error"
    check(refused, "the 10 MB line closes the connection")
    inf = rs_info(a)
    check(inf["oversized_lines"] >= 1 and inf["closed_garbage"] >= 1,
          "counted in info: %r" % {k: v for k, v in inf.items() if k != "subscribers"})
    wait_for(lambda: rs_info(a)["n_subscribers"] == 1, 5, "only the first subscriber left")
    log("ok: a 10 MB line without newline is refused%s and counted (oversized_lines %d)"
        % (" with an error" if got_error else "", inf["oversized_lines"]))

    t0 = time.monotonic()
    hb = s.until(lambda m: m["type"] == "heartbeat", 8, "a heartbeat")
    check(hb["version"] >= s.version, "heartbeat names the current version: %r" % hb)
    log("ok: heartbeat %r after %.1fs" % (hb, time.monotonic() - t0))
    text = a.ctl("info").stdout
    check("route_socket:" in text and "gateway=dc1-gw9" in text,
          "text info shows the subscriber: %s" % text[-800:])
    s.close()
    wait_for(lambda: rs_info(a)["n_subscribers"] == 0, 5, "the subscriber gone from info")

    # One path, one agent: a live socket is refused, a stale one replaced.
    r = subprocess.run([c.meshfed, "agent", "-node", "rs2", "-bind", "%s:7946" % c.ip(1),
                        "-profile", "local", "-control", os.path.join(c.dir, "rs2.sock"),
                        "-route-socket", path], capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "another agent is listening" in r.stderr,
          "a second agent on the live route socket fails: rc %d %r" % (r.returncode, r.stderr))
    a.kill(signal.SIGKILL)
    check(os.path.exists(path), "a killed agent leaves its socket file")
    a.start()
    wait_for(lambda: Sub(path).recv()["type"] == "hello", 5, "the restarted agent's hello")
    log("ok: a live route socket is refused, a stale one replaced")
    a.proc.send_signal(signal.SIGTERM)
    a.proc.wait(15)
    check(not os.path.exists(path), "SIGTERM removes the route socket file")
    log("ok: the socket file is removed at exit")


run(main)
