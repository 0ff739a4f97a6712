#!/usr/bin/env python3
"""50 cycles of `wanem up` / `wanem down` leave nothing behind.

Each cycle brings up 2 DCs x 2 hosts, starts an echo server in two hosts
with `wanem exec` (one of them forks a child of its own, which `down` must
find through its namespace), and every 10th cycle SIGKILLs the router first,
as a crash would. Before and after: the namespaces (`ip netns list`), the
interfaces of the machine's namespace (`ip link`) and the processes this
test started or that live in its namespaces must be the same.
"""
import os
import signal
import subprocess
import sys
import time

from wanem_test import Checks, Wan, kv

TOPO = {
    "datacenters": {"dc1": {"servers": 2}, "dc2": {"servers": 2}},
    "rtt_ms": {"dc1": {"dc2": 4}},
}
CYCLES = 50


def netns():
    return sorted(subprocess.run(["ip", "netns", "list"], capture_output=True,
                                 text=True).stdout.split("\n"))


def links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True,
                         text=True).stdout
    return sorted(line.split(":")[1].strip() for line in out.splitlines())


def our_processes(binaries):
    """Live (non-zombie) processes running one of our binaries or naming one
    on their command line (the `sh -c` of each cycle)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().decode(errors="replace").split("\0")
            if pid == str(os.getpid()):
                continue
            marker = [b for b in binaries if b.endswith("udp_echo")][0]
            forked = "%s serve 7000 & wait" % marker in argv
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if (exe in binaries or forked) and state not in "ZX":
            found.append((int(pid), " ".join(argv)))
    return sorted(found)


def main():
    c = Checks()
    probe = Wan(TOPO, "cyc")
    binaries = {probe.wanem, probe.echo}
    ns0, links0, procs0 = netns(), links(), our_processes(binaries)
    started = time.monotonic()
    failures = 0
    for i in range(CYCLES):
        w = Wan(TOPO, "cyc")
        with w:
            w.spawn("dc1-s1", "serve", 7000)
            # a shell that forks udp_echo: only the namespace knows the child
            subprocess.Popen([w.wanem, "exec", "dc2-s1", "--", "sh", "-c",
                              "%s serve 7000 & wait" % w.echo], env=w.env)
            if i % 10 == 0:
                time.sleep(0.1)
                r = kv(w.echo_run("dc2-s2", "ping", w.addr("dc1-s1"), 7000,
                                  5, 1000))
                if r["received"] != 5:
                    failures += 1
                    print("cycle %d: %s" % (i, r))
                with open("/run/wanem/%s/state" % w.instance) as f:
                    pid = [int(l.split()[1]) for l in f if l.startswith("router")][0]
                os.kill(pid, signal.SIGKILL)
                time.sleep(0.05)
    elapsed = time.monotonic() - started
    # reap whatever children of ours the kills left as zombies
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break
    c.check(failures == 0, "the emulated WAN worked in every probed cycle")
    c.check(netns() == ns0, "`ip netns list` the same after %d cycles (%d "
            "namespaces)" % (CYCLES, len([n for n in ns0 if n])))
    l1 = links()
    c.check(l1 == links0, "`ip link` the same (%s)" %
            (", ".join(l1) if l1 == links0 else "before %s, after %s" % (links0, l1)))
    p1 = our_processes(binaries)
    c.check(p1 == procs0, "no wanem/udp_echo process left (%s)" % (p1 or "none"))
    c.check(not os.path.exists("/run/wanem/%s" % w.instance),
            "state directory removed")
    print("%d cycles in %.1f s" % (CYCLES, elapsed))
    c.finish()


if __name__ == "__main__":
    sys.exit(main())
