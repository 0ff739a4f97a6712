#!/usr/bin/python3
"""An agent with the wrong key cannot join, and the pool is unaffected."""
import subprocess
import time

from mfcluster import check, log, run, wait_for

KEY = "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="
OTHER = "5K9OtfjP2wD3sXEZpBgUHBEtxZfBeAQZk1dsTlzjG+g="


def main(cluster_factory):
    c = cluster_factory(11)
    pool = [c.agent("k%d" % i, i, key=KEY) for i in range(3)]
    pool[0].start()
    for a in pool[1:]:
        a.join_addrs = [pool[0].addr]
        a.start()
    wait_for(lambda: all(len([m for m in a.members().values() if m["status"] == "alive"]) == 3
                         for a in pool), 30, "3 keyed agents to join")
    log("ok: 3 agents with the same key form a pool")

    bad_before = pool[0].info()["bad_packets"]
    intruder = c.agent("intruder", 10, key=OTHER).start()
    r = intruder.ctl("join", pool[0].addr, check_rc=False)
    check(r.returncode != 0, "join with the wrong key must fail, got rc 0: %s" % r.stdout)
    log("ok: `meshfed join` with the wrong key fails: %s" % (r.stderr.strip() or r.stdout.strip()))

    plain = c.agent("plain", 11).start()
    r = plain.ctl("join", pool[0].addr, check_rc=False)
    check(r.returncode != 0, "join without a key must fail")
    log("ok: `meshfed join` without a key fails")

    time.sleep(3)
    for a in pool:
        ms = a.members()
        check("intruder" not in ms and "plain" not in ms,
              "%s lists an outsider: %r" % (a.name, sorted(ms)))
        check(sum(1 for m in ms.values() if m["status"] == "alive") == 3,
              "%s lost a member: %r" % (a.name, ms))
    check(set(intruder.members()) == {"intruder"}, "intruder sees only itself")
    log("ok: the pool still lists exactly its 3 alive members")

    info = pool[0].info()
    check(info["bad_packets"] > bad_before, "wrongly keyed input counted: %r" % info)
    log("ok: rejected input counted in info (bad_packets %d -> %d)" % (
        bad_before, info["bad_packets"]))


if __name__ == "__main__":
    run(main)
