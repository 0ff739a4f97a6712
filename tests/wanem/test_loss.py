#!/usr/bin/env python3
"""Loss on one link: `wanem loss dc1 dc2 20`, then 5,000 datagrams each way
across dc1-dc2 must lose 20 % +- 2 points, and 5,000 across each other link
must all arrive (one-way counts: a sender blasts, a sink counts)."""
import sys
import time

from wanem_test import Checks, Wan, kv

TOPO = {
    "datacenters": {d: {"servers": 2} for d in ("dc1", "dc2", "dc3")},
    "rtt_ms": {"dc1": {"dc2": 20, "dc3": 20}, "dc2": {"dc3": 20}},
}
N = 5000
RATE = 5000  # per second and flow
# (sender, receiver, port, expected loss %)
FLOWS = [("dc1-s1", "dc2-s1", 7001, 20), ("dc2-s2", "dc1-s2", 7002, 20),
         ("dc1-s2", "dc3-s1", 7003, 0), ("dc3-s2", "dc2-s2", 7004, 0)]


def main():
    c = Checks()
    with Wan(TOPO, "loss") as w:
        w.ctl("loss", "dc1", "dc2", "20")
        sinks = [w.spawn(dst, "sink", port, 4000, N)
                 for _, dst, port, _ in FLOWS]
        time.sleep(0.3)
        blasts = [w.spawn(src, "blast", w.addr(dst), port, N, RATE, 200)
                  for src, dst, port, _ in FLOWS]
        for p in blasts:
            p.communicate(timeout=60)
        for (src, dst, _, want), p in zip(FLOWS, sinks):
            out, _ = p.communicate(timeout=60)
            got = kv(out.strip().splitlines()[-1])["received"]
            loss = 100.0 * (N - got) / N
            what = "%s -> %s: %d of %d arrived, loss %.2f %% (configured %d %%)" % (
                src, dst, got, N, loss, want)
            if want:
                c.check(abs(loss - want) <= 2.0, what + ", within 2 points")
            else:
                c.check(got == N, what + ", none lost")
        print("router:", w.run("stats").stdout.strip())
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
