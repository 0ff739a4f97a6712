#!/usr/bin/env python3
"""tests/integration/test_monitor.py — `meshfed monitor` streams the agent's
log lines over the control socket (docs/cli.md "monitor").

  - at -log-level debug, a monitor of an agent running at info gets debug
    lines (the monitor's level is its own) and "member joined";
  - -log-format json: every line one JSON object with @timestamp, @level,
    @message; a bad level is refused with exit 1;
  - a monitor that never reads does not stall the agent: while 12,000
    pipelined reloads each log a line, `info` answers within 1 s (3 s
    on the ASan build) each time and the agent stays alive for its peer;
    lines it could not take are dropped and counted (info
    log.monitor_dropped) and, once it reads again, it is told how many;
  - a monitor's hang-up is noticed: the agent's monitor count drops to 0.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostile import slow_build  # noqa: E402
from mfcluster import Agent, check, log, run, wait_for  # noqa: E402

NET = 83


class InfoAgent(Agent):
    def command(self):
        args = super().command()
        i = args.index("-log-level")
        args[i + 1] = "info"
        return args


def info_latency(path):
    """Seconds for one `info` answer straight off the control socket (no
    CLI process start in the figure)."""
    t0 = time.monotonic()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        s.sendall(b'{"cmd":"info"}\n')
        s.makefile("rb").readline()
    return time.monotonic() - t0


def monitor(a, *args):
    return subprocess.Popen([a.cluster.meshfed, "monitor", "-control", a.control] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_until(p, pred, timeout, what):
    """Lines of p's stdout until pred(line) holds."""
    os.set_blocking(p.stdout.fileno(), False)
    buf, lines, t0 = b"", [], time.monotonic()
    while time.monotonic() - t0 < timeout:
        chunk = p.stdout.read()
        if chunk:
            buf += chunk
            *done, buf = buf.split(b"\n")
            for ln in done:
                lines.append(ln.decode(errors="replace"))
                if pred(lines[-1]):
                    return lines
        else:
            time.sleep(0.05)
    raise AssertionError("timed out waiting for %s; got %r" % (what, lines[-5:]))


def main(factory):
    c = factory(NET)
    m1 = InfoAgent(c, "m1", c.ip(0))
    c.agents.append(m1)
    m1.start()

    text = monitor(m1, "-log-level", "debug")
    js = monitor(m1, "-log-format", "json")
    wait_for(lambda: m1.info()["log"]["monitors"] == 2, 5, "two monitors")
    m2 = c.agent("m2", 1, join=[m1.addr]).start()
    lines = read_until(text, lambda ln: "member joined: m2" in ln, 15, "member joined (text)")
    m1.ctl("join", m2.addr)  # the joiner logs "join #N completed" at debug
    lines += read_until(text, lambda ln: "[DEBUG]" in ln, 15, "a debug line")
    with open(m1.logpath, "rb") as f:
        check(b"[DEBUG]" not in f.read(), "the agent's own log stays at info")
    log("text monitor: debug lines and member joined; stderr at info")
    jl = read_until(js, lambda ln: "member joined: m2" in ln, 15, "member joined (json)")
    for ln in jl:
        o = json.loads(ln)
        check(set(o) == {"@timestamp", "@level", "@message"}, "json keys: %r" % o)
        check(o["@level"] != "debug", "json monitor at info gets no debug")
    log("json monitor: %d lines, each one JSON object" % len(jl))
    r = subprocess.run([c.meshfed, "monitor", "-log-level", "loud", "-control", m1.control],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 1 and "not a level" in r.stderr, "bad level refused: %r" % r.stderr)
    text.kill()
    js.kill()
    text.wait()
    js.wait()

    # A monitor that never reads (a raw control connection with a small
    # receive buffer), and a flood of log lines: pipelined reloads, each
    # logging one line.
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(m1.control)
    slow.sendall(b'{"cmd":"monitor","log_level":"debug"}\n')
    wait_for(lambda: m1.info()["log"]["monitors"] == 1, 5, "slow monitor registered")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(m1.control)
    n_req, got, worst = 12000, 0, 0.0
    threading.Thread(target=s.sendall, args=(b'{"cmd":"reload"}\n' * n_req,),
                     daemon=True).start()
    f = s.makefile("rb")
    t_end = time.monotonic() + 120
    while got < n_req and time.monotonic() < t_end:
        f.readline()
        got += 1
        if got % 1000 == 0:
            worst = max(worst, info_latency(m1.control))
    s.close()
    check(got == n_req, "all %d reloads answered (%d)" % (n_req, got))
    bound = 1.0 * slow_build(c.meshfed)
    check(worst < bound, "info answered within %.1f s during the flood (worst %.3f s)"
          % (bound, worst))
    check(m2.status_of("m1") == "alive", "m1 stayed alive for its peer during the flood")
    dropped = m1.info()["log"]["monitor_dropped"]
    check(dropped > 0, "lines dropped for the slow monitor (%d)" % dropped)
    log("slow monitor: %d reloads answered, info worst %.3f s, %d lines dropped"
        % (n_req, worst, dropped))
    # Reading again: a later line tells it how many it missed.
    slow.settimeout(0.2)
    t_end, seen = time.monotonic() + 30, b""
    while b"lines dropped (slow reader)" not in seen and time.monotonic() < t_end:
        try:
            chunk = slow.recv(1 << 16)
        except socket.timeout:
            m1.ctl("reload")
            continue
        check(chunk, "the agent closed the slow monitor")
        seen = (seen + chunk)[-(1 << 20):]
    check(b"lines dropped (slow reader)" in seen, "the slow monitor is told what it missed")
    log("slow monitor reading again: told how many lines it missed")
    slow.close()
    wait_for(lambda: m1.info()["log"]["monitors"] == 0, 10, "hung-up monitor forgotten")
    log("hang-up noticed: no monitor left")
    check(m2.alive() and m1.status_of("m2") == "alive", "the pool is fine")


if __name__ == "__main__":
    run(main)
