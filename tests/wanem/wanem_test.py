"""Shared harness of the wanem acceptance tests (test_*.py).

Each test runs as: python3 test_X.py WANEM_BINARY UDP_ECHO_BINARY. It exits
77 (ctest SKIP_RETURN_CODE) with "SKIPPED: ..." when not root, 0 on success,
1 on failure. Every emulated network is torn down with `wanem down` whatever
happens (finally, atexit and SIGTERM/SIGINT).
"""
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def need_root():
    if os.geteuid() != 0:
        print("SKIPPED: needs root (network namespaces)")
        sys.exit(SKIP)
    if not os.path.exists("/dev/net/tun"):
        print("SKIPPED: no /dev/net/tun")
        sys.exit(SKIP)


def kv(line):
    """'a=1 b=2.5' -> {'a': 1.0, 'b': 2.5}"""
    out = {}
    for word in line.split():
        k, _, v = word.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = v
    return out


class Wan:
    """One emulated WAN: `with Wan(topology_dict, 'rtt') as w: ...`."""

    def __init__(self, topology, tag, wanem=None, echo=None):
        """wanem, echo: the binaries; default sys.argv[1] and [2]."""
        need_root()
        if wanem is None and len(sys.argv) != 3:
            sys.exit("usage: %s WANEM UDP_ECHO" % sys.argv[0])
        self.wanem = os.path.abspath(wanem or sys.argv[1])
        self.echo = os.path.abspath(echo or (sys.argv[2] if len(sys.argv) > 2
                                             else "udp_echo"))
        # Per run: namespaces are wn-<instance>-<host> and the state
        # $WANEM_RUN_DIR/<instance>, so two runs (two engineers, two tests)
        # never share one; the pid is kept whole, the tag cut to fit 16.
        pid = str(os.getpid())
        self.instance = tag[:16 - len(pid)] + pid
        self.env = dict(os.environ, WANEM_INSTANCE=self.instance)
        fd, self.topo_path = tempfile.mkstemp(prefix="wanem-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(topology, f)
        self.procs = []
        self.is_up = False

    def __enter__(self):
        atexit.register(self.down)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: sys.exit(1))
        self.run("up", self.topo_path)
        self.is_up = True
        return self

    def __exit__(self, *exc):
        self.down()
        return False

    def run(self, *args, check=True):
        r = subprocess.run([self.wanem, *args], env=self.env,
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("wanem %s failed: %s%s" %
                               (" ".join(args), r.stdout, r.stderr))
        return r

    def ctl(self, *args):
        """A runtime command; returns (monotonic ns before, after)."""
        t0 = time.monotonic_ns()
        self.run(*args)
        return t0, time.monotonic_ns()

    def addr(self, host):
        return self.run("addr", host).stdout.strip()

    def spawn(self, host, *args):
        """`wanem exec HOST -- udp_echo ARGS` in the background."""
        p = subprocess.Popen([self.wanem, "exec", host, "--", self.echo,
                              *map(str, args)], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        return p

    def echo_run(self, host, *args, timeout=60):
        p = self.spawn(host, *args)
        out, err = p.communicate(timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("udp_echo %s on %s: %s" % (args, host, err))
        return out

    def down(self):
        if self.is_up:
            self.is_up = False
            r = self.run("down", check=False)
            if r.returncode != 0:
                print("wanem down failed:", r.stdout, r.stderr)
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        if os.path.exists(self.topo_path):
            os.unlink(self.topo_path)


class Checks:
    """Collects assertions so one run reports every failure, then a summary
    line ctest and CI read."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        print("%s: %s" % ("PASS" if ok else "FAIL", what))
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
