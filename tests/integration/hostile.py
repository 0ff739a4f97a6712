"""What the hostile-peer tests (test_hostile*.py, issue 11) share: three
agents on loopback, the measurements they assert on (VmRSS and CPU from
/proc, control-socket latency measured on the socket itself, every peer's
view) and raw senders."""
import json
import os
import socket
import subprocess
import sys
import time

from mfcluster import Failure, check, log, wait_for

KEY = "DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM="
PORT = 7946


def slow_build(meshfed):
    """The ASan build: memory and CPU figures get this factor of slack. Its
    agents get a small ASan quarantine (the default holds up to 256 MB of
    freed blocks, which a flood of names churns through and VmRSS would
    count as the agent's)."""
    if "asan" not in os.path.abspath(meshfed):
        return 1
    opts = os.environ.get("ASAN_OPTIONS", "")
    if "quarantine_size_mb" not in opts:
        os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "quarantine_size_mb=16"
    return 3


def rss_mb(agent):
    with open("/proc/%d/status" % agent.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def cpu_s(agent):
    with open("/proc/%d/stat" % agent.proc.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_delay_s(pid="self"):
    """Seconds the task (a process's main thread: the agent's event loop)
    has waited on a run queue, runnable but not running (/proc/PID/schedstat,
    second field); 0 where the kernel does not keep it."""
    try:
        with open("/proc/%s/schedstat" % pid) as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def info_latency(agent, timeout=30.0):
    """Seconds for one `info` request on the control socket (no CLI start-up
    in the figure), or timeout when it does not answer."""
    t0 = time.monotonic()
    if control_request(agent.control, {"cmd": "info"}, timeout) is None:
        return timeout
    return time.monotonic() - t0


def own_info_latency(agent, pid, timeout=30.0):
    """(wall, own): the seconds of one `info` request, and the same without
    the time the agent's loop and this process waited for a CPU meanwhile.
    On a shared machine (2 cores, many processes) a request can wait
    hundreds of ms for a core; that is the machine's latency, not the
    agent's, and the bound of issue 11 is on the agent's."""
    d0 = run_delay_s(pid) + run_delay_s()
    wall = info_latency(agent, timeout)
    waited = run_delay_s(pid) + run_delay_s() - d0
    return wall, max(0.0, wall - waited)


def control_request(control, req, timeout=30.0):
    """One request on a control socket: the decoded answer, or None when it
    does not answer within timeout."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(control)
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return json.loads(buf)
    except (OSError, ValueError):
        return None
    finally:
        s.close()


class _Sampler:
    """Runs `loop` (Python source; `here` on sys.path, hostile importable)
    in a process of its own until the with-block ends, and keeps the last
    line it printed (.last, split). A process, not a thread: the attack loop
    of the test holds Python's GIL for long stretches (packet building,
    encryption), and a thread's timer would count those as the agent's."""

    def __init__(self, loop):
        self._loop, self._p, self.last = loop, None, []

    def __enter__(self):
        here = os.path.dirname(os.path.abspath(__file__))
        code = "import sys, time; sys.path.insert(0, %r)\nimport hostile\n%s" % (here,
                                                                                self._loop)
        self._p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                   text=True)
        return self

    def __exit__(self, *exc):
        self._p.terminate()
        out, _ = self._p.communicate()
        lines = out.splitlines()
        self.last = lines[-1].split() if lines else []


class LatencyProbe(_Sampler):
    """Asks `info` every 50 ms; .worst is the slowest answer less the time
    the agent and the probe waited for a CPU (own_info_latency), .worst_wall
    the slowest as measured, .n the number of requests."""

    def __init__(self, agent):
        super().__init__(
            "class A: control = %r\n"
            "worst, wall, n = 0.0, 0.0, 0\n"
            "while True:\n"
            "    w, o = hostile.own_info_latency(A, %d, timeout=10); n += 1\n"
            "    worst, wall = max(worst, o), max(wall, w)\n"
            "    print(worst, wall, n, flush=True)\n"
            "    time.sleep(0.05)\n" % (agent.control, agent.proc.pid))
        self.worst, self.worst_wall, self.n = 0.0, 0.0, 0

    def __exit__(self, *exc):
        super().__exit__(*exc)
        if len(self.last) == 3:
            self.worst, self.worst_wall, self.n = (float(self.last[0]), float(self.last[1]),
                                                   int(self.last[2]))


class ViewWatch(_Sampler):
    """Asks each of `peers` for its members every 100 ms; .seen is the set
    of statuses they gave `name` (unanswered requests are not counted),
    .n the number of views read."""

    def __init__(self, peers, name):
        super().__init__(
            "controls, seen, n = %r, set(), 0\n"
            "while True:\n"
            "    for c in controls:\n"
            "        r = hostile.control_request(c, {'cmd': 'members'}, timeout=10)\n"
            "        if r and r.get('ok'):\n"
            "            n += 1\n"
            "            seen.update(m['status'] for m in r['members'] if m['name'] == %r)\n"
            "    print(n, *sorted(seen), flush=True)\n"
            "    time.sleep(0.1)\n" % ([p.control for p in peers], name))
        self.seen, self.n = set(), 0

    def __exit__(self, *exc):
        super().__exit__(*exc)
        if self.last:
            self.n, self.seen = int(self.last[0]), set(self.last[1:])


def three(c, key=None, profile="local"):
    a = c.agent("a", 0, key=key, profile=profile).start()
    b = c.agent("b", 1, key=key, profile=profile, join=[a.addr]).start()
    d = c.agent("c", 2, key=key, profile=profile, join=[a.addr]).start()
    agents = [a, b, d]
    wait_for(lambda: all_alive(agents), 20, "three agents alive to each other")
    return agents


def all_alive(agents, names=None):
    names = names or [x.name for x in agents]
    for x in agents:
        m = x.members()
        for n in names:
            if m.get(n, {}).get("status") != "alive":
                return False
    return True


def views(agents):
    """Each agent's view of the others, for a failure message."""
    out = []
    for x in agents:
        try:
            m = x.members()
            out.append("%s sees %s" % (x.name, ", ".join(
                "%s %s" % (y.name, m.get(y.name, {}).get("status")) for y in agents)))
        except Exception as e:  # noqa: BLE001
            out.append("%s: members failed: %s" % (x.name, str(e)[:80]))
    return "; ".join(out)


def assert_healthy(agents, what, rss_limit_mb, latency_s=2.0, views_asserted=True):
    """Every agent up, answering within latency_s (its own time:
    own_info_latency), under rss_limit_mb, and seeing every other one alive
    (within a few seconds: the attack may have just ended). With
    views_asserted False the views are only reported."""
    for x in agents:
        check(x.alive(), "%s: %s died: %s" % (what, x.name, x.tail()))
    for x in agents:
        wall, dt = own_info_latency(x, x.proc.pid)
        check(dt < latency_s, "%s: %s answered info in %.2fs (%.2fs as measured; limit "
              "%.2fs)" % (what, x.name, dt, wall, latency_s))
        rss = rss_mb(x)
        check(rss < rss_limit_mb, "%s: %s VmRSS %.1f MB (limit %.0f MB)" % (what, x.name, rss,
                                                                           rss_limit_mb))
    try:
        wait_for(lambda: all_alive(agents), 10, "%s: all members alive in every view" % what)
    except Failure as e:
        if views_asserted:
            raise Failure("%s (%s)" % (e, views(agents)))
        log("%s: views not asserted in this build: %s" % (what, views(agents)))
    log("ok: %s: agents up, answering, under %.0f MB%s" % (
        what, rss_limit_mb, ", all alive" if views_asserted else ""))


def run_rows(agents, label, rows, rss_limit_mb, slack, call):
    """Runs each (name, fn, args[, timing]) row through call(fn, args),
    then checks the agents' health (restarting any that died, so later rows
    still mean something). A `timing` row's peer views depend on the agent
    keeping up with the attack in real time: they are asserted in the
    release build (slack 1) and only reported in the sanitizer build, which
    runs several times slower on a shared machine. Returns the failures,
    one line each: every row is run and reported even when an earlier one
    fails."""
    failures = []
    for name, fn, args, *timing in rows:
        try:
            call(fn, args)
        except Exception as e:  # noqa: BLE001 (every row is reported)
            failures.append("%s: %s: %s" % (label, name, e))
            log("FAILED: %s: %s: %s" % (label, name, e))
        for x in agents:
            if not x.alive():
                x.start()
        try:
            assert_healthy(agents, "%s: after %s" % (label, name), rss_limit_mb, 2.0 * slack,
                           views_asserted=slack == 1 or not timing or not timing[0])
        except Exception as e:  # noqa: BLE001
            failures.append("%s: %s (health): %s" % (label, name, e))
            log("FAILED: %s: %s (health): %s" % (label, name, e))
    return failures


def udp_sender(ip):
    """A UDP socket bound to an attacker address on loopback."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return s


def tcp_connect(src_ip, dst, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src_ip, 0))
    s.connect((dst, PORT))
    return s


def sealed(key, pkt):
    import mfwire
    return mfwire.seal_packet(key, pkt) if key else pkt
