#!/usr/bin/python3
"""`meshfed rtt -dc A B` takes the measured link A-B from the routing
advertisements when one exists (issue 16), on the demo's line of network
areas (a12: dc1+dc2, a23: dc2+dc3, no WAN pool), asked on a dc1 agent:
 - dc2 dc3: the link as dc2 advertises it (dc1 hears dc2's advert), the
   same number as the dc2->dc3 link of dc1's own route table, and the text
   output says so;
 - dc3 dc2: dc1 holds no advert of dc3, so B's (dc2's) link answers;
 - dc1 dc2: our own link, the distance of our direct route to dc2;
 - dc1 dc2 -pool a12: coordinates, as asked (source "coordinates");
 - dc1 dc3: no one dc1 hears measures it and no pool of dc1 holds both,
   so it fails with one line."""
import json
import math
import os

from mfcluster import check, demo_line, log, run, wait_for


def rtt_dc(agent, *args):
    r = agent.ctl("rtt", "-dc", *args, "-format", "json", check_rc=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def table_link(agent, a, b):
    for l in agent.routes().get("links", []):
        if l["from"] == a and l["to"] == b and l.get("distance_ms") is not None:
            return l["distance_ms"]
    return None


def agrees(agent, args, a, b, tol=1e-6):
    """rtt -dc (args) equals the a->b link of agent's table read just
    before or after (either snapshot: the link may move in between; our
    own link follows our measurements every 250 ms tick, so it is compared
    within tol)."""
    before = table_link(agent, a, b)
    got = rtt_dc(agent, *args)
    after = table_link(agent, a, b)
    if got is None or got.get("source") != "advertised":
        return False
    return any(x is not None and math.isclose(got["rtt_ms"], x, rel_tol=tol, abs_tol=1e-3)
               for x in (before, after))


def main(cluster_factory):
    c = cluster_factory(77)
    agents = {}
    order = demo_line(c)
    order = [order[2]] + order[:2] + order[3:]  # dc2's first server seeds both areas
    for suffix, dc, i, areas in order:
        path = os.path.join(c.dir, "d%s.json" % suffix)
        with open(path, "w") as f:
            json.dump({"wan": False, "areas": areas}, f)
        agents[suffix] = c.agent("d" + suffix, i, dc=dc, profile="lan",
                                 extra=["-config-file", path]).start()
    a = agents["1a"]

    wait_for(lambda: table_link(a, "dc2", "dc3") is not None, 60,
             "dc1's table to hold dc2's advertised link to dc3", interval=0.5)
    wait_for(lambda: agrees(a, ("dc2", "dc3"), "dc2", "dc3"), 20,
             "rtt -dc dc2 dc3 == dc2's advertised link", interval=0.5)
    got = rtt_dc(a, "dc2", "dc3")
    # >= 0: loopback RTTs under the advert's 0.1 ms resolution read 0.
    check(got["advertised_by"] == "dc2" and got["rtt_ms"] >= 0,
          "rtt -dc dc2 dc3 from dc2's advert: %r" % got)
    log("ok: rtt -dc dc2 dc3 = %.3f ms, dc2's advertised link (dc1's table agrees)"
        % got["rtt_ms"])

    out = a.ctl("rtt", "-dc", "dc2", "dc3").stdout
    check("measured link, as dc2 advertises it" in out, "text output names the source: %r" % out)
    log("ok: text output: %s" % out.strip())

    got = rtt_dc(a, "dc3", "dc2")
    check(got is not None and got["source"] == "advertised" and got["advertised_by"] == "dc2",
          "rtt -dc dc3 dc2 falls back to dc2's advert: %r" % got)
    log("ok: rtt -dc dc3 dc2 = %.3f ms, as dc2 advertises it (no advert of dc3 at dc1)"
        % got["rtt_ms"])

    wait_for(lambda: agrees(a, ("dc1", "dc2"), "dc1", "dc2", tol=0.02), 40,
             "rtt -dc dc1 dc2 == our own link", interval=0.5)
    got = rtt_dc(a, "dc1", "dc2")
    check(got["advertised_by"] == "dc1", "our own link: %r" % got)
    route = a.route("dc2")
    check(route is not None and route["status"] == "direct",
          "dc1's route to dc2 is direct: %r" % route)
    log("ok: rtt -dc dc1 dc2 = %.3f ms, our own link (route distance %.3f ms)"
        % (got["rtt_ms"], route["distance_ms"]))

    got = rtt_dc(a, "dc1", "dc2", "-pool", "a12")
    check(got is not None and got["source"] == "coordinates" and "advertised_by" not in got,
          "-pool: coordinates only: %r" % got)
    log("ok: rtt -dc dc1 dc2 -pool a12 = %.3f ms from coordinates" % got["rtt_ms"])

    r = a.ctl("rtt", "-dc", "dc1", "dc3", check_rc=False)
    check(r.returncode == 1 and "no coordinate" in r.stderr and "\n" not in r.stderr.strip(),
          "unmeasured pair without coordinates: one-line error: %r" % r.stderr)
    log("ok: rtt -dc dc1 dc3 (no link, no shared pool) fails with one line")


run(main)
