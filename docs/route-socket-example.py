#!/usr/bin/env python3
"""A route socket subscriber in plain Python (standard library only).

Connects to a meshfed agent's route socket (docs/route-socket.md), applies
the snapshot and every delta, acknowledges each, and prints the next hop per
target DC for every version. With --name and --wan it also registers a
gateway and reports its health every 5 s, so the agent advertises it to the
other DCs for as long as this process runs:

    python3 docs/route-socket-example.py --name dc2-gw1 \\
        --wan 192.0.2.7:8443 --lan 10.2.0.7:8443 --tag dc:dc1=198.51.100.7:8443

The integration tests import RouteState from this file and run it as a
program (tests/integration/rsock.py), so it stays true to the agent.
"""
import argparse
import json
import os
import select
import socket
import sys
import time

HEALTH_EVERY_S = 5  # the agent withdraws a gateway silent for 15 s


def default_socket():
    """The agent's default: $MESHFED_ROUTE_SOCKET, else /tmp/meshfed-<uid>-routes.sock."""
    return os.environ.get("MESHFED_ROUTE_SOCKET") or "/tmp/meshfed-%d-routes.sock" % os.getuid()


def line(obj):
    """One protocol message: compact JSON and a newline."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


class RouteState:
    """What a subscriber holds: the agent's hello and the table it applied.

    apply(msg) takes one decoded message from the agent and returns the
    reply to send (bytes) or None: an ack for each snapshot or delta
    applied, a nack for one that does not apply (another epoch than the
    hello's, a delta on another base than our version or removing a target
    we lack); the agent then sends a snapshot. The rules are
    docs/route-socket.md's."""

    def __init__(self):
        self.hello = None
        self.epoch = None
        self.version = None  # version of the table applied, None before a snapshot
        self.datacenter = None
        self.routes = {}     # target -> route object, as `meshfed routes -format json`
        self.links = []

    def table(self):
        """The table as `meshfed routes -format json` prints it."""
        return {"datacenter": self.datacenter, "version": self.version,
                "routes": [self.routes[t] for t in sorted(self.routes)],
                "links": self.links}

    def apply(self, msg):
        kind = msg.get("type")
        if kind == "hello":
            if msg["protocol"] != 1:
                raise ValueError("the agent speaks route socket protocol %s, not 1"
                                 % msg["protocol"])
            self.hello = msg
            self.epoch = msg["epoch"]
        elif kind == "snapshot":
            t = msg["table"]
            if msg["epoch"] != self.epoch:
                return line({"type": "nack", "version": msg["version"],
                             "error": "snapshot of epoch %s, hello said %s" % (
                                 msg["epoch"], self.epoch)})
            self.version = msg["version"]
            self.datacenter = t["datacenter"]
            self.routes = {r["target"]: r for r in t["routes"]}
            self.links = t.get("links", [])
            return line({"type": "ack", "version": self.version})
        elif kind == "delta":
            if msg["epoch"] != self.epoch or msg["base"] != self.version or \
                    any(x not in self.routes for x in msg["remove"]):
                return line({"type": "nack", "version": msg["version"],
                             "error": "delta on base %s/%s, have %s/%s" % (
                                 msg["epoch"], msg["base"], self.epoch, self.version)})
            for target in msg["remove"]:  # removes first, then upserts
                del self.routes[target]
            for r in msg["upsert"]:
                self.routes[r["target"]] = r
            if "links" in msg:
                self.links = msg["links"]
            self.version = msg["version"]
            return line({"type": "ack", "version": self.version})
        return None


class LineReader:
    """Splits a byte stream into protocol lines."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return [json.loads(x) for x in lines if x.strip()]


def describe(route):
    """One target's next hop, e.g. 'dc3: via dc2 at 2.1 ms, gateways dc2-gw=198.51.100.2:8443'."""
    if route["status"] in ("local", "unreachable", "no-gateway") or not route.get("next_hop"):
        return "%s: %s" % (route["target"], route["status"])
    gws = ", ".join("%s=%s" % (g["name"], g["addr"]) for g in route.get("gateways", []))
    alts = ", ".join(a.get("next_hop", "?") for a in route.get("alternates", []))
    dist = route.get("distance_ms")
    return "%s: %s %s at %s ms, gateways %s%s" % (
        route["target"], route["status"], route["next_hop"],
        "%.1f" % dist if dist is not None else "?", gws or "none",
        ", alternates " + alts if alts else "")


def gateway(args):
    g = {"name": args.name, "wan": args.wan}
    if args.lan:
        g["lan"] = args.lan
    if args.tag:
        g["tagged"] = dict(t.split("=", 1) for t in args.tag)
    return g


def main(argv=None):
    p = argparse.ArgumentParser(description="Print a meshfed agent's next hops as they change; "
                                            "optionally register a gateway.")
    p.add_argument("--socket", default=default_socket(), help="the agent's route socket")
    p.add_argument("--name", help="register a gateway of this name (needs --wan)")
    p.add_argument("--wan", help="the gateway's WAN address, IP:PORT")
    p.add_argument("--lan", help="the gateway's LAN address, IP:PORT")
    p.add_argument("--tag", action="append", default=[],
                   help="a tagged address dc:DC=IP:PORT, the one DC dials (repeatable)")
    p.add_argument("--unhealthy", action="store_true", help="report health ok=false")
    args = p.parse_args(argv)
    if args.name and not args.wan:
        p.error("--name needs --wan")

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(args.socket)
    except OSError as e:
        print("cannot connect to %s: %s" % (args.socket, e), file=sys.stderr)
        return 1
    state, reader = RouteState(), LineReader()
    next_health = None
    if args.name:
        sock.sendall(line({"type": "register", "gateway": gateway(args)}))
    while True:
        now = time.monotonic()
        if next_health is not None and now >= next_health:
            sock.sendall(line({"type": "health", "ok": not args.unhealthy}))
            next_health = now + HEALTH_EVERY_S
        timeout = None if next_health is None else max(0, next_health - now)
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            continue
        data = sock.recv(65536)
        if not data:
            print("the agent closed the route socket", flush=True)
            return 1
        for msg in reader.feed(data):
            reply = state.apply(msg)
            if reply:
                sock.sendall(reply)
            kind = msg.get("type")
            if kind == "hello":
                print("hello from %s in %s, epoch %d" % (msg["node"], msg["datacenter"],
                                                         msg["epoch"]), flush=True)
            elif kind == "registered":
                print("registered gateway %s" % msg.get("gateway"), flush=True)
                next_health = time.monotonic()  # health at once, then every 5 s
            elif kind == "error":
                print("agent error: %s" % msg.get("error"), flush=True)
            elif kind in ("snapshot", "delta") and reply and b'"ack"' in reply:
                print("version %d (%s):" % (state.version, kind), flush=True)
                for target in sorted(state.routes):
                    print("  " + describe(state.routes[target]), flush=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
