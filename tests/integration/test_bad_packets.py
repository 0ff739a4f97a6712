#!/usr/bin/python3
"""10,000 random or truncated packets at an agent are dropped, counted in
`meshfed info` and logged (every -drop-report-interval, 30 s by default, and
at exit), and it keeps answering (plaintext and encrypted pools)."""
import random
import signal
import socket
import struct

from mfcluster import check, log, run, wait_for

KEY = "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="
COUNT = 10000


def ping_body(seq, node):
    # A well-formed memberlist ping ({Node, SeqNo}) as go-msgpack writes it,
    # used as the source of truncated packets.
    name = node.encode()
    return (bytes([0, 0x82, 0xa4]) + b"Node" + bytes([0xa0 | len(name)]) + name +
            bytes([0xa5]) + b"SeqNo" + bytes([0xce]) + struct.pack(">I", seq))


def garbage(rng, i, node):
    kind = i % 3
    if kind == 0:                      # random bytes, random length
        pkt = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1400)))
    elif kind == 1:                    # a valid ping cut short
        p = ping_body(i, node)
        pkt = p[:rng.randint(1, len(p) - 1)]
    else:                              # a known type byte then junk
        t = rng.choice([0, 1, 2, 3, 4, 5, 7, 9, 11, 12, 13])
        pkt = bytes([t]) + bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
    if pkt[0] == 8:                    # a user message is valid at any length
        pkt = b"\x0d" + pkt[1:]
    return pkt


def blast(agent, rng):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(COUNT):
        s.sendto(garbage(rng, i, agent.name), (agent.ip, 7946))
        if i % 500 == 0:
            agent.ctl("members")    # keeps answering while under fire
    s.close()


REPORT_S = 2    # -drop-report-interval of the scenario that waits for a report


def scenario(c, key, label, periodic):
    extra = ["-drop-report-interval", "%ds" % REPORT_S] if periodic else []
    a = c.agent(label + "0", 0, key=key, extra=extra).start()
    b = c.agent(label + "1", 1, key=key, join=[a.addr]).start()
    wait_for(lambda: a.status_of(b.name) == "alive" and b.status_of(a.name) == "alive",
             20, "two agents to join")
    before = a.info()["bad_packets"]
    blast(a, random.Random(42))
    want = COUNT if key else int(COUNT * 0.99)
    wait_for(lambda: a.info()["bad_packets"] - before >= want, 20,
             "%d bad packets counted" % want)
    info = a.info()
    got = info["bad_packets"] - before
    check(sum(info["bad_by_cause"].values()) >= got,
          "bad_by_cause adds up: %r" % info["bad_by_cause"])
    log("ok: %s: %d of %d garbage packets dropped and counted, by cause %r" % (
        label, got, COUNT, info["bad_by_cause"]))
    check(a.alive(), "agent survived")
    check(b.status_of(a.name) == "alive" and a.status_of(b.name) == "alive",
          "peers still alive to each other")
    log("ok: %s: agent still answers and its peer still sees it alive" % label)
    # The drops are in the agent's log too (a CI log shows them): a line of
    # the periodic report (waited for in one scenario, at a 2 s interval
    # instead of the default 30 s), then the totals when it exits.
    if periodic:
        said = "dropped in the last %d s: " % REPORT_S
        t = wait_for(lambda: a.log_lines(said), 3 * REPORT_S + 2,
                     "the periodic drop report in the log")
        line = a.log_lines(said)[0]
        check("malformed message" in line, "the report names a cause: %s" % line)
        log("ok: %s: drops reported after %.0f s: %s" % (
            label, t, line.split("dropped ", 1)[-1][:100]))
    a.kill(signal.SIGTERM)
    done = a.log_lines("dropped while running: ")
    check(len(done) == 1 and ("malformed message" in done[0] or "decryption failed" in done[0]),
          "one exit line naming a cause: %r" % done)
    log("ok: %s: drops logged at exit: %s" % (label, done[0].split("dropped ", 1)[-1][:100]))


def main(cluster_factory):
    scenario(cluster_factory(13), None, "plain", True)
    scenario(cluster_factory(14), KEY, "keyed", False)


if __name__ == "__main__":
    run(main)
