"""tests/integration/mfcluster.py — start real meshfed and serf agents on loopback.

Every agent is a real process bound to its own 127.x.y.z address (the whole
127.0.0.0/8 is loopback on Linux), with its own control socket in a private
temporary directory. Nothing here touches a non-loopback address.

Helpers assert with clear messages; a test script is a sequence of behaviours,
each printed as it passes, and exits non-zero on the first failure.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PORT = 7946


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(msg):
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def stop(p, sig=signal.SIGTERM, grace=10):
    """Sends sig to the process p (None: none, it is ending by itself) and
    waits up to grace seconds for it to end; then SIGKILL."""
    if sig is not None and p.poll() is None:
        p.send_signal(sig)
    try:
        p.wait(grace)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


class _Process:
    """What Agent and SerfAgent share: a process bound to ip:PORT whose
    output goes to logpath."""

    kill_wait = 10  # seconds kill() waits for the signal to end it

    @property
    def addr(self):
        return "%s:%d" % (self.ip, PORT)

    def _spawn(self, args):
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT)

    def tail(self, n=15):
        try:
            with open(self.logpath, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def log_lines(self, text):
        """The lines of its log so far that contain text."""
        with open(self.logpath, "rb") as f:
            return [l.decode(errors="replace") for l in f.read().splitlines()
                    if text.encode() in l]

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            stop(self.proc, sig, self.kill_wait)
        self.proc = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Agent(_Process):
    """One `meshfed agent` process."""

    # Seconds start() waits for the control socket: a caller starting
    # hundreds of agents on a loaded machine raises it.
    start_timeout = 10

    def __init__(self, cluster, name, ip, dc="dc1", key=None, profile="local",
                 join=(), extra=()):
        self.cluster = cluster
        self.name = name
        self.ip = ip
        self.dc = dc
        self.key = key
        self.profile = profile
        self.join_addrs = list(join)
        self.extra = list(extra)
        self.control = os.path.join(cluster.dir, name + ".sock")
        # Every agent's route socket is its own (the default path is per
        # user); a -route-socket in extra comes later and wins.
        self.route_socket = os.path.join(cluster.dir, name + "-routes.sock")
        self.logpath = os.path.join(cluster.dir, name + ".log")
        self.proc = None

    def command(self):
        """The command line start() runs (subclasses run other subcommands)."""
        args = [self.cluster.meshfed, "agent", "-node", self.name, "-dc", self.dc,
                "-bind", self.addr, "-profile", self.profile,
                "-control", self.control, "-route-socket", self.route_socket,
                "-log-level", "debug"]
        if self.key:
            args += ["-encrypt", self.key]
        for j in self.join_addrs:
            args += ["-join", j]
        return args + self.extra

    def start(self):
        args = self.command()
        if os.path.exists(self.control):
            os.unlink(self.control)
        self._spawn(args)
        wait_for(lambda: os.path.exists(self.control) or self.proc.poll() is not None,
                 self.start_timeout, "%s control socket" % self.name)
        check(self.proc.poll() is None,
              "%s exited at start (rc %s): %s" % (self.name, self.proc.returncode, self.tail()))
        return self

    def ctl(self, *args, check_rc=True, timeout=10):
        r = subprocess.run([self.cluster.meshfed] + list(args) + ["-control", self.control],
                           capture_output=True, text=True, timeout=timeout)
        if check_rc and r.returncode != 0:
            raise Failure("meshfed %s on %s failed (rc %d): %s" % (
                " ".join(args), self.name, r.returncode, r.stderr.strip()))
        return r

    def members(self):
        """name -> member dict, from `meshfed members -format json`."""
        out = self.ctl("members", "-format", "json").stdout
        return {m["name"]: m for m in json.loads(out)}

    def info(self):
        return json.loads(self.ctl("info", "-format", "json").stdout)

    def routes(self):
        """The table, from `meshfed routes -format json`."""
        return json.loads(self.ctl("routes", "-format", "json").stdout)

    def route(self, target):
        for r in self.routes()["routes"]:
            if r["target"] == target:
                return r
        return None

    def status_of(self, name):
        m = self.members().get(name)
        return m["status"] if m else None


class SerfAgent(_Process):
    """One real `serf agent` (Debian's serf 0.9.4)."""

    start_timeout = 15  # seconds start() waits for its RPC (see Agent)
    kill_wait = 15

    def __init__(self, cluster, name, ip, key=None, profile="lan", join=(), extra=()):
        self.cluster = cluster
        self.name = name
        self.ip = ip
        self.key = key
        self.profile = profile
        self.join_addrs = list(join)
        self.extra = list(extra)
        self.rpc = "%s:7373" % ip
        self.logpath = os.path.join(cluster.dir, name + ".log")
        self.proc = None

    def start(self):
        args = ["serf", "agent", "-node", self.name, "-bind", self.addr,
                "-rpc-addr", self.rpc, "-profile", self.profile, "-log-level", "debug",
                "-tag", "dc=serfdc"]
        if self.key:
            args += ["-encrypt", self.key]
        for j in self.join_addrs:
            args += ["-join", j]
        args += self.extra
        self._spawn(args)
        wait_for(lambda: self._rpc_up() or self.proc.poll() is not None, self.start_timeout,
                 "serf %s rpc" % self.name)
        check(self.proc.poll() is None, "serf %s exited at start" % self.name)
        return self

    def _rpc_up(self):
        r = subprocess.run(["serf", "members", "-rpc-addr", self.rpc],
                           capture_output=True, text=True)
        return r.returncode == 0

    def cmd(self, *args):
        r = subprocess.run(["serf"] + list(args) + ["-rpc-addr", self.rpc],
                           capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise Failure("serf %s failed: %s %s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def members(self):
        data = json.loads(self.cmd("members", "-format", "json"))
        return {m["name"]: m for m in data["members"]}


class Cluster:
    """Owns a temporary directory and every process started through it."""

    def __init__(self, meshfed, net):
        """net: second octet of 127.<net>.x.y, unique per test script."""
        self.meshfed = os.path.abspath(meshfed)
        self.net = net
        self.dir = tempfile.mkdtemp(prefix="meshfed-it-")
        self.agents = []

    def ip(self, i):
        return "127.%d.%d.%d" % (self.net, i // 250, i % 250 + 1)

    def agent(self, name, i, **kw):
        a = Agent(self, name, self.ip(i), **kw)
        self.agents.append(a)
        return a

    def serf(self, name, i, **kw):
        a = SerfAgent(self, name, self.ip(i), **kw)
        self.agents.append(a)
        return a

    def close(self, ok):
        for a in self.agents:
            a.kill()
        if ok:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("logs kept in", self.dir, file=sys.stderr)
            for a in self.agents:
                print("---- tail of %s ----\n%s" % (a.name, a.tail()), file=sys.stderr)


def demo_line(cluster, base=0):
    """The demo's three-DC line of network areas (scripts/demo): area a12
    (dc1+dc2, port 7946) and area a23 (dc2+dc3, port 7947), two servers per
    DC at cluster.ip(base + 0..5), no WAN pool. Returns
    [(suffix, dc, index, areas)], suffix "1a", "1b", "2a", ... and areas the
    config file's `areas` for that server; the first dc2 server (2a) is the
    seed of both areas, so start it before the others join."""
    ip = lambda i: cluster.ip(base + i)
    a12 = lambda i, join: {"name": "a12", "peers": ["dc1", "dc2"], "bind": "%s:7946" % ip(i),
                           "join": join}
    a23 = lambda i, join: {"name": "a23", "peers": ["dc2", "dc3"], "bind": "%s:7947" % ip(i),
                           "join": join}
    seed12, seed23 = ["%s:7946" % ip(2)], ["%s:7947" % ip(2)]
    return [("1a", "dc1", 0, [a12(0, seed12)]), ("1b", "dc1", 1, [a12(1, seed12)]),
            ("2a", "dc2", 2, [a12(2, []), a23(2, [])]),
            ("2b", "dc2", 3, [a12(3, seed12), a23(3, seed23)]),
            ("3a", "dc3", 4, [a23(4, seed23)]), ("3b", "dc3", 5, [a23(5, seed23)])]


def start_line(cluster, ips=(0, 1, 2), gateways=None):
    """Three agents d1, d2, d3 (dc1, dc2, dc3, one server each, at
    cluster.ip(ips[0..2])) in a line of network areas: a12 (dc1+dc2, port
    7946) and a23 (dc2+dc3, port 7947), no WAN pool; d2 is the seed of both
    and starts first. gateways: dc -> the config file's `gateways`. Returns
    {dc: agent}, started."""
    def area(name, peers, port, k):
        seed = [] if k == 1 else ["%s:%d" % (cluster.ip(ips[1]), port)]
        return {"name": name, "peers": peers, "bind": "%s:%d" % (cluster.ip(ips[k]), port),
                "join": seed}
    a12 = lambda k: area("a12", ["dc1", "dc2"], 7946, k)
    a23 = lambda k: area("a23", ["dc2", "dc3"], 7947, k)
    agents = {}
    for k, areas in ((1, [a12(1), a23(1)]), (0, [a12(0)]), (2, [a23(2)])):
        name, dc = "d%d" % (k + 1), "dc%d" % (k + 1)
        conf = {"wan": False, "areas": areas}
        if gateways is not None:
            conf["gateways"] = gateways.get(dc, [])
        path = os.path.join(cluster.dir, name + ".json")
        with open(path, "w") as f:
            json.dump(conf, f)
        agents[dc] = cluster.agent(name, ips[k], dc=dc, extra=["-config-file", path]).start()
    return agents


def random_seeds(started, rnd, k=3):
    """The -join list of the next agent of a large pool: k of the agents
    started before it, at random (as a Consul retry_join list would be),
    so that no single seed serves every join's push-pull."""
    return [a.addr for a in rnd.sample(started, min(k, len(started)))]


def wait_for(pred, timeout, what, interval=0.1):
    """Polls pred until true; returns seconds taken, raises Failure on timeout."""
    t0 = time.monotonic()
    while True:
        try:
            if pred():
                return time.monotonic() - t0
        except (Failure, json.JSONDecodeError, subprocess.TimeoutExpired):
            pass
        if time.monotonic() - t0 > timeout:
            raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def run(main):
    """Runs main(cluster_factory) and turns Failure into exit 1."""
    if len(sys.argv) < 2:
        print("usage: %s PATH/TO/meshfed" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    clusters = []

    def factory(net):
        c = Cluster(sys.argv[1], net)
        clusters.append(c)
        return c

    ok = False
    try:
        main(factory)
        ok = True
    except Failure as e:
        print("FAIL:", e, file=sys.stderr)
    finally:
        for c in clusters:
            c.close(ok)
    sys.exit(0 if ok else 1)
