#!/usr/bin/env python3
"""Links going down and up, partitions and heal, timed.

Senders blast a datagram every ms over each direction of the links under
test while the test changes the WAN; sinks log the CLOCK_MONOTONIC arrival
time of each datagram (every emulated host shares that clock).
- `link dc1 dc2 down`: nothing arrives, either way, later than 50 ms after
  the command was issued, until `link up`; after `up` datagrams arrive again
  within 50 ms + the one-way delay; dc1-dc3 is untouched throughout.
- `partition dc1 dc2,dc3`: the same for dc1-dc2 and dc3-dc1, while dc2-dc3
  keeps flowing; `heal` restores.
A command returns once the router has applied it, so the bound is taken
from the moment the command is issued, or, when merely starting the CLI on a
loaded 2-core machine took longer than that, from its return (+2 ms for a
write already underway): the emulator adds no delay of its own.
"""
import sys
import time

from wanem_test import Checks, Wan

TOPO = {
    "datacenters": {d: {"servers": 1} for d in ("dc1", "dc2", "dc3")},
    "rtt_ms": {"dc1": {"dc2": 20, "dc3": 20}, "dc2": {"dc3": 20}},
}
ONE_WAY_MS = 10
BOUND_MS = 50
RATE = 1000
HOLD_S = 1.0  # how long each state lasts


def arrivals(out):
    """[(seq, recv_ns)] from a `sink -v` log."""
    got = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3:
            got.append((int(f[0]), int(f[2])))
    return got


def phase(w, c, cut, keep, cmd_off, cmd_on):
    """Blast over every flow in cut + keep; cmd_off, HOLD_S, cmd_on, HOLD_S.
    The senders and sinks run until stopped, so a slow machine (commands
    taking long to start) only stretches the phase."""
    flows = cut + keep
    port = 7100
    sinks = [w.spawn(dst, "sink", port + i, 120000, 0, "-v")
             for i, (src, dst) in enumerate(flows)]
    time.sleep(0.3)
    blasts = [w.spawn(src, "blast", w.addr(dst), port + i, RATE * 120, RATE, 64)
              for i, (src, dst) in enumerate(flows)]
    time.sleep(HOLD_S)
    off0, off1 = w.ctl(*cmd_off)
    time.sleep(HOLD_S)
    on0, on1 = w.ctl(*cmd_on)
    time.sleep(HOLD_S)
    for p in blasts:
        p.terminate()
        p.communicate(timeout=30)
    time.sleep(3 * ONE_WAY_MS / 1000)
    for p in sinks:
        p.terminate()
    name_off, name_on = " ".join(cmd_off), " ".join(cmd_on)
    print("`%s` took %.1f ms, `%s` %.1f ms" %
          (name_off, (off1 - off0) / 1e6, name_on, (on1 - on0) / 1e6))
    for (src, dst), p in zip(flows, sinks):
        out, _ = p.communicate(timeout=30)
        got = arrivals(out)
        t = [x for _, x in got]
        bound = max(off0 + BOUND_MS * 1e6, off1 + 2e6)
        during = [x for x in t if bound < x < on0]
        before = [x for x in t if x <= off0]
        after = [x for x in t if x >= on0]
        if (src, dst) in cut:
            last = max([x for x in t if x < on0] or [0])
            c.check(not during and before,
                    "%s -> %s blocked within %d ms of `%s`: last arrival "
                    "%.1f ms after the command, %d arrived in the gap" %
                    (src, dst, BOUND_MS, name_off, (last - off0) / 1e6,
                     len(during)))
            first = min(after or [0])
            delay = (first - on1) / 1e6 if after else float("inf")
            c.check(after and delay <= BOUND_MS + ONE_WAY_MS and
                    len(after) > 0.5 * RATE * HOLD_S,
                    "%s -> %s restored by `%s`: first arrival %.1f ms after "
                    "it returned, %d arrived after" %
                    (src, dst, name_on, delay, len(after)))
        else:
            seqs = [q for q, _ in got]
            missing = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else -1
            gaps = [b - a for a, b in zip(t, t[1:])]
            worst = max(gaps or [0]) / 1e6
            # a cut would show as a gap of HOLD_S; shorter ones are the
            # scheduling of a loaded 2-core machine
            c.check(seqs and missing == 0 and worst < HOLD_S * 1000 / 2 and
                    min(t) < off0 and max(t) > on1,
                    "%s -> %s untouched: %d arrived, %d missing, longest gap "
                    "%.1f ms" % (src, dst, len(seqs), missing, worst))


def main():
    c = Checks()
    with Wan(TOPO, "link") as w:
        phase(w, c, cut=[("dc1-s1", "dc2-s1"), ("dc2-s1", "dc1-s1")],
              keep=[("dc1-s1", "dc3-s1")],
              cmd_off=("link", "dc1", "dc2", "down"),
              cmd_on=("link", "dc1", "dc2", "up"))
        phase(w, c, cut=[("dc1-s1", "dc2-s1"), ("dc3-s1", "dc1-s1"),
                         ("dc2-s1", "dc1-s1")],
              keep=[("dc2-s1", "dc3-s1"), ("dc3-s1", "dc2-s1")],
              cmd_off=("partition", "dc1", "dc2,dc3"),
              cmd_on=("heal",))
        print("router:", w.run("stats").stdout.strip())
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
