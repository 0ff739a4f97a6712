#!/usr/bin/python3
"""tests/cli/test_routes_watch.py MESHFED — `meshfed routes -watch` against a
scripted agent: this script serves the route socket (docs/route-socket.md)
itself and checks what the CLI prints and answers.
 - hello, snapshot v3 -> ack 3 and the v3 table printed; a delta v5 -> ack 5
   and the v5 table; a delta on a base it does not hold -> nack, nothing
   printed, then a snapshot v9 -> ack 9 and the v9 table; heartbeats are
   quiet;
 - -format json: one compact table object per line, each exactly the table
   (equal to the snapshot's or the snapshot with the deltas applied);
 - -format table: a header line naming the version, then the table rows;
 - the socket closed: one line on stderr, exit 1;
 - no socket: exit 1; -watch -format dot and -route-socket without -watch:
   exit 2; $MESHFED_ROUTE_SOCKET is the default path.
No network: a Unix socket in a temporary directory."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

M = sys.argv[1]
D = tempfile.mkdtemp(prefix="meshfed-watch-")
EPOCH = 77


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def route(target, status, hop=None, dist=None, gws=()):
    return {"target": target, "status": status, "next_hop": hop, "distance_ms": dist,
            "path": ["dc1"] + ([hop] if hop and hop != target else []) +
                    ([target] if status != "unreachable" and target != "dc1" else []),
            "mode": "multi-hop", "down": False,
            "gateways": [{"name": n, "addr": a} for n, a in gws], "alternates": []}


def table(version, routes):
    return {"datacenter": "dc1", "version": version, "routes": routes,
            "links": [{"from": "dc1", "to": "dc2", "distance_ms": 1.5, "usable": True}]}


R1 = route("dc1", "local", dist=0.0)
R1["path"] = ["dc1"]
R2 = route("dc2", "direct", "dc2", 1.5, [("dc2-gw", "192.0.2.2:8443")])
R3 = route("dc3", "via", "dc2", 3.25, [("dc2-gw", "192.0.2.2:8443")])
R3["alternates"] = [{"next_hop": "dc4", "distance_ms": 7.5,
                     "gateways": [{"name": "dc4-gw", "addr": "192.0.2.4:8443"}]}]
R3u = route("dc3", "unreachable")
R3u["path"] = []
T3 = table(3, [R1, R2, R3])
T5 = table(5, [R1, R2, R3u])
T9 = table(9, [R1, R2])


def send(conn, obj):
    conn.sendall((json.dumps(obj) + "\n").encode())


def recv_line(conn, buf):
    conn.settimeout(10)
    while b"\n" not in buf[0]:
        data = conn.recv(65536)
        if not data:
            fail("the CLI closed the socket early")
        buf[0] += data
    ln, buf[0] = buf[0].split(b"\n", 1)
    return json.loads(ln)


def session(fmt):
    """Serves one scripted session to `routes -watch -format fmt`; returns
    (rc, stdout, stderr, replies)."""
    path = os.path.join(D, "r-%s.sock" % fmt)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    p = subprocess.Popen([M, "routes", "-watch", "-format", fmt, "-route-socket", path],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    srv.settimeout(10)
    conn, _ = srv.accept()
    buf, replies = [b""], []
    send(conn, {"type": "hello", "protocol": 1, "datacenter": "dc1", "node": "dc1-s1",
                "epoch": EPOCH})
    send(conn, {"type": "snapshot", "epoch": EPOCH, "version": 3, "table": T3})
    replies.append(recv_line(conn, buf))
    send(conn, {"type": "heartbeat", "version": 3})
    send(conn, {"type": "delta", "epoch": EPOCH, "version": 5, "base": 3, "upsert": [R3u],
                "remove": []})
    replies.append(recv_line(conn, buf))
    send(conn, {"type": "delta", "epoch": EPOCH, "version": 8, "base": 7, "upsert": [],
                "remove": ["dc3"]})
    replies.append(recv_line(conn, buf))
    send(conn, {"type": "snapshot", "epoch": EPOCH, "version": 9, "table": T9})
    replies.append(recv_line(conn, buf))
    conn.close()
    srv.close()
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("routes -watch did not exit after the socket closed")
    return p.returncode, out, err, replies


def main():
    rc, out, err, replies = session("json")
    kinds = [(r["type"], r["version"]) for r in replies]
    check(kinds == [("ack", 3), ("ack", 5), ("nack", 8), ("ack", 9)],
          "acks and the nack: %r" % replies)
    lines = out.splitlines()
    check([json.loads(x) for x in lines] == [T3, T5, T9],
          "-format json prints each version's table:\n%s" % out)
    check(all(": " not in x and ", " not in x for x in lines), "compact lines: %r" % lines[0])
    check(rc == 1, "exit 1 when the agent goes away: %r" % rc)
    errs = [x for x in err.splitlines() if "closed the route socket" in x]
    check(len(errs) == 1 and errs[0].startswith("meshfed routes: "),
          "one line saying the agent closed the socket: %r" % err)
    print("ok: -format json: tables v3, v5, v9; acks 3, 5, 9, nack 8; exit 1 on close")

    rc, out, err, _ = session("table")
    heads = [x for x in out.splitlines() if x.startswith("== ")]
    check(heads == ["== dc1, version 3 (agent dc1-s1)", "== dc1, version 5 (agent dc1-s1)",
                    "== dc1, version 9 (agent dc1-s1)"], "table headers: %r" % out)
    check("192.0.2.2:8443" in out and "unreachable" in out, "table rows: %r" % out)
    check(rc == 1, "exit 1: %r" % rc)
    print("ok: -format table: a header per version and the table")

    r = subprocess.run([M, "routes", "-watch", "-route-socket", os.path.join(D, "none.sock")],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and "no agent at" in r.stderr,
          "no socket: exit 1, one line: %r" % r.stderr)
    env = dict(os.environ, MESHFED_ROUTE_SOCKET=os.path.join(D, "env.sock"))
    r = subprocess.run([M, "routes", "-watch"], capture_output=True, text=True, timeout=10,
                       env=env)
    check(r.returncode == 1 and "env.sock" in r.stderr, "$MESHFED_ROUTE_SOCKET: %r" % r.stderr)
    r = subprocess.run([M, "routes", "-watch", "-format", "dot"], capture_output=True, text=True)
    check(r.returncode == 2, "-watch -format dot: exit 2: %r" % r.stderr)
    r = subprocess.run([M, "routes", "-route-socket", "/x"], capture_output=True, text=True)
    check(r.returncode == 2, "-route-socket without -watch: exit 2: %r" % r.stderr)
    r = subprocess.run([M, "routes", "-h"], capture_output=True, text=True)
    check(r.returncode == 0 and "-watch" in r.stdout and "-route-socket" in r.stdout,
          "-h names -watch and -route-socket")
    print("ok: no socket exit 1; $MESHFED_ROUTE_SOCKET; usage errors exit 2; -h")


try:
    main()
finally:
    shutil.rmtree(D, ignore_errors=True)
