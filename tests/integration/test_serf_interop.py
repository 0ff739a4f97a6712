#!/usr/bin/python3
"""Interop with a real serf agent (Debian serf 0.9.4), same 32-byte key:
serf joins a meshfed pool and meshfed joins a serf pool; each lists the other
alive (serf sees meshfed's dc tag); SIGKILL on either side is seen as failed;
`serf leave` and a meshfed SIGTERM are seen as left. serf is never sent
meshfed's own messages (it would log each as of unknown type)."""
import shutil
import signal
import sys
import time

from mfcluster import check, log, run, wait_for

KEY = "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="


def serf_status(s, name):
    m = s.members().get(name)
    return m["status"] if m else None


def main(cluster_factory):
    c = cluster_factory(12)
    # Pool A: meshfed first, serf joins it.
    m0 = c.agent("m0", 0, key=KEY, profile="lan").start()
    m1 = c.agent("m1", 1, key=KEY, profile="lan", join=[m0.addr]).start()
    m2 = c.agent("m2", 2, key=KEY, profile="lan", join=[m0.addr]).start()
    wait_for(lambda: m0.status_of("m1") == "alive" and m0.status_of("m2") == "alive",
             20, "meshfed pool")
    s0 = c.serf("s0", 10, key=KEY, join=[m0.addr]).start()
    s0_started = time.time()
    wait_for(lambda: all(serf_status(s0, n) == "alive" for n in ("m0", "m1", "m2")), 30,
             "serf to list the meshfed nodes alive")
    tags = s0.members()["m1"]["tags"]
    check(tags.get("dc") == "dc1" and tags.get("role") == "meshfed",
          "serf sees meshfed tags: %r" % tags)
    log("ok: serf joined a meshfed pool and lists m0, m1, m2 alive with tags %r" % tags)
    wait_for(lambda: all(a.status_of("s0") == "alive" for a in (m0, m1, m2)), 30,
             "meshfed to list s0 alive")
    check(m1.members()["s0"]["tags"].get("dc") == "serfdc", "meshfed decodes serf tags")
    log("ok: every meshfed agent lists the serf node alive with its tags")

    m1.kill(signal.SIGKILL)
    t = wait_for(lambda: serf_status(s0, "m1") == "failed", 40,
                 "serf to mark the killed meshfed node failed")
    log("ok: SIGKILL of meshfed m1 -> serf marks it failed after %.1fs" % t)

    m2.kill(signal.SIGTERM)
    t = wait_for(lambda: serf_status(s0, "m2") == "left", 20,
                 "serf to mark m2 left after its graceful leave")
    log("ok: SIGTERM of meshfed m2 -> serf marks it left after %.1fs" % t)

    unknown = s0.log_lines("unknown type")
    check(not unknown, "serf was sent %d messages of ours: %s" % (len(unknown), unknown[:2]))
    log("ok: serf logged no message of unknown type in %.0fs beside meshfed agents"
        % (time.time() - s0_started))

    s0.cmd("leave")
    t = wait_for(lambda: m0.status_of("s0") == "left", 20, "meshfed to mark s0 left")
    log("ok: `serf leave` -> meshfed marks s0 left after %.1fs" % t)

    # Pool B: serf first, meshfed joins it.
    s1 = c.serf("s1", 20, key=KEY).start()
    s2 = c.serf("s2", 21, key=KEY, join=[s1.addr]).start()
    m3 = c.agent("m3", 22, key=KEY, profile="lan", join=[s1.addr]).start()
    wait_for(lambda: m3.status_of("s1") == "alive" and m3.status_of("s2") == "alive", 30,
             "meshfed to join the serf pool")
    wait_for(lambda: serf_status(s1, "m3") == "alive" and serf_status(s2, "m3") == "alive",
             30, "serf pool to list m3 alive")
    log("ok: meshfed joined a serf pool; both sides list each other alive")

    s2.kill(signal.SIGKILL)
    t = wait_for(lambda: m3.status_of("s2") == "failed", 40,
                 "meshfed to mark the killed serf node failed")
    log("ok: SIGKILL of serf s2 -> meshfed marks it failed after %.1fs" % t)


if __name__ == "__main__":
    if shutil.which("serf") is None:
        print("FAIL: the serf binary is missing; scripts/setup installs it", file=sys.stderr)
        sys.exit(1)
    run(main)
