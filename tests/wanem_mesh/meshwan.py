"""tests/wanem_mesh/meshwan.py — real meshfed (and serf) agents inside the
WAN emulator's hosts (tests/wanem): one agent per emulated server host.

Agents bind to their host's 198.18.x.y address; their control sockets are
ordinary files in a temporary directory (pathname Unix sockets work across
network namespaces), so the test drives them from the root namespace.
"""
import json
import os
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
        log = open(os.path.join(self.dir, host + ".log"), "ab")
        p = subprocess.Popen([self.wanem, "exec", host, "--"] + cmd, env=self.env,
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        self.agents[host] = p
        return p

    def start_serf(self, host, join):
        cmd = ["serf", "agent", "-node", host, "-bind", self.addr(host) + ":7946",
               "-rpc-addr", "127.0.0.1:7373", "-profile", "wan", "-tag", "dc=serf"]
        if join:
            cmd += ["-join", join]
        log = open(os.path.join(self.dir, host + ".log"), "ab")
        p = subprocess.Popen([self.wanem, "exec", host, "--"] + cmd, env=self.env,
                             stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def serf(self, host, *args):
        # serf wants its flags before the positional arguments.
        r = self.run("exec", host, "--", "serf", args[0], "-rpc-addr", "127.0.0.1:7373",
                     *args[1:], check=False)
        return r

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

    def kill_agent(self, host):
        """SIGKILL the agent on host (the wanem exec wrapper's child)."""
        p = self.agents.pop(host, None)
        subprocess.run(["pkill", "-KILL", "-f", "--", "-node %s -dc" % host])
        if p:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()

    def down(self):
        for host in list(self.agents):
            self.kill_agent(host)
        super().down()

    def tail(self, host, n=20):
        try:
            with open(os.path.join(self.dir, host + ".log"), "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


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
