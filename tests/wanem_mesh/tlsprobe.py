#!/usr/bin/python3
"""tests/wanem_mesh/tlsprobe.py — the TLS ends of a gateway test, run inside
an emulated host (`wanem exec HOST -- python3 tlsprobe.py ...`).

  tlsprobe.py serve IP PORT CERT KEY
      a TLS echo server (tests/integration/mfgateway.py's EchoServer) until
      killed;
  tlsprobe.py probe GATEWAY SNI CAFILE COUNT GAP_S TIMEOUT_S
      COUNT verified TLS connections (0: until killed) to SNI through the
      gateway at GATEWAY (IP:PORT), GAP_S apart; each sends one line and
      waits for its echo, then prints one JSON line:
        {"t0": start, "t1": end (CLOCK_MONOTONIC s, the same clock as the
         test's time.monotonic(): network namespaces share it),
         "ok": bool, "handshake_ms": TCP connect + TLS handshake,
         "echo_ms": the line's round trip, "version": "TLSv1.3",
         "error": text when not ok}.
"""
import json
import os
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mfgateway import EchoServer  # noqa: E402


def probe_once(gateway, name, ctx, timeout):
    host, port = gateway.rsplit(":", 1)
    out = {"t0": time.monotonic(), "ok": False}
    try:
        raw = socket.create_connection((host, int(port)), timeout=timeout)
        with ctx.wrap_socket(raw, server_hostname=name) as s:
            t_hs = time.monotonic()
            out["handshake_ms"] = (t_hs - out["t0"]) * 1e3
            out["version"] = s.version()
            line = b"meshfed over the WAN\n"
            s.sendall(line)
            got = b""
            while len(got) < len(line):
                d = s.recv(len(line) - len(got))
                if not d:
                    break
                got += d
            out["echo_ms"] = (time.monotonic() - t_hs) * 1e3
            out["ok"] = got == line
            if not out["ok"]:
                out["error"] = "echo %r" % got
    except (OSError, ssl.SSLError) as e:
        out["error"] = "%s: %s" % (type(e).__name__, e)
    out["t1"] = time.monotonic()
    return out


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "serve":
        EchoServer(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
        while True:
            time.sleep(3600)
    if len(sys.argv) != 8 or sys.argv[1] != "probe":
        sys.exit(__doc__)
    gateway, name, ca = sys.argv[2:5]
    count, gap, timeout = int(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
    ctx = ssl.create_default_context(cafile=ca)
    i = 0
    while count == 0 or i < count:
        if i:
            time.sleep(gap)
        print(json.dumps(probe_once(gateway, name, ctx, timeout)), flush=True)
        i += 1


if __name__ == "__main__":
    main()
