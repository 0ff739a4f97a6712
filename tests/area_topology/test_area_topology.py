#!/usr/bin/env python3
"""tests/area_topology/test_area_topology.py SCRIPT [MESHFED_SIM] —
scripts/area-topology keeps what its help promises: each DC in 1 to 4 areas
of 2 or more DCs, the areas connect the whole federation, an RTT exactly for
each pair that shares an area, a neighbour count that does not grow with N,
the file's first half (the west) touching the east only near the cut, and
the same file for the same seed only. With MESHFED_SIM, a small one runs."""
import json
import subprocess
import sys

SCRIPT = sys.argv[1]
SIM = sys.argv[2] if len(sys.argv) > 2 else None
failures = 0


def expect(what, cond, detail=""):
    global failures
    print("%s: %s%s" % ("ok" if cond else "FAIL", what, "" if cond else " -- " + str(detail)))
    failures += not cond


def gen(*args):
    out = subprocess.run([sys.executable, SCRIPT, *args], check=True, capture_output=True,
                         text=True).stdout
    return out, json.loads(out)


max_neighbours = {}
for n in (16, 60, 240):
    _, t = gen("-n", str(n))
    names = list(t["datacenters"])
    index = {d: i for i, d in enumerate(names)}
    areas = t["areas"]
    expect("n=%d: %d DCs of 2 servers" % (n, n),
           len(names) == n and all(v["servers"] == 2 for v in t["datacenters"].values()))
    in_areas = {d: sum(d in a for a in areas) for d in names}
    expect("n=%d: every DC in 1 to 4 areas" % n,
           all(1 <= k <= 4 for k in in_areas.values()), in_areas)
    expect("n=%d: every area has 2 DCs or more" % n, all(len(a) >= 2 for a in areas))
    # areas connect the federation: union-find over shared areas
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for a in areas:
        for d in a[1:]:
            parent[find(index[d])] = find(index[a[0]])
    expect("n=%d: the areas connect every DC" % n, len({find(i) for i in range(n)}) == 1)
    share = {(min(index[x], index[y]), max(index[x], index[y]))
             for a in areas for x in a for y in a if x != y}
    rtt = {(index[x], index[y]): ms for x, row in t["rtt_ms"].items() for y, ms in row.items()}
    expect("n=%d: an RTT for exactly the pairs sharing an area, in file order" % n,
           set(rtt) == share)
    expect("n=%d: RTTs of 2 ms or more" % n, all(ms >= 2 for ms in rtt.values()))
    neighbours = [0] * n
    for x, y in share:
        neighbours[x] += 1
        neighbours[y] += 1
    max_neighbours[n] = max(neighbours)
    half = n // 2
    across = {x for x, y in share if x < half <= y} | {y for x, y in share if x < half <= y}
    # the DCs of the two columns of cells beside the cut: a quarter at 240
    expect("n=%d: only DCs near the cut share an area across it (%d of %d)" %
           (n, len(across), n), n < 240 or len(across) <= n // 3)
expect("neighbours do not grow with N (%s)" % max_neighbours,
       max_neighbours[240] <= max_neighbours[60] + 8 and max_neighbours[240] < 60)

a, _ = gen("-n", "40", "-seed", "3")
b, _ = gen("-n", "40", "-seed", "3")
c, _ = gen("-n", "40", "-seed", "4")
expect("the same seed gives the same file, another seed another", a == b and a != c)

if SIM:
    import os
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(gen("-n", "16")[0])
    p = subprocess.run([SIM, "-topology", f.name, "-routes", "-rounds", "3", "-tables", "off"],
                       capture_output=True, text=True)
    os.unlink(f.name)
    expect("meshfed-sim runs its routes (rc %d)" % p.returncode,
           p.returncode in (0, 1) and "next-hop changes" in p.stderr, p.stderr[-300:])

sys.exit(1 if failures else 0)
