#!/usr/bin/python3
"""-metrics-addr and `meshfed metrics` on real agents: GET /metrics serves the
same families as the control socket, promtool accepts the text, values move
(SIGKILL a member -> failed members and probe failures rise), other paths and
methods are refused, and a real Prometheus server scrapes it (prometheus and
promtool come with scripts/setup: a missing one fails the test)."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request

from mfcluster import check, log, run, stop, wait_for

N = 4
MPORT = 9464
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()
    except (urllib.error.URLError, OSError):
        return 0, "", ""  # not listening (yet)


def samples(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        check(m, "not a sample line: %r" % line)
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def families(text):
    return sorted(set(l.split()[2] for l in text.splitlines() if l.startswith("# TYPE ")))


def prometheus_scrape(c, target, url_ip):
    prom = shutil.which("prometheus")
    # scripts/setup installs it: a missing one fails rather than passing unseen.
    check(prom is not None, "prometheus is installed (scripts/setup installs it)")
    d = tempfile.mkdtemp(prefix="meshfed-prom-", dir=c.dir)
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                "  - job_name: meshfed\n    static_configs:\n"
                "      - targets: ['%s']\n" % target)
    listen = "%s:9090" % url_ip
    logf = open(os.path.join(d, "prometheus.log"), "wb")
    p = subprocess.Popen([prom, "--config.file=" + os.path.join(d, "prometheus.yml"),
                          "--storage.tsdb.path=" + os.path.join(d, "data"),
                          "--web.listen-address=" + listen],
                         stdout=logf, stderr=subprocess.STDOUT)
    try:
        def ready():
            if p.poll() is not None:
                return True
            return get("http://%s/-/ready" % listen)[0] == 200
        try:
            wait_for(ready, 30, "prometheus ready")
        except Exception:
            pass
        check(p.poll() is None and get("http://%s/-/ready" % listen)[0] == 200,
              "prometheus started and is ready (log: %s)" % os.path.join(d, "prometheus.log"))
        q = urllib.parse.quote('meshfed_probes_total{pool="wan"}')
        val = {}

        def scraped():
            st, _, body = get("http://%s/api/v1/query?query=%s" % (listen, q))
            r = json.loads(body)["data"]["result"] if st == 200 else []
            if r:
                val["v"] = float(r[0]["value"][1])
            return bool(r)
        t = wait_for(scraped, 30, "Prometheus to have meshfed_probes_total", interval=0.5)
        check(val["v"] > 0, "Prometheus's meshfed_probes_total is %r" % val["v"])
        log("ok: real Prometheus scraped %s; meshfed_probes_total{pool=\"wan\"} = %g "
            "(after %.1fs)" % (target, val["v"], t))
    finally:
        stop(p)


def gateway_metrics(c, agent, promtool):
    """`meshfed gateway -metrics-addr`: its own endpoint; a refused
    connection moves its outcome counter; promtool accepts the text."""
    from mfgateway import Gateway, probe_closed
    gport = MPORT + 1
    gw = Gateway(c, "gw", agent.ip, agent.dc, agent.route_socket, port=8443,
                 extra=["-metrics-addr", "%s:%d" % (agent.ip, gport)]).start()
    gurl = "http://%s:%d/metrics" % (agent.ip, gport)
    wait_for(lambda: samples(get(gurl)[2]).get("meshfed_gateway_route_socket_connected") == 1,
             15, "gateway subscribed")
    key = 'meshfed_gateway_connections_total{outcome="bad_hello"}'
    before = samples(get(gurl)[2])[key]
    probe_closed(gw.addr, data=b"\x16\x03\x01garbage" * 4)
    wait_for(lambda: samples(get(gurl)[2])[key] == before + 1, 5, "bad_hello counted")
    text = get(gurl)[2]
    check(samples(text)["meshfed_gateway_route_table_version"] > 0, "table version exported")
    if promtool:
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              "promtool on the gateway's text: %s %s" % (r.stdout, r.stderr))
    log("ok: gateway -metrics-addr: %d families, bad_hello %g -> %g, promtool clean"
        % (len(families(text)), before, before + 1))
    gw.kill(signal.SIGTERM)


def main(cluster_factory):
    c = cluster_factory(61)
    agents = [c.agent("m%d" % i, i) for i in range(N)]
    mip = agents[0].ip
    agents[0].extra = ["-metrics-addr", "%s:%d" % (mip, MPORT)]
    agents[0].start()
    for a in agents[1:]:
        a.join_addrs = [agents[0].addr]
        a.start()
    wait_for(lambda: sum(1 for m in agents[0].members().values()
                         if m["status"] == "alive") == N, 30, "%d alive" % N)
    url = "http://%s:%d/metrics" % (mip, MPORT)

    st, ctype, text = get(url)
    check(st == 200, "GET /metrics: %d" % st)
    check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
    s = samples(text)
    check(s.get('meshfed_members{pool="wan",status="alive"}') == N,
          "alive members in /metrics: %r" % s.get('meshfed_members{pool="wan",status="alive"}'))
    ctl = agents[0].ctl("metrics").stdout
    check(families(ctl) == families(text), "meshfed metrics and GET /metrics differ in families")
    log("ok: GET /metrics and `meshfed metrics` serve the same %d families" % len(families(text)))

    promtool = shutil.which("promtool")
    check(promtool is not None, "promtool is installed (scripts/setup installs prometheus)")
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
          "promtool check metrics: rc %d %s %s" % (r.returncode, r.stdout, r.stderr))
    log("ok: promtool check metrics accepts the text (no lint warnings)")

    check(get("http://%s:%d/nope" % (mip, MPORT))[0] == 404, "GET /nope is not 404")
    check(get(url, method="POST")[0] == 405, "POST /metrics is not 405")
    st, _, body = get(url, method="HEAD")
    check(st == 200 and body == "", "HEAD /metrics: %d %r" % (st, body[:40]))
    check(get(url + "?x=1")[0] == 200, "GET /metrics?x=1 is not 200")
    import socket
    for req, want in ((b"GET /metrics HTTP/1.0\n\n", b"HTTP/1.1 200 "),
                      (b"garbage\r\n\r\n", b"HTTP/1.1 400 "),
                      (b"a" * 9000, b"HTTP/1.1 431 ")):
        s = socket.create_connection((mip, MPORT), timeout=5)
        s.sendall(req)
        got = s.recv(64)
        s.close()
        check(got.startswith(want), "%r... -> %r, want %r" % (req[:20], got, want))
    log("ok: 404 for other paths, 405 for POST, HEAD without body, 400 garbage, "
        "431 oversize head, bare-LF request accepted")

    before = samples(get(url)[2])
    before_all = {a.name: samples(a.ctl("metrics").stdout) for a in agents[:N - 1]}
    victim = agents[N - 1]
    victim.kill(signal.SIGKILL)
    fkey = 'meshfed_members{pool="wan",status="failed"}'
    check(before.get(fkey) == 0, "failed before the kill: %r" % before.get(fkey))
    wait_for(lambda: samples(get(url)[2]).get(fkey) == 1, 30, "failed members to reach 1")
    after = samples(get(url)[2])
    pf = 'meshfed_probe_failures_total{pool="wan"}'
    # Some survivor's probe of the victim failed (that is what suspects it),
    # not necessarily the scraped agent's: it may learn the death by gossip.
    pf_before = sum(before_all[a.name].get(pf, 0) for a in agents[:N - 1])
    pf_after = sum(samples(a.ctl("metrics").stdout).get(pf, 0) for a in agents[:N - 1])
    check(pf_after > pf_before, "probe failures (all survivors) did not rise: %r -> %r"
          % (pf_before, pf_after))
    for k in ('meshfed_probes_total{pool="wan"}', 'meshfed_received_bytes_total{pool="wan"}'):
        check(after[k] > before[k], "%s did not rise: %r -> %r" % (k, before[k], after[k]))
    check(after['meshfed_members{pool="wan",status="alive"}'] == N - 1, "alive after the kill")
    for k in ('meshfed_suspicions_total{pool="wan"}', 'meshfed_deaths_total{pool="wan"}'):
        check(after[k] > before[k], "%s did not rise: %r -> %r" % (k, before[k], after[k]))
    check(after['meshfed_routing_routes{status="local"}'] == 1, "one local route")
    for k in ('meshfed_routing_advert_received_bytes_total',
              'meshfed_routing_advert_sent_bytes_total'):
        check(after[k] > 0, "%s is %r" % (k, after[k]))
    for k in ('membership', 'user'):
        check('meshfed_broadcast_queue_depth{pool="wan",kind="%s"}' % k in after,
              "broadcast queue depth (%s) exported" % k)
    # the serf glue's queue bound (serf's checkQueueDepth): in info and exported
    pruned = agents[0].info()["serf"].get("intents_pruned")
    check(pruned is not None, "meshfed info's serf has no intents_pruned")
    check(after.get('meshfed_serf_intents_pruned_total{pool="wan"}') == pruned,
          "serf intents pruned: metric %r, info %r" % (
              after.get('meshfed_serf_intents_pruned_total{pool="wan"}'), pruned))
    agents[0].ctl("reload")
    check(samples(get(url)[2])['meshfed_config_reloads_total{result="ok"}'] == 1,
          "a reload counted")
    log("ok: SIGKILL %s -> failed 0 -> 1, suspicions and deaths rise, probe failures %g -> %g; "
        "routes by status, advert bytes, queue depth, reloads exported" % (
        victim.name, before[pf], after[pf]))

    gateway_metrics(c, agents[0], promtool)
    prometheus_scrape(c, "%s:%d" % (mip, MPORT), mip)


run(main)
