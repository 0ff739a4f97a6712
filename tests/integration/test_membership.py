#!/usr/bin/python3
"""16 real agents on loopback: join, SIGKILL -> failed, SIGTERM -> left,
restart under the same name -> alive again (profile `local`)."""
import math
import signal
import time

from mfcluster import check, log, run, wait_for

N = 16
# memberlist DefaultLocalConfig: probe 1 s, timeout 200 ms, suspicion mult 3,
# max timeout mult 6. The slowest legal detection: a full round-robin pass
# before the first probe of the victim could take N-1 intervals, but with
# N-1 probers it is found in about one interval; then the Lifeguard timer runs
# between min and max. Bound: a few probe intervals plus the max timeout.
PROBE = 1.0
SUSP_MIN = 3 * max(1.0, math.log10(N)) * PROBE
SUSP_MAX = 6 * SUSP_MIN
FAIL_BOUND = 3 * PROBE + SUSP_MAX + 2.0


def all_see(agents, name, status):
    return all(a.status_of(name) == status for a in agents)


def main(cluster_factory):
    c = cluster_factory(10)
    agents = [c.agent("n%02d" % i, i) for i in range(N)]
    agents[0].start()
    for a in agents[1:]:
        a.join_addrs = [agents[0].addr]
        a.start()

    t = wait_for(lambda: all(
        sum(1 for m in a.members().values() if m["status"] == "alive") == N
        for a in agents), 60, "every agent to list %d alive" % N, interval=0.5)
    log("ok: %d agents each list %d alive (%.1fs)" % (N, N, t))

    m = agents[3].members()["n07"]
    check(m["tags"].get("dc") == "dc1" and m["tags"].get("role") == "meshfed",
          "tags of n07 seen from n03: %r" % m["tags"])
    check(m["addr"] == agents[7].ip and int(m["port"]) == 7946,
          "address of n07: %r" % m)
    log("ok: members carry dc/role tags and the advertised address")

    victim = agents[5]
    others = [a for a in agents if a is not victim]
    victim.kill(signal.SIGKILL)
    t0 = time.monotonic()
    wait_for(lambda: all_see(others, victim.name, "failed"), FAIL_BOUND,
             "every agent to mark %s failed" % victim.name, interval=0.2)
    log("ok: SIGKILL %s -> failed everywhere after %.1fs (bound %.1fs)" % (
        victim.name, time.monotonic() - t0, FAIL_BOUND))

    leaver = agents[6]
    rest = [a for a in others if a is not leaver]
    leaver.kill(signal.SIGTERM)
    t = wait_for(lambda: all_see(rest, leaver.name, "left"), 15,
                 "every agent to mark %s left" % leaver.name, interval=0.2)
    log("ok: SIGTERM %s -> left everywhere after %.1fs" % (leaver.name, t))
    check(leaver.proc is None, "leaver exited")

    victim.join_addrs = [agents[0].addr]
    victim.start()
    t = wait_for(lambda: all_see(rest, victim.name, "alive"), 30,
                 "every agent to see restarted %s alive" % victim.name, interval=0.3)
    log("ok: restarted %s under the same name is alive everywhere after %.1fs" % (
        victim.name, t))
    check(all(a.status_of(leaver.name) == "left" for a in rest), "leaver still left")
    log("ok: the member that left stays left")


if __name__ == "__main__":
    run(main)
