#!/usr/bin/python3
"""Hostile peers over TCP and the control socket (issue 11), against three
real agents on loopback. After each attack every agent is up, answers
`info` within its bound, stays under its memory limit and sees every other
one alive.
  - push-pull whose user state is `02 dd 7f ff ff ff` (a 2^31-element
    array for routing/node.c's merge), plain and as an encrypted frame;
  - 64 inbound streams each declaring 19 MB of push-pull user state (and
    encrypted frames declaring 19 MB) from 64 addresses, each sending
    1 MB: memory stays within the inbound budget;
  - a push-pull header declaring 19,000,000 nodes followed by 8 KB writes
    of node states: CPU stays a fraction of the time;
  - 500 idle connections from one address, reopened as closed: a new
    agent joins from another address meanwhile;
  - one full-state route advert naming 10,000 DCs: at most max_datacenters
    routes (and an advert for our own DC from another DC's node is ignored);
  - 1,000 idle control-socket clients: `meshfed info` still answers.
Loopback 127.44.x.x (plaintext) and 127.45.x.x (encrypted)."""
import json
import socket
import struct
import sys
import threading
import time

import mfwire as w
from hostile import KEY, cpu_s, rss_mb, run_rows, slow_build, tcp_connect, three
from mfcluster import check, log, run, wait_for

MAX_DATACENTERS = 1000          # the documented default (docs/security.md)
INBOUND_BUDGET_MB = 64          # gossip/transport.h MF_TRANSPORT_MAX_INBOUND_BYTES


def frame(key, m):
    return w.seal_stream(key, m) if key else m


def send_stream(src, dst, data, wait_reply=True):
    s = tcp_connect(src, dst.ip)
    try:
        s.sendall(data)
        if wait_reply:
            try:
                s.recv(65536)
            except OSError:
                pass
    finally:
        s.close()


def huge_user_state(c, key, agents, label):
    evil = bytes.fromhex("02dd7fffffff")
    pp = (bytes([6]) + b"\x83\xa4Join\xc2\xa5Nodes\x00\xacUserStateLen\x06" + evil)
    variants = [pp, w.push_pull([], evil), w.push_pull([], bytes.fromhex("02df7fffffff")),
                w.push_pull([], b"\x02" + w.pack({"MeshfedRoutes": w.Raw(b"\xc6\x7f\xff\xff\xff")}))]
    for x in agents:
        for m in variants:
            send_stream(c.ip(200), x, frame(key, m))


def declared_19mb(c, key, agents, label, slack):
    a = agents[0]
    head = w.push_pull([], user_state_len=19 * 1024 * 1024)
    if key:  # an encrypted frame declaring 19 MB, never completed
        head = bytes([w.ENCRYPT]) + struct.pack(">I", 19 * 1024 * 1024)
    base = rss_mb(a)
    socks, peak = [], base
    for i in range(64):
        try:
            socks.append(tcp_connect(c.ip(100 + i), a.ip))
        except OSError:
            pass
    chunk = b"\x00" * 65536
    for _ in range(16):                      # 1 MB each
        for s in socks:
            try:
                s.sendall(head if _ == 0 else chunk)
            except OSError:
                pass
        peak = max(peak, rss_mb(a))
    time.sleep(0.5)
    peak = max(peak, rss_mb(a))
    for s in socks:
        s.close()
    log("%s: 64 streams declaring 19 MB: VmRSS %.1f -> peak %.1f MB" % (label, base, peak))
    check(peak - base < (INBOUND_BUDGET_MB + 32) * slack,
          "%s: VmRSS grew %.1f MB (budget %d MB)" % (label, peak - base, INBOUND_BUDGET_MB))


def nodes_19m(c, key, agents, label, slack):
    a = agents[0]
    head = w.push_pull([], n_nodes=19000000)
    state = w.pack(w.node_state("x", "127.0.0.9"))
    chunk = state * (8192 // len(state))
    s = tcp_connect(c.ip(200), a.ip, timeout=10)
    cpu0, t0, sent = cpu_s(a), time.monotonic(), 0
    try:
        s.sendall(head)
        while time.monotonic() - t0 < 4 and sent < 19 * 1024 * 1024:
            s.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass                                 # closed by the agent: fine
    s.close()
    used, wall = cpu_s(a) - cpu0, time.monotonic() - t0
    log("%s: 19,000,000 declared nodes, %.1f MB in 8 KB writes: %.2f s CPU in %.1f s" % (
        label, sent / 1e6, used, wall))
    # The issue saw 11.8 s of CPU in 12.5 s (every read re-walked the buffer).
    check(used < max(0.5, 0.25 * wall) * slack,
          "%s: %.2f s CPU in %.1f s framing one stream" % (label, used, wall))


def idle_flood(c, key, agents, label):
    a = agents[0]
    stop = threading.Event()
    opened = [0]

    def flood():
        socks = []
        while not stop.is_set():
            socks = [s for s in socks if s.fileno() >= 0]
            while len(socks) < 500 and not stop.is_set():
                try:
                    socks.append(tcp_connect(c.ip(250), a.ip, timeout=1))
                    opened[0] += 1
                except OSError:
                    break
            for s in list(socks):            # reopen what the agent closed
                s.setblocking(False)
                try:
                    if s.recv(1) == b"":
                        s.close()
                        socks.remove(s)
                except BlockingIOError:
                    pass
                except OSError:
                    s.close()
                    socks.remove(s)
            time.sleep(0.1)
        for s in socks:
            s.close()

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    time.sleep(1)
    late = c.agent("late", 3, key=key, join=[a.addr]).start()
    try:
        wait_for(lambda: a.status_of("late") == "alive" and late.status_of("a") == "alive", 15,
                 "%s: a join from another address during the flood" % label)
        log("%s: joined through a flood of idle connections (%d opened)" % (label, opened[0]))
    finally:
        stop.set()
        t.join()
        late.ctl("leave", check_rc=False)
        late.kill()
        c.agents.remove(late)


def advert_10000(c, key, agents, label):
    a = agents[0]
    names = ["evil"] + ["x%d" % i for i in range(10000)]
    adv = w.advert("evil", "evil-s1", 1, names, [[i, 10, 1] for i in range(1, len(names))])
    own = w.advert("dc1", "evil-s1", 5, ["dc1", "y1"], [[1, 10, 1]])
    us = b"\x02" + w.pack({"LTime": 1, "MeshfedRoutes": w.Bin(adv + own)})
    member = w.node_state("evil-s1", c.ip(99), meta=w.tags(dc="evil", role=""))
    send_stream(c.ip(99), a, frame(key, w.push_pull([member], us)))
    time.sleep(2)
    routes = json.loads(a.ctl("routes", "-format", "json").stdout)["routes"]
    targets = {r["target"] for r in routes}
    log("%s: a full-state advert naming 10,000 DCs: %d routes" % (label, len(routes)))
    check(len(routes) <= MAX_DATACENTERS + 3, "%s: %d routes held (max_datacenters %d)" % (
        label, len(routes), MAX_DATACENTERS))
    check("y1" not in targets, "%s: an advert for our own DC from another DC's node was used" %
          label)


def control_clients(c, key, agents, label):
    a = agents[0]
    socks = []
    for _ in range(1000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(a.control)
            socks.append(s)
        except OSError:
            s.close()
            break
    time.sleep(0.5)
    t0 = time.monotonic()
    r = a.ctl("info", check_rc=False, timeout=10)
    dt = time.monotonic() - t0
    for s in socks:
        s.close()
    log("%s: %d idle control clients, then `meshfed info` in %.2f s (rc %d)" % (
        label, len(socks), dt, r.returncode))
    check(r.returncode == 0, "%s: info refused with %d idle clients: %s" % (
        label, len(socks), r.stderr.strip()))


def scenario(c, key, label, slack, rows):
    agents = three(c, key)
    base = max(rss_mb(x) for x in agents)
    limit = base + (INBOUND_BUDGET_MB + 32) * slack
    return run_rows(agents, label, rows, limit, slack,
                    lambda fn, args: fn(c, key, agents, label, *args))


def main(cluster_factory):
    slack = slow_build(sys.argv[1])
    plain = [("2^31-element user state", huge_user_state, ()),
             ("64 streams declaring 19 MB", declared_19mb, (slack,)),
             ("19,000,000 declared nodes", nodes_19m, (slack,)),
             ("500 idle connections", idle_flood, ()),
             ("advert naming 10,000 DCs", advert_10000, ()),
             ("1,000 control clients", control_clients, ())]
    keyed = [("2^31-element user state", huge_user_state, ()),
             ("64 encrypted frames declaring 19 MB", declared_19mb, (slack,))]
    failures = scenario(cluster_factory(44), None, "plain", slack, plain)
    failures += scenario(cluster_factory(45), KEY, "keyed", slack, keyed)
    check(not failures, "%d rows failed:\n  %s" % (len(failures), "\n  ".join(failures)))


if __name__ == "__main__":
    run(main)
