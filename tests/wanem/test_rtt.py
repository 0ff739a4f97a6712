#!/usr/bin/env python3
"""RTT across the emulator: 4 DCs x 4 hosts, RTTs 10-300 ms.

For every DC pair, 200 UDP echo samples between one host of each: the
median must be within 0.5 ms + 2 % of the configured RTT. Within a DC the
median RTT must be under 1 ms. All pairs run in parallel (~3 s). Then one
echo every 5 s over dc1-dc2 (20 s): sparse traffic must see the same RTT.
"""
import sys
from concurrent.futures import ThreadPoolExecutor

from wanem_test import Checks, Wan, kv

RTT = {("dc1", "dc2"): 10, ("dc1", "dc3"): 60, ("dc1", "dc4"): 300,
       ("dc2", "dc3"): 35, ("dc2", "dc4"): 150, ("dc3", "dc4"): 220}
TOPO = {
    "datacenters": {d: {"servers": 4} for d in ("dc1", "dc2", "dc3", "dc4")},
    "rtt_ms": {a: {b: v for (x, b), v in RTT.items() if x == a}
               for a in ("dc1", "dc2", "dc3")},
}
SAMPLES = 200
INTERVAL_US = 10000
SPARSE_SAMPLES = 4
SPARSE_INTERVAL_US = 5000000
PORT = 7000


def main():
    c = Checks()
    with Wan(TOPO, "rtt") as w:
        # each DC's host i serves; pair k uses distinct client hosts
        for d in ("dc1", "dc2", "dc3", "dc4"):
            for i in range(1, 5):
                w.spawn("%s-s%d" % (d, i), "serve", PORT)
        jobs = []
        used = {d: 1 for d in ("dc1", "dc2", "dc3", "dc4")}
        for (a, b), rtt in RTT.items():
            used[a] += 1
            jobs.append(("%s-s%d" % (a, used[a]), "%s-s1" % b, rtt))
        for d in ("dc1", "dc2", "dc3", "dc4"):
            jobs.append(("%s-s1" % d, "%s-s4" % d, None))
        import time
        time.sleep(0.3)

        def ping(job):
            src, dst, _ = job
            return kv(w.echo_run(src, "ping", w.addr(dst), PORT, SAMPLES,
                                 INTERVAL_US))

        with ThreadPoolExecutor(len(jobs)) as ex:
            results = list(ex.map(ping, jobs))
        for (src, dst, rtt), r in zip(jobs, results):
            got = r.get("median_ms", float("nan"))
            detail = ("%s -> %s: %d/%d replies, median %.3f ms, p90 %.3f, "
                      "max %.3f" % (src, dst, r["received"], r["sent"], got,
                                    r.get("p90_ms", 0), r.get("max_ms", 0)))
            c.check(r["received"] == SAMPLES, detail + " (no loss)")
            if rtt is None:
                c.check(got < 1.0, detail + " (within-DC under 1 ms)")
            else:
                tol = 0.5 + 0.02 * rtt
                c.check(abs(got - rtt) <= tol, detail +
                        " (configured %g ms, tolerance %.2f ms)" % (rtt, tol))
        # Sparse traffic, as gossip probes are: one echo every 5 s. A vCPU
        # that halts between packets wakes milliseconds late (the router
        # keeps them awake, docs/wanem.md): without that, +8.5 ms at 20 ms.
        # With it the hops still wake a little late on an idle VM: +0.86 ms
        # once in CI (2026-12-02), so the bound is 1 ms + 2 %, well under
        # what it guards against.
        r = kv(w.echo_run("dc1-s2", "ping", w.addr("dc2-s1"), PORT, SPARSE_SAMPLES,
                          SPARSE_INTERVAL_US))
        got, tol = r.get("median_ms", float("nan")), 1.0 + 0.02 * 10
        c.check(r["received"] == SPARSE_SAMPLES and abs(got - 10) <= tol,
                "dc1-s2 -> dc2-s1, one echo every 5 s: %d/%d replies, median %.3f ms, "
                "p90 %.3f (configured 10 ms, tolerance %.2f ms)" % (
                    r["received"], r["sent"], got, r.get("p90_ms", 0), tol))
        print("router:", w.run("stats").stdout.strip())
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
