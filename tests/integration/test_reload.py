#!/usr/bin/env python3
"""tests/integration/test_reload.py — SIGHUP and `meshfed reload` change the
running agent in place (docs/cli.md "Reload").

m1 (dc1) runs from a config file, m2 (dc2) and a real serf agent share its
pool. The file then changes tags, log level, a routing target's mode and
two restart-only keys; after SIGHUP, with the pid unchanged:
  - the serf agent's `serf members` shows m1's new tags (m1 re-gossiped
    itself alive with a higher incarnation, as serf's SetTags);
  - debug lines appear in m1's log (none before);
  - m1's route to dc2 is single-hop;
  - `meshfed info` reports the new level, one reload;
and the restart-only keys are logged as needing a restart. Then a broken
file: `meshfed reload` exits 1 and nothing changes; fixed again, `meshfed
reload` applies it and lists what it applied.
"""

import json
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mfcluster import Agent, check, log, run, wait_for  # noqa: E402

NET = 82


class FileAgent(Agent):
    """An agent whose log level comes from its config file (no -log-level flag)."""

    def __init__(self, cluster, name, ip, cfg, **kw):
        super().__init__(cluster, name, ip, **kw)
        self.cfg = cfg

    def command(self):
        args = super().command()
        i = args.index("-log-level")
        del args[i:i + 2]
        return args + ["-config-file", self.cfg]


def write(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def main(factory):
    c = factory(NET)
    cfg = os.path.join(c.dir, "m1.json")
    base = {"log_level": "info", "tags": {"tier": "gold"},
            "routing": {"targets": {"dc2": "multi-hop"}}}
    write(cfg, base)
    m1 = FileAgent(c, "m1", c.ip(0), cfg)
    c.agents.append(m1)
    m1.start()
    m2 = c.agent("m2", 1, dc="dc2", join=[m1.addr]).start()
    s1 = c.serf("s1", 2, profile="local", join=[m1.addr]).start()
    wait_for(lambda: len(s1.members()) == 3 and all(
        m["status"] == "alive" for m in s1.members().values()), 20, "serf sees all three")
    check(s1.members()["m1"]["tags"].get("tier") == "gold", "serf sees tier=gold at start")
    wait_for(lambda: m1.route("dc2") and m1.route("dc2")["status"] == "direct", 20,
             "m1 has a direct route to dc2")
    check(m1.route("dc2")["mode"] == "multi-hop", "dc2 multi-hop at start")
    pid = m1.proc.pid
    with open(m1.logpath, "rb") as f:
        before = f.read()
    check(b"[DEBUG]" not in before, "no debug lines at level info")
    log("start: serf sees tier=gold, dc2 multi-hop, no debug lines")

    changed = dict(base, log_level="debug", tags={"tier": "silver", "zone": "z1"},
                   routing={"targets": {"dc2": "single-hop"}}, leave_timeout="3s",
                   retry_max=3)
    write(cfg, changed)
    os.kill(pid, signal.SIGHUP)
    wait_for(lambda: s1.members()["m1"]["tags"].get("tier") == "silver" and
             s1.members()["m1"]["tags"].get("zone") == "z1", 15,
             "serf members shows m1's new tags")
    log("SIGHUP: serf members shows tier=silver zone=z1")
    wait_for(lambda: m2.members()["m1"]["tags"].get("tier") == "silver", 10,
             "m2 sees the new tags")
    wait_for(lambda: m1.route("dc2")["mode"] == "single-hop", 5, "dc2 single-hop")
    log("SIGHUP: route to dc2 is single-hop")
    info = m1.info()
    check(info["log"]["level"] == "debug" and info["log"]["reloads"] == 1,
          "info shows level debug and one reload: %s" % info["log"])
    wait_for(lambda: b"[DEBUG]" in open(m1.logpath, "rb").read()[len(before):], 10,
             "debug lines after the reload")
    text = open(m1.logpath, "rb").read().decode(errors="replace")
    line = [ln for ln in text.splitlines() if "reload: applied" in ln]
    check(line, "a reload line in the log")
    check(re.search(r"log_level.*tags.*routing", line[-1]), "applied listed: %s" % line[-1])
    check("leave_timeout" in line[-1] and "retry" in line[-1],
          "restart-only keys reported: %s" % line[-1])
    check(m1.proc.pid == pid and m1.alive(), "same process")
    check(s1.members()["m1"]["status"] == "alive" and m2.status_of("m1") == "alive",
          "m1 still alive for its peers")
    log("SIGHUP: debug lines, restart-only keys reported, same pid %d" % pid)

    with open(cfg, "w") as f:
        f.write('{"tags": {"tier": ')
    r = m1.ctl("reload", check_rc=False)
    check(r.returncode == 1 and "nothing changed" in r.stderr,
          "broken file: exit 1, nothing changed (rc %d, %r)" % (r.returncode, r.stderr))
    check(s1.members()["m1"]["tags"].get("tier") == "silver", "tags unchanged")
    check(m1.info()["log"]["reload_errors"] == 1, "reload error counted")
    log("meshfed reload with a broken file: exit 1, nothing changed")

    write(cfg, dict(changed, tags={"tier": "bronze"}, log_level="info"))
    r = m1.ctl("reload")
    check("tags" in r.stdout and "log_level" in r.stdout, "applied printed: %r" % r.stdout)
    wait_for(lambda: s1.members()["m1"]["tags"].get("tier") == "bronze" and
             "zone" not in s1.members()["m1"]["tags"], 15, "serf sees tier=bronze, no zone")
    check(m1.info()["log"]["level"] == "info", "back to info")
    check(m1.proc.pid == pid, "same process")
    log("meshfed reload: tier=bronze, zone gone, level info")


if __name__ == "__main__":
    run(main)
