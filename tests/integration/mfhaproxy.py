"""tests/integration/mfhaproxy.py — a real HAProxy as a DC's gateway, on
loopback, kept in line by `meshfed haproxy`.

HAProxy runs a copy of docs/haproxy.cfg with only its addresses and paths
replaced (so the test checks the shipped config), in the foreground, with
its admin socket and map in the cluster's directory. The helpers read
HAProxy's state over the admin socket as an operator would.
"""

import os
import shutil
import socket
import subprocess
import sys

from mfcluster import Agent, check, wait_for
from mfgateway import read_to_eof

HERE = os.path.dirname(os.path.abspath(__file__))
CFG = os.path.join(HERE, "..", "..", "docs", "haproxy.cfg")


def skip_without_haproxy():
    if not shutil.which("haproxy"):
        print("SKIPPED: haproxy is not installed (apt-get install haproxy; scripts/setup does)")
        sys.exit(77)


class Proc(Agent):
    """A process started by a test, killed and tailed with the cluster's
    agents (an Agent's kill, tail and alive, for any command line)."""

    def __init__(self, cluster, name, args):  # pylint: disable=super-init-not-called
        self.name = name
        self.logpath = os.path.join(cluster.dir, name + ".log")
        self.logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=subprocess.STDOUT)
        cluster.agents.append(self)

    def log_lines(self):
        with open(self.logpath, errors="replace") as f:
            return f.read().splitlines()


class HAProxy:
    """HAProxy with docs/haproxy.cfg: `wan` the accept-proxy bind other DCs'
    gateways dial (and the source of its connections to them), `lan` the
    plain bind for clients, `local` the be_local_web servers."""

    def __init__(self, cluster, name, wan_ip, lan, local=("127.0.0.1:1", "127.0.0.1:2")):
        self.cluster = cluster
        self.name = name
        self.wan = wan_ip + ":8443"
        self.lan = lan
        self.admin = os.path.join(cluster.dir, name + ".sock")
        self.mapfile = os.path.join(cluster.dir, name + "-dc.map")
        with open(CFG) as f:
            cfg = f.read()
        for old, new in (("/run/haproxy/admin.sock", self.admin),
                         ("/etc/haproxy/meshfed-dc.map", self.mapfile),
                         ("192.0.2.10", wan_ip), ("10.0.0.10:8443", lan),
                         ("log /dev/log local0", "log stdout format raw local0"),
                         ("10.0.0.21:8443", local[0]), ("10.0.0.22:8443", local[1])):
            check(old in cfg, "docs/haproxy.cfg still holds %r" % old)
            cfg = cfg.replace(old, new)
        self.cfg = os.path.join(cluster.dir, name + ".cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg)
        open(self.mapfile, "w").close()
        r = subprocess.run(["haproxy", "-c", "-f", self.cfg], capture_output=True, text=True)
        check(r.returncode == 0, "haproxy -c: %s %s" % (r.stdout, r.stderr))
        self.proc = None
        self.sync = None

    def start(self):
        if os.path.exists(self.admin):
            os.unlink(self.admin)
        self.proc = Proc(self.cluster, self.name, ["haproxy", "-db", "-f", self.cfg])
        wait_for(lambda: os.path.exists(self.admin) and self.cmd("show info"), 10,
                 "%s's admin socket" % self.name)
        return self

    def start_sync(self, gw_name, route_socket):
        """`meshfed haproxy` for this HAProxy, registering it as gw_name."""
        self.sync = Proc(self.cluster, self.name + "-sync",
                         [self.cluster.meshfed, "haproxy", "-name", gw_name, "-advertise",
                          self.wan, "-lan", self.lan, "-route-socket", route_socket,
                          "-admin", self.admin, "-map-file", self.mapfile,
                          "-log-level", "debug"])
        return self.sync

    def cmd(self, line):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(self.admin)
        s.sendall(line.encode() + b"\n")
        out = read_to_eof(s)
        s.close()
        return out.decode()

    def info(self):
        return dict(l.split(": ", 1) for l in self.cmd("show info").splitlines() if ": " in l)

    def map(self):
        return dict(l.split()[1:3] for l in self.cmd("show map " + self.mapfile).splitlines()
                    if l.strip())

    def map_file(self):
        with open(self.mapfile) as f:
            return dict(l.split() for l in f if l.strip() and not l.startswith("#"))

    def stat(self):
        """[{column: value}] of `show stat`."""
        lines = self.cmd("show stat").splitlines()
        cols = lines[0].lstrip("# ").split(",")
        return [dict(zip(cols, l.split(","))) for l in lines[1:] if l.strip()]

    def servers(self):
        """slot backend -> (set of enabled primary addrs, [enabled backup addrs])."""
        out = {}
        for f in self.stat():
            if not f["pxname"].startswith("be_dc_slot") or f["svname"] == "BACKEND":
                continue
            p, b = out.setdefault(f["pxname"], (set(), []))
            if not f["status"].startswith("MAINT"):
                (b.append if f["bck"] == "1" else p.add)(f["addr"])
        return out

    def sessions(self, backend):
        """Total sessions a backend has taken (stot)."""
        return sum(int(f["stot"] or 0) for f in self.stat()
                   if f["pxname"] == backend and f["svname"] == "BACKEND")

    def in_line_with(self, table):
        """Raises Failure unless HAProxy's map and slot servers are what
        `table` (a `meshfed routes -format json` object) asks for, and the
        map file on disk says the same as HAProxy."""
        m, sv = self.map(), self.servers()
        for r in table["routes"]:
            key = r["target"].lower()
            if r["status"] == "local":
                check(m.get(key) == "local", "map %s -> local: %r" % (key, m))
            elif r["status"] in ("direct", "via") and r.get("gateways"):
                be = m.get(key)
                check(be in sv, "map %s -> a slot backend: %r" % (key, m))
                want = {g["addr"] for g in r["gateways"]}
                check(sv[be][0] == want, "%s's servers %r are %s's gateways %r" % (
                    be, sv[be][0], key, want))
                alts = []
                for a in r.get("alternates") or []:
                    alts += [g["addr"] for g in a.get("gateways") or []
                             if g["addr"] not in want and g["addr"] not in alts]
                check(sv[be][1] == alts, "%s's backups %r are %s's alternates' gateways %r" % (
                    be, sv[be][1], key, alts))
            else:
                check(key not in m, "no entry for %s (%s): %r" % (key, r["status"], m))
        check(self.map_file() == m, "map file %r matches HAProxy's map %r" % (self.map_file(), m))
        return True
