#!/usr/bin/python3
"""Hostile peers over UDP (issue 11), against three real agents on loopback,
plaintext and encrypted pools: the exact bytes of the issue's table and
variations. After each attack every agent is up, answers `info` within its
bound, stays under its memory limit and sees every other one alive.
  - coordinate announcement declaring a 2^31-element array (and 2^32-1,
    map32, nested in a compound);
  - dead / suspect / alive at incarnation 0xFFFFFFFF for a live node: it
    comes back at once, and again after a restart;
  - 100,000 fake names in compounds of 255: at most max_members held,
    `info` answers within 100 ms throughout (the agent's own time: waits
    for a CPU on a shared machine not counted), its peers see it alive
    throughout (timing bounds asserted on the release build, reported under
    ASan);
  - 3,000 LZW messages of 1.9 KB expanding to 1 MB: bounded CPU, no
    flapping (asserted on the release build, reported under ASan);
  - a coordinate announced under another member's name: `rtt` between two
    real nodes stays a loopback figure;
  - 255 pings with SourceAddr/SourcePort in one packet: no ack reaches the
    address they name.
Loopback 127.41.x.x (plaintext) and 127.42.x.x (encrypted)."""
import re
import socket
import time

import mfwire as w
from hostile import (KEY, LatencyProbe, ViewWatch, all_alive, control_request, cpu_s, rss_mb,
                     run_rows, sealed, slow_build, three, udp_sender)
from mfcluster import check, log, run, wait_for

MAX_MEMBERS = 10000  # the documented default (docs/security.md)


def send_all(s, key, dst, pkts, pace=8):
    for i, p in enumerate(pkts):
        s.sendto(sealed(key, p), (dst.ip, 7946))
        if i % pace == pace - 1:
            time.sleep(0.002)


def huge_announcements(s, key, agents, c, label):
    bad = [bytes.fromhex("08c802dd7fffffff"),             # the bytes
           bytes.fromhex("08c802ddffffffff"),             # 2^32 - 1 elements
           bytes.fromhex("08c802df7fffffff"),             # a map32
           bytes.fromhex("08c802a162dd7fffffff"),         # after a node name
           w.user(w.announce("b", b"\x01\x84\xa3Vec\xdd\x7f\xff\xff\xff")),
           w.compound([bytes.fromhex("08c802dd7fffffff")] * 50)]
    for x in agents:
        send_all(s, key, x, bad * 20)


def incarnation_wrap(s, key, agents, c, label):
    a, b, d = agents
    for m in [w.dead("b", 0xffffffff, "a"), w.suspect("b", 0xffffffff, "a"),
              w.alive("b", 0xffffffff, b.ip)]:
        send_all(s, key, a, [m])
        send_all(s, key, d, [m])
        time.sleep(0.5)
    wait_for(lambda: all_alive(agents), 15,
             "%s: b alive again in every view after incarnation 0xFFFFFFFF" % label)
    log("ok: %s: a node accused at incarnation 0xFFFFFFFF refutes it" % label)
    b.kill()
    wait_for(lambda: a.status_of("b") != "alive", 30, "%s: b seen gone" % label)
    b.start()
    wait_for(lambda: all_alive(agents), 20,
             "%s: b accepted again after a restart (incarnation restarts low)" % label)
    log("ok: %s: the restarted node is accepted by its peers" % label)


def fake_alive(i):
    return w.alive("fake-%06d" % i, 1, "127.43.%d.%d" % (i // 250 % 250, i % 250 + 1))


def name_flood(s, key, agents, c, label, slack):
    a = agents[0]
    n, per = 100000, 255
    pkts = [w.compound([fake_alive(i) for i in range(j, min(j + per, n))])
            for j in range(0, n, per)]
    cpu0 = cpu_s(a)
    with LatencyProbe(a) as probe, ViewWatch(agents[1:], a.name) as watch:
        send_all(s, key, a, pkts, pace=2)
        time.sleep(2)
    r = control_request(a.control, {"cmd": "members"}, 10 * slack)
    check(r is not None and r.get("ok"), "%s: members unanswered after the flood" % label)
    held = len(r["members"])
    log("%s: during the flood its peers saw %s as %s (%d views)" % (
        label, a.name, "/".join(sorted(watch.seen)), watch.n))
    # Liveness is a timing property: asserted on the release build, reported
    # under ASan (run_rows, `timing`), like the latency below.
    if slack == 1:
        check(watch.n > 0 and watch.seen == {"alive"},
              "%s: peers saw the flooded agent as %s during the flood" % (label, watch.seen))
    log("%s: 100,000 fake names: %d members held, worst info %.1f ms (%.1f ms as measured, "
        "with waits for a CPU) over %d requests, %.1f s CPU, VmRSS %.1f MB" % (
            label, held, probe.worst * 1000, probe.worst_wall * 1000, probe.n,
            cpu_s(a) - cpu0, rss_mb(a)))
    check(held <= MAX_MEMBERS + len(agents),
          "%s: %d members held (max_members %d)" % (label, held, MAX_MEMBERS))
    # The 100 ms bound is the release build's (what operators run). Under
    # ASan every member insert and lookup of the flood runs instrumented
    # (several times slower, and in bursts), so there the row checks memory
    # safety and the limits below, and only reports the latency. The bound
    # is on the agent's own time: waits for a CPU on this shared machine
    # (LatencyProbe) are not counted.
    if slack == 1:
        check(probe.worst < 0.1,
              "%s: info took %.0f ms during the flood (limit 100 ms)" % (label,
                                                                    probe.worst * 1000))
    info = a.info()
    refused = info.get("members_refused", info.get("max_members_refused"))
    check(refused is not None and refused > 0,
          "%s: refused names counted in info (members_refused): %r" % (label, refused))


def lzw_burst(s, key, agents, c, label, slack):
    a = agents[0]
    bomb = w.compress(w.lzw_compress(b"\x00" * (1 << 20)))
    check(len(bomb) < 2500, "the bomb is %d bytes" % len(bomb))
    cpu0, t0 = cpu_s(a), time.monotonic()
    flaps = []
    for i in range(3000):
        s.sendto(sealed(key, bomb), (a.ip, 7946))
        if i % 500 == 499:
            time.sleep(0.01)
            if not all_alive(agents):
                flaps.append(i)
    time.sleep(1)
    used = cpu_s(a) - cpu0
    log("%s: 3,000 LZW bombs (%d B -> 1 MB): %.2f s CPU in %.1f s" % (
        label, len(bomb), used, time.monotonic() - t0))
    # Flapping is a timing property: asserted on the release build, reported
    # under ASan (several times slower; on a loaded machine its probes miss
    # their timeouts whatever the attack).
    if flaps:
        log("%s: a member was not alive in some view during the burst (after %r)" % (
            label, flaps))
    check(slack > 1 or not flaps, "%s: a member was not alive in some view during the burst "
          "(after %r)" % (label, flaps))
    check(used < 2.0 * slack, "%s: decompression took %.2f s CPU for 3,000 packets" % (label, used))


def rtt_ms(agent, x, y):
    out = agent.ctl("rtt", x, y).stdout
    m = re.search(r"rtt: ([0-9.]+) ms", out)
    check(m is not None, "rtt output: %r" % out)
    return float(m.group(1))


def coordinate_spoof(s, key, agents, c, label):
    a, b, d = agents
    wait_for(lambda: a.ctl("rtt", "b", "c", check_rc=False).returncode == 0, 30,
             "%s: a has coordinates of b and c" % label)
    far = w.coord_payload([1000.0] * 8, error=0.01, height=1e-5)
    other = w.coord_payload([-1000.0] * 8, error=0.01, height=1e-5)
    worst = 0.0
    for _ in range(10):   # read right after each spoof: no probe has corrected it yet
        send_all(s, key, a, [w.user(w.announce("b", far)), w.user(w.announce("c", other))])
        time.sleep(0.02)
        worst = max(worst, rtt_ms(a, "b", "c"))
    log("%s: after spoofed announcements, a says rtt b <-> c = %.3f ms at worst" % (label, worst))
    check(worst < 100, "%s: rtt b <-> c reads %.1f ms on loopback" % (label, worst))


def ack_reflection(s, key, agents, c, label):
    a = agents[0]
    victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    victim.bind((c.ip(201), 0))
    vport = victim.getsockname()[1]
    pings = w.compound([w.ping(i, a.name, c.ip(201), vport, "") for i in range(255)])
    check(len(pings) < 17000, "ping packet is %d bytes" % len(pings))
    s.sendto(sealed(key, pings), (a.ip, 7946))
    victim.settimeout(1.5)
    got = 0
    try:
        while True:
            got += len(victim.recv(65536))
    except socket.timeout:
        pass
    log("%s: 255 pings naming another source: %d bytes of acks reached it" % (label, got))
    check(got == 0, "%s: %d bytes of acks reflected to an address no member vouches for" % (
        label, got))


def scenario(c, key, label, slack, rows):
    agents = three(c, key)
    base = max(rss_mb(x) for x in agents)
    limit = base + 48 * slack
    s = udp_sender(c.ip(200))
    return run_rows(agents, label, rows, limit, slack,
                    lambda fn, args: fn(s, key, agents, c, label, *args))


def main(cluster_factory):
    import sys
    slack = slow_build(sys.argv[1])
    # A row that fails may leave a member failed for good: the incarnation
    # and flood rows get clusters of their own so the others stay meaningful.
    rows = [("huge announcement arrays", huge_announcements, ()),
            ("coordinate spoofing", coordinate_spoof, ()),
            ("ack reflection", ack_reflection, ()),
            ("LZW bombs", lzw_burst, (slack,), True)]
    failures = []
    for key, label, nets in [(None, "plain", (41, 46, 47)), (KEY, "keyed", (42, 48, 49))]:
        failures += scenario(cluster_factory(nets[0]), key, label, slack, rows)
        failures += scenario(cluster_factory(nets[1]), key, label, slack,
                             [("incarnation 0xFFFFFFFF", incarnation_wrap, ())])
        failures += scenario(cluster_factory(nets[2]), key, label, slack,
                             [("100,000 fake names", name_flood, (slack,), True)])
    check(not failures, "%d rows failed:\n  %s" % (len(failures), "\n  ".join(failures)))


if __name__ == "__main__":
    run(main)
