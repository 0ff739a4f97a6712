#!/usr/bin/env python3
"""tests/integration/test_key_rotation.py — pool-wide key rotation (serf keys),
meshfed and serf driving it, without losing a member.

12 meshfed agents and 2 serf agents (Debian's serf 0.9.4) in one encrypted
lan pool on 127.79.0.0/16, every one with a keyring file. `meshfed keys`
installs K2, makes it primary and removes K1; then `serf keys`, run against a
serf agent, does the same with K3 (removing K2). After each step every member
answers list-keys with exactly the expected keys and primary, and every
keyring file (meshfed's and serf's) holds them, primary first. Removing the
primary is refused by every member (exit 1, one failure line per node);
installing an installed key again succeeds. Across the run no member is
ever suspect or failed: every meshfed agent's log (it logs each member
status change) and both serf logs are checked for suspicion and failure.
Finally one meshfed agent is restarted from its keyring file alone and comes
back with K3 (it could not join otherwise: K1 and K2 are gone).
"""

import json
import os
import re
import signal
import subprocess

from mfcluster import check, log, run, wait_for

N_MESHFED = 12


def keygen(meshfed):
    return subprocess.run([meshfed, "keygen"], capture_output=True, text=True,
                          check=True).stdout.strip()


def write_keyring(path, keys):
    with open(path, "w") as f:
        json.dump(keys, f)


def read_keyring(path):
    with open(path) as f:
        return json.load(f)


# A query (key operations are serf queries) reaches members by gossip alone,
# as serf's does, and now and then one member never hears it: about 1 in
# 800 queries in a lan pool of 14 (docs/bench.md "Query reach in small
# pools"; test_encrypt_rollout.py measured 4 in 120 at 6). What must reach
# all n members is therefore asked up to 3 times while fewer answer, as an
# operator would: listing is read-only, and install, use and remove of a
# non-primary key are idempotent. Any other failure is returned at once.
ASKS = 3


def meshfed_list(agent, n):
    """`meshfed keys -list -format json`: (rc, result), asked again while
    fewer than n members answered."""
    for _ in range(ASKS):
        r = agent.ctl("keys", "-list", "-format", "json", check_rc=False, timeout=60)
        res = json.loads(r.stdout) if r.stdout.strip() else {}
        if res.get("num_resp", n) >= n:
            break
        log("note: meshfed keys -list reached %s/%d members; asking again" % (res["num_resp"], n))
    return r.returncode, res


def keys_all(run_keys, n, what):
    """run_keys() (a keys command that must reach all n members), asked
    again while fewer than n report success."""
    for _ in range(ASKS):
        r = run_keys()
        partial = re.search(r"(\d+)/%d nodes reported success" % n, r.stderr)
        if r.returncode == 0 or not partial or int(partial.group(1)) >= n:
            return r
        log("note: %s reached %s/%d members; asking again" % (what, partial.group(1), n))
    return r


def serf_keys(serf, *args):
    return subprocess.run(["serf", "keys"] + list(args) + ["-rpc-addr", serf.rpc],
                          capture_output=True, text=True, timeout=60)


def serf_keys_all(serf, n, *args):
    return keys_all(lambda: serf_keys(serf, *args), n, "serf keys " + " ".join(args))


def meshfed_keys_all(agent, n, *args):
    return keys_all(lambda: agent.ctl("keys", *args, check_rc=False, timeout=60), n,
                    "meshfed keys " + " ".join(args))


def query_all(run_query, n, what):
    """run_query() (a query n members must ack), asked again while fewer
    ack."""
    for _ in range(ASKS):
        r = run_query()
        if "Total Acks: %d" % n in r.stdout:
            return r
        log("note: %s: fewer than %d members acked; asking again" % (what, n))
    return r


def expect_keys(cluster, everyone, agents, serfs, keys, primary, step):
    """Every member holds exactly `keys` with `primary` first: as they answer
    list-keys, and in their keyring files."""
    n = len(everyone)
    rc, res = meshfed_list(agents[0], n)
    check(rc == 0, "%s: meshfed keys -list failed: %s" % (step, res))
    check(res["num_nodes"] == n and res["num_resp"] == n and res["num_err"] == 0,
          "%s: %d/%d members answered list-keys (%d errors): %s" % (
              step, res["num_resp"], n, res["num_err"], res.get("messages")))
    check(res["keys"] == {k: n for k in keys},
          "%s: keys held %s, want each of %s on all %d" % (step, res["keys"], keys, n))
    check(res["primary_keys"] == {primary: n},
          "%s: primary keys %s, want %s on all %d" % (step, res["primary_keys"], primary, n))
    # serf's own view of the same pool
    for _ in range(ASKS):
        out = serf_keys(serfs[-1], "-list")
        if out.returncode == 0:
            break
        log("note: serf keys -list failed (%s); asking again" % out.stderr.strip())
    check(out.returncode == 0, "%s: serf keys -list failed: %s" % (step, out.stderr))
    for k in keys:
        check("%s  [%d/%d]" % (k, n, n) in out.stdout,
              "%s: serf keys -list lacks %s on %d/%d: %s" % (step, k, n, n, out.stdout))
    check(out.stdout.count("[") == len(keys), "%s: serf lists extra keys: %s" % (step, out.stdout))
    for a in agents + serfs:
        held = read_keyring(a.keyring)
        check(held[0] == primary and sorted(held) == sorted(keys),
              "%s: %s's keyring file holds %s" % (step, a.name, held))
    check(step == "start" or all(os.stat(a.keyring).st_mode & 0o777 == 0o600 for a in agents),
          "%s: a meshfed keyring file is not mode 0600" % step)
    log("ok: %s -> all %d members hold %d key(s), primary %s..., files rewritten" % (
        step, n, len(keys), primary[:6]))


def no_suspicion(agents, serfs, allowed_left=()):
    """Nobody was ever suspect or failed, from every log's own account."""
    for a in agents:
        with open(a.logpath, errors="replace") as f:
            for line in f:
                if "member suspect:" in line or "member failed:" in line:
                    raise_fail("%s saw: %s" % (a.name, line.strip()))
    for s in serfs:
        with open(s.logpath, errors="replace") as f:
            for line in f:
                if ("EventMemberFailed" in line or "memberlist: Suspect" in line or
                        "Marking" in line and "as failed" in line):
                    raise_fail("serf %s saw: %s" % (s.name, line.strip()))


def raise_fail(msg):
    check(False, "a member was seen suspect or failed: " + msg)


def all_alive(agents, serfs, n):
    for a in agents:
        ms = a.members()
        if len(ms) != n or any(m["status"] != "alive" for m in ms.values()):
            return False
    for s in serfs:
        ms = s.members()
        if len(ms) != n or any(m["status"] != "alive" for m in ms.values()):
            return False
    return True


def main(cluster_factory):
    c = cluster_factory(79)
    k1, k2, k3 = keygen(c.meshfed), keygen(c.meshfed), keygen(c.meshfed)
    agents, serfs = [], []
    seed = c.ip(0) + ":7946"
    for i in range(N_MESHFED):
        name = "m%02d" % (i + 1)
        path = os.path.join(c.dir, name + "-keyring.json")
        write_keyring(path, [k1])
        a = c.agent(name, i, profile="lan", join=[] if i == 0 else [seed],
                    extra=["-keyring-file", path])
        a.keyring = path
        agents.append(a.start())
    for j in range(2):
        name = "s%d" % (j + 1)
        path = os.path.join(c.dir, name + "-keyring.json")
        write_keyring(path, [k1])
        # s1 answers query `whoami`; s2 appends user events `deploy` to a file
        handler = ("query:whoami=echo serf-$SERF_SELF_NAME" if j == 0 else
                   "user:deploy=cat >> %s" % os.path.join(c.dir, "deploy.out"))
        s = c.serf(name, N_MESHFED + j, join=[seed],
                   extra=["-keyring-file", path, "-event-handler", handler])
        s.keyring = path
        serfs.append(s.start())
    everyone = agents + serfs
    n = len(everyone)
    # 14 processes joining on a shared 2-core machine: give convergence time
    t = wait_for(lambda: all_alive(agents, serfs, n), 90, "all %d members alive everywhere" % n,
                 interval=1)
    log("ok: %d meshfed + %d serf agents alive in one encrypted pool after %.1fs" % (
        N_MESHFED, len(serfs), t))
    expect_keys(c, everyone, agents, serfs, [k1], k1, "start")

    # --- meshfed drives the cycle -------------------------------------------
    r = meshfed_keys_all(agents[3], n, "-install", k2)
    check("Successfully installed key!" in r.stdout, "install output: %r" % r.stdout)
    expect_keys(c, everyone, agents, serfs, [k1, k2], k1, "meshfed keys -install K2")
    r = meshfed_keys_all(agents[3], n, "-install", k2)
    check(r.returncode == 0, "installing K2 again: %r" % r.stderr)
    log("ok: installing K2 again succeeds (idempotent)")
    # answers relayed through 2 other members too (query.go relayResponse)
    r = meshfed_keys_all(agents[7], n, "-use", k2, "-relay-factor", "2")
    check("Successfully changed primary key!" in r.stdout, "use output: %r" % r.stdout)
    expect_keys(c, everyone, agents, serfs, [k1, k2], k2, "meshfed keys -use K2")
    for _ in range(ASKS):  # refused by each member that hears it: asked again as above
        r = agents[7].ctl("keys", "-remove", k2, check_rc=False, timeout=60)
        fails = [l for l in r.stderr.splitlines() if l.startswith("failed:")]
        if len(fails) >= n:
            break
        log("note: removing the primary: %d/%d members answered; asking again" % (len(fails), n))
    check(r.returncode == 1, "removing the primary exits 1, got %d" % r.returncode)
    check(len(fails) == n and all("Removing the primary key is not allowed" in l for l in fails),
          "one refusal per member, got: %s" % r.stderr)
    check("Error removing key: %d/%d nodes reported failure" % (n, n) in r.stderr,
          "error line: %s" % r.stderr)
    log("ok: removing the primary is refused by all %d members (exit 1, per-node lines)" % n)
    r = meshfed_keys_all(agents[0], n, "-remove", k1)
    check("Successfully removed key!" in r.stdout, "remove output: %r" % r.stdout)
    expect_keys(c, everyone, agents, serfs, [k2], k2, "meshfed keys -remove K1")

    # --- serf drives the cycle ----------------------------------------------
    s = serfs[0]
    for args, keys, primary, step in (
            (("-install", k3), [k2, k3], k2, "serf keys -install K3"),
            (("-use", k3), [k2, k3], k3, "serf keys -use K3"),
            (("-remove", k2), [k3], k3, "serf keys -remove K2")):
        r = serf_keys_all(s, n, *args)
        check(r.returncode == 0, "%s failed: %s %s" % (step, r.stdout, r.stderr))
        expect_keys(c, everyone, agents, serfs, keys, primary, step)

    check(all_alive(agents, serfs, n), "every member still alive everywhere")
    no_suspicion(agents, serfs)
    log("ok: across both cycles no member was suspect or failed (12 meshfed and 2 serf logs)")

    # --- user queries and events, both ways ----------------------------------
    r = query_all(lambda: agents[1].ctl("query", "-timeout", "3s", "whoami", timeout=30), n,
                  "meshfed query whoami")
    check("Query 'whoami' dispatched" in r.stdout and "Total Acks: %d" % n in r.stdout,
          "every member acks meshfed's query: %r" % r.stdout)
    check("Response from 's1': serf-s1" in r.stdout and "Total Responses: 1" in r.stdout,
          "serf's handler answers meshfed's query: %r" % r.stdout)
    r = query_all(lambda: agents[1].ctl("query", "-timeout", "2s", "-node", "m03", "-node", "s2",
                                        "whoami", timeout=30), 2, "meshfed query -node")
    check("Total Acks: 2" in r.stdout and "Ack from 'm03'" in r.stdout,
          "a node filter limits the acks: %r" % r.stdout)
    log("ok: meshfed query: %d acks, serf's handler responds; node filter honoured" % n)
    r = query_all(lambda: subprocess.run(["serf", "query", "-timeout", "3s", "-relay-factor", "2",
                                          "-rpc-addr", serfs[1].rpc, "whoami"],
                                         capture_output=True, text=True, timeout=30), n,
                  "serf query whoami")
    check("Total Acks: %d" % n in r.stdout, "every member acks serf's query: %r" % r.stdout)
    relayed = sum(a.info()["pools"][0]["queries"]["relays_forwarded"] for a in agents)
    check(relayed > 0, "meshfed agents forwarded relayed answers")
    log("ok: serf query (relay factor 2) acked by all %d members; %d relays forwarded by "
        "meshfed agents" % (n, relayed))
    agents[2].ctl("event", "deploy", "v7")
    out = os.path.join(c.dir, "deploy.out")
    wait_for(lambda: os.path.exists(out) and "v7" in open(out).read(), 20,
             "serf's handler to get meshfed's event")
    r = subprocess.run(["serf", "event", "-rpc-addr", serfs[1].rpc, "deploy", "v8"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "serf event: %s" % r.stderr)

    def saw(a, what):
        with open(a.logpath, errors="replace") as f:
            return sum(1 for l in f if "user event deploy" in l) >= what
    wait_for(lambda: all(saw(a, 2) for a in agents), 20, "every meshfed agent to log both events")
    log("ok: meshfed event reaches serf's handler; serf's and ours reach every meshfed agent")

    # --- restart from the keyring file ---------------------------------------
    m = agents[5]
    m.kill(signal.SIGTERM)
    rest = [a for a in agents if a is not m]
    wait_for(lambda: all(a.status_of(m.name) == "left" for a in rest), 30,
             "%s left everywhere" % m.name, interval=0.5)
    check(read_keyring(m.keyring) == [k3], "%s's keyring file after the run" % m.name)
    m.join_addrs = [seed]
    m.start()
    t = wait_for(lambda: all_alive(agents, serfs, n), 60,
                 "%s back alive everywhere" % m.name, interval=1)
    rc, res = meshfed_list(m, n)
    check(rc == 0 and res["keys"] == {k3: n} and res["primary_keys"] == {k3: n},
          "after the restart: %s" % res)
    log("ok: %s restarted from its keyring file (K3 only) and rejoined in %.1fs" % (m.name, t))
    no_suspicion(agents, serfs)
    log("ok: still no member suspect or failed")

    # --- a member that does not answer makes the command fail ----------------
    # (last: the stopped member will be suspected)
    mute = agents[9]
    mute.proc.send_signal(signal.SIGSTOP)
    try:
        r = agents[0].ctl("keys", "-install", k1, check_rc=False, timeout=60)
    finally:
        mute.proc.send_signal(signal.SIGCONT)
    check(r.returncode == 1 and
          "Error installing key: %d/%d nodes reported success" % (n - 1, n) in r.stderr,
          "a silent member fails the command: rc %d, %r" % (r.returncode, r.stderr))
    log("ok: with %s stopped, keys -install exits 1: %d/%d nodes reported success" % (
        mute.name, n - 1, n))


if __name__ == "__main__":
    run(main)
