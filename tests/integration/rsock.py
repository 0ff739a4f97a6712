"""tests/integration/rsock.py — route socket subscribers for the tests.

The protocol state (RouteState: snapshot, deltas, acks, nacks) is the one in
docs/route-socket-example.py, imported from there so the example cannot rot;
this adds what tests need on top: timeouts, receive times, and running the
example as a program (it registers gateways).
"""
import calendar
import importlib.util
import json
import os
import queue
import re
import selectors
import socket
import subprocess
import sys
import threading
import time

from mfcluster import Failure

sys.dont_write_bytecode = True  # no __pycache__ in docs/ from importing the example

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(TOP, "docs", "route-socket-example.py")

_spec = importlib.util.spec_from_file_location("route_socket_example", EXAMPLE)
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)
RouteState = example.RouteState
LineReader = example.LineReader
line = example.line


class Subscriber:
    """A blocking subscriber: every message is applied and answered as the
    example does; each is kept in `log` as (monotonic time, message)."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise Failure("cannot connect to route socket %s: %s" % (path, e))
                time.sleep(0.1)
        self.state = RouteState()
        self.reader = LineReader()
        self.pending = []
        self.log = []
        self.closed = False

    def send(self, obj):
        self.sock.sendall(line(obj))

    def next(self, timeout):
        """The next message (applied and acknowledged), or None at EOF.
        Raises Failure when nothing comes within timeout seconds."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("no message on the route socket within %.1fs" % timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                return None
            now = time.monotonic()
            for m in self.reader.feed(data):
                self.pending.append((now, m))
        t, m = self.pending.pop(0)
        reply = self.state.apply(m)
        if reply:
            self.sock.sendall(reply)
        self.log.append((t, m))
        return m

    def until(self, pred, timeout, what):
        """Reads messages until pred(msg) holds; returns that message."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
            m = self.next(left)
            if m is None:
                raise Failure("the agent closed the route socket while waiting for %s" % what)
            if pred(m):
                return m

    def drain(self, quiet):
        """Applies whatever arrives until nothing has for `quiet` seconds."""
        while True:
            try:
                if self.next(quiet) is None:
                    return
            except Failure:
                return

    def close(self):
        self.sock.close()


class Fleet:
    """N subscribers on one selector. Timestamps (time.time(), to compare
    with the agent's log) are taken as each socket is read, and every socket
    that is readable is read, until none has been for QUIET_S, before any
    message is parsed or acknowledged: so a subscriber's time is when its
    bytes reached this process, give or take the recv calls before it
    (microseconds each) and this process's own scheduling, not the parsing
    of the others' messages."""

    QUIET_S = 0.005  # reading goes on until no socket was readable for this long

    def __init__(self, path, n):
        self.sel = selectors.DefaultSelector()
        self.subs = []
        for i in range(n):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)  # blocking: waits out a full backlog
            s.setblocking(False)
            sub = {"i": i, "sock": s, "state": RouteState(), "reader": LineReader(),
                   "got": [], "out": b"", "closed": False}
            self.sel.register(s, selectors.EVENT_READ, sub)
            self.subs.append(sub)

    def _read_ready(self, timeout):
        chunks = []
        ready = self.sel.select(timeout)
        while ready:
            for key, _ in ready:
                sub = key.data
                try:
                    data = sub["sock"].recv(65536)  # not 1 MB: that buffer costs an mmap per call
                except BlockingIOError:
                    continue
                except ConnectionError:
                    data = b""
                chunks.append((time.time(), sub, data))
                if not data:
                    self.sel.unregister(sub["sock"])
            # The agent writes a version to its subscribers one after the
            # other: wait for the rest of the burst rather than parse first.
            ready = self.sel.select(self.QUIET_S)
        return chunks

    def pump(self, seconds):
        """Reads, applies and acknowledges for `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            for t, sub, data in self._read_ready(min(left, 0.05)):
                if not data:
                    sub["closed"] = True
                    continue
                for m in sub["reader"].feed(data):
                    reply = sub["state"].apply(m)
                    if m["type"] in ("snapshot", "delta"):
                        sub["got"].append((t, m["version"], m["type"]))
                    if reply:
                        sub["out"] += reply
                if sub["out"]:
                    n = sub["sock"].send(sub["out"])  # acks are tiny: never blocks long
                    sub["out"] = sub["out"][n:]

    def until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                raise Failure("timed out after %.1fs waiting for %s" % (timeout, what))
            self.pump(0.05)

    def versions(self):
        return [s["state"].version for s in self.subs]

    def first_seen(self, after):
        """version -> earliest time any subscriber received it (> after)."""
        out = {}
        for s in self.subs:
            for t, v, _ in s["got"]:
                if v > after and (v not in out or t < out[v]):
                    out[v] = t
        return out

    def lags(self, ref):
        """For each version V with a reference time ref[V] (when the agent
        published it) and each subscriber, the time from ref[V] until that
        subscriber received V or a later version (an update merged over V
        covers it), in ms."""
        out = []
        for s in self.subs:
            for v, t0 in ref.items():
                t = min((t for t, v2, _ in s["got"] if v2 >= v), default=None)
                out.append(float("inf") if t is None else (t - t0) * 1000)
        return out


PUBLISH_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z \[DEBUG\] route socket: "
                        r"version (\d+) published in ([0-9.]+) ms")


def publish_times(logpath):
    """version -> when the agent started publishing it (time.time() scale),
    from its debug log ("route socket: version V published in X ms", logged
    when done: start = log time - X; millisecond resolution)."""
    out = {}
    with open(logpath, errors="replace") as f:
        for ln in f:
            m = PUBLISH_RE.match(ln)
            if m:
                t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
                out[int(m.group(3))] = t + int(m.group(2)) / 1000.0 - float(m.group(4)) / 1000.0
    return out


class Example:
    """docs/route-socket-example.py run as a program against `path`; its
    stdout lines are collected by a thread."""

    def __init__(self, path, *args):
        self.proc = subprocess.Popen([sys.executable, EXAMPLE, "--socket", path] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for ln in self.proc.stdout:
            self.lines.put(ln.rstrip("\n"))
        self.lines.put(None)

    def until(self, pred, timeout, what):
        """Reads its output until a line satisfies pred; returns the line."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("timed out after %.1fs waiting for the example to print %s "
                              "(it printed %r)" % (timeout, what, self.seen[-5:]))
            try:
                ln = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if ln is None:
                raise Failure("the example exited (rc %s) while waiting for %s: %r" % (
                    self.proc.wait(), what, self.seen[-5:]))
            self.seen.append(ln)
            if pred(ln):
                return ln

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)


def routes_json(agent):
    return json.loads(agent.ctl("routes", "-format", "json").stdout)


def route_of(table, target):
    for r in table["routes"]:
        if r["target"] == target:
            return r
    return None
