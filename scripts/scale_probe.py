"""scripts/scale_probe.py — what an idle agent does, counted (issue 12), and
the same-load control run; used by scripts/bench-scale (-callgrind, -pools).

An idle agent's CPU per wakeup grows with the pool's size on one host (stop
20: 87 us at 64 agents, 118 us at 512). Whether that is work that grows
with N or the same work run colder (512 processes on 2 cores) is told apart
by counts, not times:

IdleProbe, over a row's idle window:
  - one agent of the pool runs under callgrind (instrumentation off until
    the window, on during it, then dumped): its user-space instructions (Ir)
    a second and by function, and its system calls (callgrind's sysCount);
    this VM has no hardware counters, so `perf stat -e instructions` cannot;
  - a sample of plain agents under `perf stat` (software events, which do
    work here): system calls and context switches a second;
  - `meshfed info` of those agents before and after: datagrams and bytes in
    and out, streams, push-pulls a second.
Instruction and system-call counts do not depend on how busy the host is;
a count that grows with N is work that grows with N.

run_control (-pools K): each size N run as K pools of N/K agents and as one
pool of N, alternating, on one net, in one run: the same count of
processes on the same machine, so per-agent CPU that differs between them
is the pool's size, and CPU that does not is the host.
"""
import os
import re
import signal
import statistics
import subprocess
import time


def sh(*a, timeout=60):
    return subprocess.run(a, capture_output=True, text=True, timeout=timeout)


def info_counts(agent):
    """The counters of `meshfed info` an idle agent's traffic shows."""
    i = agent.info()
    return {k: i.get(k, 0) for k in ("udp_in", "udp_out", "bytes_in", "bytes_out", "stream_in",
                                     "stream_out", "msgs_in", "msgs_out", "probes",
                                     "push_pulls", "suspicions")}


def rates(before, after, dt):
    return {k: (after[k] - before[k]) / dt for k in before}


def parse_annotate(text, top):
    """callgrind_annotate's program totals and its `top` functions by
    self cost: ({event: count}, [(Ir, function)])."""
    events = None
    totals = {}
    funcs = []
    for line in text.splitlines():
        if line.startswith("Events shown:"):
            events = line.split(":", 1)[1].split()
            continue
        if funcs and not line.strip():
            break  # the end of the function table (annotated source may follow)
        if not events or not line.strip() or line.startswith("-"):
            continue
        toks = re.sub(r"\([^)]*\)", " ", line).split()
        vals = []
        k = 0
        while k < len(toks) and len(vals) < len(events):
            t = toks[k]
            if t != "." and not t.replace(",", "").isdigit():
                break
            vals.append(0 if t == "." else int(t.replace(",", "")))
            k += 1
        if len(vals) < len(events) or k >= len(toks):
            continue
        rest = " ".join(toks[k:])
        if rest == "PROGRAM TOTALS":
            totals = dict(zip(events, vals))
        elif totals and ":" in rest and len(funcs) < top:
            funcs.append((vals[0], rest.split(":", 1)[1].split(" [")[0]))
    return totals, funcs


class IdleProbe:
    """Counts, over each idle window, what a few agents do (module doc).
    outdir: where the callgrind dumps and annotations go. sample: plain
    agents under perf stat (0: none). callgrind: one agent of each pool run
    under callgrind (start_pool's pool["wrap"])."""

    def __init__(self, outdir, sample=8, callgrind=True, top=25):
        self.outdir = outdir
        self.sample_n = sample
        self.callgrind = callgrind
        self.top = top
        self.label = "window"
        os.makedirs(outdir, exist_ok=True)
        self.have_perf = sample > 0 and sh("perf", "stat", "-e", "raw_syscalls:sys_enter",
                                           "true").returncode == 0

    def wrap(self, agent):
        """The argv prefix of the agent run under callgrind."""
        return ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--collect-systime=yes",
                "--callgrind-out-file=%s/cg.%s.%%p" % (self.outdir, agent.name)]

    def begin(self, agents):
        self.cg = [a for a in agents if getattr(a, "wrapped", False)][:1]
        plain = [a for a in agents if not getattr(a, "wrapped", False)]
        # spread over the pool, leaving out the last agents (the kills)
        step = max(1, (len(plain) - 4) // max(1, self.sample_n))
        self.sample = plain[1:-4:step][:self.sample_n] if len(plain) > 8 else plain[:1]
        self.counts0 = {}
        for a in self.cg + self.sample:
            try:
                self.counts0[a.name] = info_counts(a)
            except Exception:
                pass
        self.perf = None
        if self.have_perf and self.sample:
            self.perf_out = os.path.join(self.outdir, "perf.%s.txt" % self.label)
            self.perf = subprocess.Popen(
                ["perf", "stat", "-x", ",", "-o", self.perf_out, "-e",
                 "raw_syscalls:sys_enter,context-switches,task-clock", "-p",
                 ",".join(str(a.proc.pid) for a in self.sample)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for a in self.cg:
            sh("callgrind_control", "-i", "on", str(a.proc.pid))
            sh("callgrind_control", "-z", str(a.proc.pid))
        self.t0 = time.monotonic()

    def end(self, dt):
        dt = time.monotonic() - self.t0
        r = {"probe_label": self.label}
        for a in self.cg:
            pid = str(a.proc.pid)
            sh("callgrind_control", "--dump=" + self.label, pid)
            sh("callgrind_control", "-i", "off", pid)
        if self.perf:
            self.perf.send_signal(signal.SIGINT)
            self.perf.wait(30)
            ev = {}
            with open(self.perf_out) as f:
                for line in f:
                    p = line.strip().split(",")
                    if len(p) > 2 and p[0].replace(".", "").isdigit():
                        ev[p[2]] = float(p[0])
            k = len(self.sample)
            r["perf_sample"] = k
            r["syscalls_per_s"] = ev.get("raw_syscalls:sys_enter", 0) / k / dt
            r["ctxsw_per_s"] = ev.get("context-switches", 0) / k / dt
            # task-clock is in ms: % of a core per agent
            r["task_clock_pct"] = 100.0 * ev.get("task-clock", 0) / 1000.0 / k / dt
        for a in self.cg + self.sample:
            if a.name in self.counts0:
                try:
                    got = rates(self.counts0[a.name], info_counts(a), dt)
                except Exception:
                    continue
                r.setdefault("traffic", {})[a.name] = got
        if self.sample:
            tr = [r.get("traffic", {}).get(a.name) for a in self.sample]
            tr = [t for t in tr if t]
            if tr:
                r["traffic_median"] = {k: statistics.median(t[k] for t in tr) for k in tr[0]}
        for a in self.cg:
            r.update(self.annotate(a, dt))
        return r

    def annotate(self, agent, dt):
        """The newest dump of the callgrind agent: totals a second, the top
        functions, the annotation kept beside the dump."""
        pre = "cg.%s.%d" % (agent.name, agent.proc.pid)
        deadline = time.monotonic() + 20
        dumps = []
        while time.monotonic() < deadline:
            dumps = sorted((f for f in os.listdir(self.outdir) if f.startswith(pre + ".")),
                           key=lambda f: os.path.getmtime(os.path.join(self.outdir, f)))
            if dumps:
                break
            time.sleep(0.5)
        if not dumps:
            return {"callgrind_error": "no dump from %s" % agent.name}
        path = os.path.join(self.outdir, dumps[-1])
        ann = sh("callgrind_annotate", "--threshold=100", "--auto=no", path).stdout
        with open(path + ".annotate.txt", "w") as f:
            f.write(ann)
        totals, funcs = parse_annotate(ann, self.top)
        return {"callgrind_agent": agent.name, "callgrind_dump": path,
                "ir_per_s": totals.get("Ir", 0) / dt,
                "cg_syscalls_per_s": totals.get("sysCount", 0) / dt,
                "top_functions": [(ir / dt, fn) for ir, fn in funcs]}


def inclusive(dump, fn):
    """Calls of function fn and their inclusive instructions in a callgrind
    dump (the callers' counts summed: callgrind_annotate's caller tree)."""
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=caller",
                          "--threshold=100", dump], capture_output=True, text=True).stdout
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "*  " in line and line.rstrip().endswith("]") and (":%s [" % fn) in line:
            calls = 0
            for prev in reversed(lines[:i]):
                if "<" not in prev or "x)" not in prev:
                    break
                calls += int(prev.rsplit("(", 1)[1].split("x)")[0].replace(",", ""))
            return calls, int(line.split()[0].replace(",", ""))
    return 0, 0


def probe_line(r):
    """One line of a row's counts (bench-scale prints it)."""
    parts = []
    if r.get("user_share") is not None:
        parts.append("user-space share of the pool's CPU %.0f %%" % (100 * r["user_share"]))
    if "ir_per_s" in r:
        parts.append("callgrind %s: %.0f k instructions/s, %.1f syscalls/s" % (
            r["callgrind_agent"], r["ir_per_s"] / 1e3, r["cg_syscalls_per_s"]))
    if "syscalls_per_s" in r:
        parts.append("perf (%d agents): %.1f syscalls/s, %.1f context switches/s, task-clock "
                     "%.3f %%" % (r["perf_sample"], r["syscalls_per_s"], r["ctxsw_per_s"],
                                  r["task_clock_pct"]))
    t = r.get("traffic_median")
    if t:
        parts.append("traffic: %.2f udp in/s, %.2f out/s, %.0f B in/s, %.0f out/s, "
                     "%.3f streams in/s, %.3f push-pulls/s" % (
                         t["udp_in"], t["udp_out"], t["bytes_in"], t["bytes_out"],
                         t["stream_in"], t["push_pulls"]))
    return "; ".join(parts)


def run_control(bm, args, kind, net, log, rows, probe=None, checkpoint=None):
    """-pools K: each size N of -sizes as K pools of N/K agents ("split")
    and as one pool of N ("whole"), -alternate phases starting with split,
    each on a fresh Cluster on one net (the pools of a split phase on
    disjoint addresses: an agent's seeds are in its own pool, so pools never
    meet). Per phase: the usual row (bench-members' measure_pool over all
    agents, 0 kills), then 1 kill in the first pool for detection. The rows
    are printed and appended to `rows` as each is measured (checkpoint()
    after each); they are not rows of the scale table."""
    import random
    for n in args.sizes:
        per = n // args.pools
        for ph in range(args.alternate):
            split = ph % 2 == 0
            load0 = os.getloadavg()[0]
            c = bm.mfcluster.Cluster(args.meshfed, net)
            ok = False
            label = "%s-%d-%s%d" % (kind, n, "split" if split else "whole", ph)
            r = {"kind": kind, "n": per * args.pools if split else n, "phase": ph,
                 "pools": args.pools if split else 1, "label": label}
            try:
                pools = []
                t0 = time.monotonic()
                for j in range(args.pools if split else 1):
                    pool = {"agents": [], "rnd": random.Random(1 + j), "idle_per_agent": None,
                            "t_start": time.monotonic(), "started": 0, "in_batch": 0,
                            "first": j * per}
                    if args.batch_settle:
                        pool["settle_limit"] = args.batch_settle
                    if probe and probe.callgrind and j == 0:
                        pool["wrap"] = probe.wrap
                    bm.start_pool(kind, per if split else n, c, key=bm.BENCH_KEY, log=log,
                                  pool=pool)
                    pools.append(pool)
                everyone = [a for p in pools for a in p["agents"]]
                r["start_s"] = time.monotonic() - t0
                if probe:
                    probe.label = label
                m = bm.measure_pool(kind, everyone, args, 0, probe=probe)
                m["detect_all"] = bm.detect_kills(kind, pools[0]["agents"], 1)
                m["detect"] = m["detect_all"][0]
                r.update(m)
                ok = True
            except Exception as e:
                r["error"] = str(e)[:300]
            finally:
                c.close(ok)
            r.update({"load_before": load0, "load_after": os.getloadavg()[0],
                      "at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
            if "error" in r:
                print("%s failed: %s" % (label, r["error"]), flush=True)
            else:
                print("%s: %d agents as %d pool(s): CPU/agent %.3f%%  total %.1f%%  wakeups/s "
                      "%.1f, CPU %.0f us and run-queue wait %.0f us each  RSS %.2f MB  detect "
                      "%.1fs  load %.1f; window %.1f..%.1f" % (
                          label, r["n"], r["pools"], r["cpu"], r["cpu_total"], r["wakeups"],
                          r["us_per_wakeup"], r["wait_us_per_wakeup"], r["rss"], r["detect"],
                          r["load_converged"], r["load_window"][0], r["load_window"][1]),
                      flush=True)
                if probe:
                    print("  " + probe_line(r), flush=True)
            rows.append(r)
            if checkpoint:
                checkpoint()
