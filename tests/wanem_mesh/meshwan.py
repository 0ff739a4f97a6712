"""tests/wanem_mesh/meshwan.py — real meshfed (and serf) agents inside the
WAN emulator's hosts (tests/wanem): one agent per emulated server host.

Agents bind to their host's 198.18.x.y address; their control sockets are
ordinary files in a temporary directory (pathname Unix sockets work across
network namespaces), so the test drives them from the root namespace.
"""
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "wanem"))
from wanem_test import Checks, Wan, need_root  # noqa: E402,F401


class MeshWan(Wan):
    def __init__(self, topology, tag, wanem, meshfed):
        super().__init__(topology, tag, wanem=wanem, echo="/bin/true")
        self.meshfed = os.path.abspath(meshfed)
        self.dir = tempfile.mkdtemp(prefix="meshwan-")
        self.agents = {}

    def sock(self, host):
        return os.path.join(self.dir, host + ".sock")

    def spawn(self, host, cmd, log_name=None):
        """Runs cmd on host in the background, output to <log_name or
        host>.log in dir; stopped by down() at the latest."""
        log = open(os.path.join(self.dir, (log_name or host) + ".log"), "ab")
        p = subprocess.Popen([self.wanem, "exec", host, "--"] + list(cmd), env=self.env,
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def start_agent(self, host, dc, args=(), config=None):
        """Starts `meshfed agent` on host; config: dict written as -config-file."""
        cmd = [self.meshfed, "agent", "-node", host, "-dc", dc,
               "-control", self.sock(host), "-log-level", "info",
               "-route-socket", os.path.join(self.dir, host + "-routes.sock")]
        if config is not None:
            path = os.path.join(self.dir, host + ".json")
            with open(path, "w") as f:
                json.dump(config, f)
            cmd += ["-config-file", path]
        cmd += list(args)
        p = self.spawn(host, cmd)
        self.agents[host] = p
        return p

    def start_wan_pool(self, servers, profile="wan"):
        """One meshfed agent per (dc, count) of servers on hosts <dc>-s1..,
        all in one WAN pool of `profile` joined through dc1-s1; returns
        [(host, dc)]."""
        seed = self.addr("dc1-s1") + ":7946"
        hosts = []
        for dc, count in servers:
            for i in range(1, count + 1):
                host = "%s-s%d" % (dc, i)
                hosts.append((host, dc))
                args = ["-bind", self.addr(host) + ":7946", "-profile", profile]
                if host != "dc1-s1":
                    args += ["-join", seed]
                self.start_agent(host, dc, args)
        return hosts

    def start_serf(self, host, join, profile="wan", log_name=None):
        cmd = ["serf", "agent", "-node", host, "-bind", self.addr(host) + ":7946",
               "-rpc-addr", "127.0.0.1:7373", "-profile", profile, "-tag", "dc=serf"]
        if join:
            cmd += ["-join", join]
        return self.spawn(host, cmd, log_name=log_name)

    def start_wan_pool_with_serf(self, servers, serf_host, timeout):
        """start_wan_pool(servers), and a serf agent on serf_host joined
        through dc1-s1 when serf is installed; waits up to timeout s for
        dc1-s1 to list every member alive. Returns (hosts, members, the
        seconds it took or None)."""
        hosts = self.start_wan_pool(servers)
        n = len(hosts)
        if shutil.which("serf") is not None:
            self.start_serf(serf_host, self.addr("dc1-s1") + ":7946")
            n += 1
        t = wait_until(lambda: len([m for m in self.ctl_json("dc1-s1", "members") or []
                                    if m["status"] == "alive"]) == n, timeout)
        return hosts, n, t

    def serf(self, host, *args):
        # serf wants its flags before the positional arguments.
        r = self.run("exec", host, "--", "serf", args[0], "-rpc-addr", "127.0.0.1:7373",
                     *args[1:], check=False)
        return r

    def start_gateway(self, host, dc, agent_host, trust_domain, services=(), args=()):
        """Starts `meshfed gateway` on host (a `<dc>-g<i>`), listening on
        its address port 8443, subscribed to agent_host's route socket;
        its control socket is sock(host)."""
        cmd = [self.meshfed, "gateway", "-name", host, "-dc", dc,
               "-listen", "%s:8443" % self.addr(host), "-trust-domain", trust_domain,
               "-route-socket", os.path.join(self.dir, agent_host + "-routes.sock"),
               "-control", self.sock(host), "-log-level", "info"]
        for s in services:
            cmd += ["-service", s]
        cmd += list(args)
        p = self.spawn(host, cmd)
        self.agents[host] = p
        return p

    def ctl(self, host, *args, check=False):
        """`meshfed ARGS -control <host's socket>` (wanem's own runtime
        commands go through run(): `w.run("link", "dc1", "dc2", "down")`)."""
        r = subprocess.run([self.meshfed, *args, "-control", self.sock(host)],
                           capture_output=True, text=True, timeout=20)
        if check and r.returncode != 0:
            raise RuntimeError("meshfed %s on %s: %s" % (" ".join(args), host, r.stderr))
        return r

    def ctl_json(self, host, *args):
        r = self.ctl(host, *args, "-format", "json")
        if r.returncode != 0:
            return None
        try:
            return json.loads(r.stdout)
        except json.JSONDecodeError:
            return None

    def routes(self, host):
        """host's agent's table: {target: route} ({} when it does not answer)."""
        t = self.ctl_json(host, "routes")
        return {r["target"]: r for r in t["routes"]} if t else {}

    def route_is(self, host, target, status, path):
        """host's route to target has this status and path."""
        r = self.routes(host).get(target)
        return r is not None and r["status"] == status and list(r.get("path") or []) == path

    def kill_agent(self, host):
        """SIGKILL the agent (or gateway) on host: `wanem exec` execs it, so
        the process is ours; by command line too, in case it forked. The
        pattern names our own control socket, so agents of the same host
        name in other tests running at the same time are left alone."""
        p = self.agents.pop(host, None)
        if p:
            p.kill()
        subprocess.run(["pkill", "-KILL", "-f", "--", "-control %s( |$)" % self.sock(host)])
        if p:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()

    def exited(self):
        """{host: exit status} of agents (and gateways) that exited on their
        own: kill_agent() forgets the ones a test killed."""
        return {h: p.returncode for h, p in self.agents.items() if p.poll() is not None}

    def down(self):
        for host, rc in self.exited().items():
            print("---- %s exited on its own (status %s) ----\n%s" % (host, rc, self.tail(host)))
        for host in list(self.agents):
            self.kill_agent(host)
        super().down()

    def tail(self, host, n=20):
        try:
            with open(os.path.join(self.dir, host + ".log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


def pairwise_areas_config(w, host, dc, dcs, port0=7950):
    """An agent config with one network area per pair of dcs (so a link
    that goes down really fails the far side in that area's pool), profile
    `lan`, no WAN pool; the area of (a, b) is seeded by a's `-s1` host."""
    areas = []
    for k, (a, b) in enumerate(itertools.combinations(dcs, 2)):
        if dc not in (a, b):
            continue
        area = {"name": "%s-%s" % (a, b), "peers": [b if dc == a else a],
                "bind": "%s:%d" % (w.addr(host), port0 + k), "profile": "lan"}
        if host != "%s-s1" % a:
            area["join"] = ["%s:%d" % (w.addr("%s-s1" % a), port0 + k)]
        areas.append(area)
    return {"wan": False, "areas": areas, "profile": "lan",
            "routing": {"default": "multi-hop"}}


def reroute_bound(n_area, probe=1.0, gossip=0.2, suspicion_mult=4):
    """Seconds within which a direct link's route moves away once its far
    side is cut off, in an area pool of n_area members (docs/routing.md
    "Failover"): one round-robin pass of the pool at Lifeguard's longest
    probe interval (8x) before some agent probes the far side, the longest
    suspicion timeout (6x memberlist's), 3 gossip intervals and 2 s for
    the route recompute. Defaults: memberlist's `lan` profile."""
    susp_max = 6 * suspicion_mult * math.log10(max(n_area, 2)) * probe
    return (n_area - 1) * probe * 8 + susp_max + 3 * gossip + 2.0


def main_args(usage_tail=""):
    """Skips unless root (need_root); (WANEM, MESHFED, the rest) from the
    command line, or exits with the usage."""
    need_root()
    if len(sys.argv) < 3:
        sys.exit("usage: %s WANEM MESHFED%s" % (sys.argv[0], usage_tail))
    return sys.argv[1], sys.argv[2], sys.argv[3:]


def wait_until(pred, timeout, interval=1.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if pred():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - a query may fail while converging
            pass
        time.sleep(interval)
    return None
