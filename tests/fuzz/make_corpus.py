#!/usr/bin/python3
"""Writes the seed corpora tests/fuzz/corpus/<target>/ (committed; rerun
after changing a wire format). Sources: the captured serf packets
(tests/gossip_codec/fixtures, copied from shared/data/serf-captures), the
coordinate, topology, route and gateway fixtures, the examples in docs/,
messages built with tests/integration/mfwire.py, and the attack bytes of
issue 11, every packet of the serf captures in tests/fuzz/captures.
Usage: tests/fuzz/make_corpus.py"""
import glob
import hashlib
import json
import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import mfwire as w  # noqa: E402
sys.path.insert(0, os.path.join(TOP, "tests", "gossip_codec", "fixtures"))
import pcapdump  # noqa: E402

SEP = b"\n--mf--\n"  # tests/fuzz/fuzz.h MF_FUZZ_SEP
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")
FIX = os.path.join(TOP, "tests", "gossip_codec", "fixtures")
CAPTURES = os.path.join(TOP, "tests", "fuzz", "captures")


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def put(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def pieces(*ps):
    return SEP.join(ps)


UDP_FIX = ["ping.bin", "ack_coord.bin", "crc_compress_compound.bin",
           "crc_compress_compound4.bin", "crc_alive.bin", "crc_compound.bin",
           "crc_user_join.bin", "compress_ack.bin"]
ENC_UDP_FIX = ["enc_ping.bin", "enc_ack.bin"]
STREAM_FIX = ["pushpull_join_req.bin", "pushpull_join_resp.bin"]
ENC_STREAM_FIX = ["enc_stream_req.bin", "enc_stream_resp.bin"]

COORD = w.coord_payload([1e-4 * i for i in range(8)])
SERF_JOIN = bytes([1]) + w.pack({"LTime": 2, "Node": "u4"})
SERF_PP = bytes([2]) + w.pack({"EventLTime": 1, "Events": [], "LTime": 3, "LeftMembers": ["x"],
                               "QueryLTime": 1, "StatusLTimes": {"u2": 1, "u3": 2}})
ADV = w.advert("dc2", "dc2-s1", 5, ["dc2", "dc3", "dc4"], [[1, 412, 7], [2, 1530, 9, 1]],
               gateways=[["dc2-g1", "10.2.0.5:8443", "203.0.113.2:8443",
                          {"dc:dc3": "198.51.100.2:8443"}]])

# Issue 11's attack bytes, as given.
ATTACK_ANNOUNCE = bytes.fromhex("08c802dd7fffffff")
ATTACK_PP = (bytes([6]) + b"\x83\xa4Join\xc2\xa5Nodes\x00\xacUserStateLen\x06" +
             bytes.fromhex("02dd7fffffff"))
ATTACK_PP_HUGE = w.push_pull([], n_nodes=19000000)


def captured(name):
    """Every UDP payload and every reassembled TCP stream of a capture."""
    path = os.path.join(CAPTURES, name)
    return ([p[3] for p in pcapdump.udp(path)],
            [b for _, _, b in pcapdump.tcp_streams(path)])


def messages():
    """One of every memberlist message type, type byte first."""
    return [w.ping(1, "me"), w.ping(2, "me", "127.0.0.9", 9999, "x"),
            w.msg(w.INDIRECT_PING, {"Node": "b", "Nack": True, "Port": 7946, "SeqNo": 3,
                                    "Target": w.ip4("127.0.0.2")}),
            w.msg(w.ACK, {"Payload": COORD, "SeqNo": 1}), w.msg(w.NACK, {"SeqNo": 4}),
            w.msg(w.ERR, {"Error": "no"}), w.suspect("a", 3, "b"),
            w.alive("a", 1, "127.0.0.2"), w.dead("a", 0xffffffff, "b"), w.dead("me", 9, "me"),
            w.user(SERF_JOIN), w.compound([w.ping(5, "me"), w.alive("c", 2, "127.0.0.3")]),
            w.crc(w.alive("d", 1, "127.0.0.4")),
            w.compress(w.lzw_compress(w.alive("e", 1, "127.0.0.5"))),
            w.push_pull([w.node_state("a", "127.0.0.2")], SERF_PP),
            bytes([w.USER]) + w.pack({"UserMsgLen": 3}) + b"abc",
            ATTACK_ANNOUNCE, ATTACK_PP, ATTACK_PP_HUGE]


def main():
    # Generated seeds are named by hash; others (findings kept as
    # regression seeds, e.g. routing_node/ubsan-null-hops-engine-784) stay.
    for f in glob.glob(os.path.join(OUT, "*", "*")):
        if re.fullmatch(r"[0-9a-f]{16}", os.path.basename(f)):
            os.remove(f)
    msgs = messages()
    for m in msgs:
        put("msg", m)
    for f in UDP_FIX + STREAM_FIX:
        put("msg", fixture(f))
    # packets: captures, built ones, attacks (1.9 KB of LZW expanding far).
    big = w.compress(w.lzw_compress(b"\x00" * 60000))
    flood = w.compound([w.alive("n%d" % i, 1, "127.1.%d.%d" % (i // 250, i % 250 + 1))
                        for i in range(40)])
    pings = w.compound([w.ping(i, "me", "127.0.0.9", 9, "x") for i in range(20)])
    for p in [fixture(f) for f in UDP_FIX] + msgs[:14] + [big, flood, pings]:
        put("packet", p)
        put("packet_enc", b"\x00" + p)
    for f in ENC_UDP_FIX:
        put("packet_enc", b"\x01" + fixture(f))
    # every packet serf sent in the captures (duplicates collapse by name).
    plain_udp, plain_tcp = [], []
    for cap in ["plain.pcap", "plain2.pcap"]:
        u, t = captured(cap)
        plain_udp += u
        plain_tcp += t
    enc_udp, _ = captured("enc.pcap")
    _, enc_tcp = captured("enc_tcp.pcap")
    for p in plain_udp:
        put("packet", p)
        put("packet_enc", b"\x00" + p)
    for p in enc_udp:
        put("packet_enc", b"\x01" + p)
    for b in plain_tcp:
        put("stream", b"\x00" + b)
        put("msg", b)
    for b in enc_tcp:
        put("stream", b"\x01" + b)
    put("packet_enc", b"\x01" + fixture("ping.bin"))  # plaintext into an encrypted pool
    # lzw: code streams and plain data (the target round-trips its input).
    for m in msgs[:6] + [b"\x00" * 3000, bytes(range(256)) * 4]:
        put("lzw", w.lzw_compress(m))
    for f in ["compress_ack.bin"]:
        put("lzw", fixture(f)[1:])
    # streams: mode byte (tests/fuzz/fuzz_stream.c) then the stream.
    pp = w.push_pull([w.node_state("a", "127.0.0.2"), w.node_state("b", "127.0.0.3")], SERF_PP)
    for f in STREAM_FIX:
        put("stream", b"\x00" + fixture(f))
        put("stream", b"\x16" + fixture(f)[:1] + fixture(f)[1:])
    for f in ENC_STREAM_FIX:
        put("stream", b"\x01" + fixture(f))
    for m in [pp, ATTACK_PP, ATTACK_PP_HUGE, w.ping(1, "me"),
              bytes([w.USER]) + w.pack({"UserMsgLen": 3}) + b"abc"]:
        put("stream", b"\x00" + m)
        put("stream", b"\x02" + m)
    # the pool: [enc?] then pieces, each [kind] + bytes.
    me_dead = w.dead("me", 0xffffffff, "x")
    put("pool", b"\x00" + pieces(*[b"\x00" + fixture(f) for f in UDP_FIX]))
    put("pool", b"\x00" + pieces(b"\x00" + w.alive("a", 1, "127.0.0.2"), b"\x00" + me_dead,
                                 b"\x00" + w.alive("me", 0xffffffff, "127.0.0.9"),
                                 b"\x00" + w.suspect("a", 2, "b"), b"\x01" + pp,
                                 b"\x00" + flood, b"\x00" + pings, b"\x04"))
    put("pool", b"\x00" + pieces(b"\x01" + ATTACK_PP, b"\x00" + ATTACK_ANNOUNCE,
                                 b"\x00" + big, b"\x01" + fixture("pushpull_join_req.bin")))
    put("pool", b"\x00" + pieces(*[b"\x00" + p for p in plain_udp[:60]]))
    put("pool", b"\x00" + pieces(*[b"\x01" + b for b in plain_tcp]))
    put("pool", b"\x01" + pieces(*[b"\x00" + p for p in enc_udp],
                                 *[b"\x01" + b for b in enc_tcp]))
    put("pool", b"\x01" + pieces(*[b"\x00" + fixture(f) for f in ENC_UDP_FIX],
                                 b"\x01" + fixture("enc_stream_req.bin"),
                                 b"\x02" + w.alive("a", 1, "127.0.0.2"), b"\x03" + pp,
                                 b"\x02" + me_dead, b"\x00" + fixture("ping.bin")))
    # serf: [0] tags, [1] a serf message, [2] pieces to the glue.
    for m in [w.tags(role="", dc="dc1"), b"\xff\x80", b"legacy-role",
              w.tags(**{"k%d" % i: "v" * i for i in range(10)})]:
        put("serf", b"\x00" + m)
    leave = bytes([0]) + w.pack({"LTime": 4, "Node": "u3", "Prune": False})
    for m in [SERF_JOIN, SERF_PP, leave, fixture("crc_user_join.bin")[6:]]:
        put("serf", b"\x01" + m)
    put("serf", b"\x02" + pieces(b"\x00" + SERF_JOIN, b"\x00" + leave, b"\x01" + SERF_PP,
                                 b"\x03" + SERF_PP, b"\x00" + bytes([4]) + b"\x80"))
    put("serf", b"\x02" + pieces(b"\x01" + fixture("pushpull_join_resp.bin")[1:]))
    # coordinates: serf's captured ack payloads.
    with open(os.path.join(TOP, "tests", "coord", "fixtures", "serf_ack_payloads.txt")) as f:
        payloads = [bytes.fromhex(l.split()[1]) for l in f if l[0].isdigit()]
    for p in payloads[:6] + [COORD, w.coord_payload([], 0.5)]:
        put("coord_wire", p)
    for p in payloads[:3]:
        put("coord_announce", pieces(b"\x00" + w.announce("peer1", p),
                                     b"\x01\x00\x14" + p, b"\x02\x00\x20" + payloads[-1]))
    put("coord_announce", pieces(b"\x00" + ATTACK_ANNOUNCE[1:],
                                 b"\x00" + w.announce("me", COORD)))
    # adverts and the routing node.
    adv2 = w.advert("dc3", "dc3-s1", 9, ["dc3", "dc1", "dc2"], [[1, 99, 1, 2], [2, 10, 4]],
                    transit=False, frag=(1, 2))
    put("advert", pieces(ADV, adv2))
    put("advert", pieces(w.advert("dc3", "dc3-s1", 9, ["dc3"], [], frag=(0, 2)), adv2,
                         ADV + adv2))
    many = w.advert("dc9", "dc9-s1", 1, ["dc9"] + ["x%d" % i for i in range(200)],
                    [[i, 10, 1] for i in range(1, 201)])
    put("advert", many)
    # the in-place reader: one message each (ours, with gateways, a delta).
    for m in (ADV, adv2, many,
              w.advert("dc1", "dc1-s1", 3, ["dc1", "dc2"], [[0, 0, 3], [1, 52, 4]],
                       gateways=[["dc1-g1", "10.1.0.5:8443", "", {"dc:dc2": "198.51.100.5:8443"}]]),
              w.pack({"v": 2, "b": 4, "w": [1], "o": "dc1", "n": "dc1-s1", "q": 5, "x": True,
                      "f": [0, 1], "d": ["dc1", "dc2", "dc3"], "r": [[2, 77, 1, 1]]}),
              # a version-3 delta (route29): the base as "c" = q - base
              w.pack({"v": 3, "c": 1, "w": [1], "s": True, "o": "dc1", "n": "dc1-s1", "q": 5,
                      "d": ["dc1", "dc2", "dc3"], "r": [[2, 77, 1, 1]]})):
        put("advert_read", m)
    pp_routes = bytes([2]) + w.pack({"LTime": 1, "MeshfedRoutes": w.Bin(ADV)})
    put("routing_node", pieces(b"\x00" + w.advert_msg(ADV), b"\x02", b"\x01" + pp_routes, b"\x02"))
    put("routing_node", pieces(b"\x00" + w.advert_msg(many), b"\x00" + w.advert_msg(adv2), b"\x02",
                               b"\x00" + w.advert_msg(w.advert("dc1", "dc7-s1", 1 << 62, ["dc1", "dc7"],
                                                               [[1, 10, 1]])), b"\x02"))
    # route socket, control, config: the examples in docs/.
    lines = json_examples(os.path.join(TOP, "docs", "route-socket.md"))
    to_agent = {"ack", "nack", "resume", "subscribe", "register", "health"}
    requests = [l for l in lines if json.loads(l)["type"] in to_agent]
    for l in requests:
        put("route_request", l)
    put("route_client", pieces(*[l for l in lines if json.loads(l)["type"] not in to_agent]))
    # route_pub: [subscriber bit, action bits 1-3] + line (fuzz_route_pub.c).
    ack = [b'{"type":"ack","version":%d}' % v for v in (1, 2, 3)]
    put("route_pub", pieces(*[b"\x00" + l for l in requests]))
    put("route_pub", pieces(b"\x00" + ack[0], b"\x01" + ack[0], b"\x08", b"\x00" + ack[1],
                            b"\x0a", b"\x0a", b"\x0a", b"\x01" + ack[1], b"\x08", b"\x0c",
                            b"\x0f", b"\x01" + b'{"type":"resume","epoch":4242,"version":2}'))
    put("route_pub", pieces(*[b"\x01" + b"{bad" for _ in range(12)], b"\x0e", b"\x0f"))
    # control: a read-size byte (fuzz_control.c), then what the client sends.
    for cmd in ["info", "members", "routes", "rtt", "coords", "join", "leave", "force-leave"]:
        put("control", b"\xff" + json.dumps({"cmd": cmd, "pool": "lan", "a": "x", "b": "y",
                                              "addrs": ["127.0.0.1"]}).encode() + b"\n")
    put("control", b"\x00" + b'{"cmd":"info"}\n[1]\n{bad\n')
    put("control", b"\x03" + b'{"cmd":"members"}\n{"cmd":"rt\x00t"}\n\n  \n"x"\n{"cmd":')
    put("control", b"\xff" + b"{" * (64 * 1024 + 2) + b"\n")
    # config: the agent's and the gateway's examples, keyring files.
    for doc in ["cli.md", "routing.md"]:
        for c in json_blocks(os.path.join(TOP, "docs", doc)):
            if "node" in c or "dc" in c:
                put("config", c.encode())
    put("config", b'{"probe_interval": "500ms", "tags": {"a": "b"}, "encrypt": "%s"}' %
        b"DqDkO4b6d4vS6v2nibkrj7r2pyhrKiEOJV9JdbrzdnM=")
    put("config", json.dumps({
        "name": "gw-a", "dc": "dc2", "trust_domain": "example.test",
        "listen": ["127.0.0.1:1", "127.0.0.2:1"], "advertise": "127.0.0.9:1",
        "lan": "10.0.0.1:1", "tagged": {"dc:dc1": "127.0.0.8:1"},
        "services": {"web": ["127.0.0.1:80", "127.0.0.1:81"], "v1.api.prod": "127.0.0.1:90"},
        "route_socket": "/tmp/r.sock", "control": "/tmp/c.sock", "hello_timeout": 500,
        "connect_timeout": "3s", "max_conns": 50, "log_level": "debug"}).encode())
    key = open(os.path.join(FIX, "key.b64")).read().strip()
    put("config", json.dumps([key, key[:-2] + "A="]).encode())
    put("config", json.dumps([key] * 17).encode())
    for f in sorted(glob.glob(os.path.join(TOP, "tests", "*", "fixtures", "*.json"))):
        with open(f, "rb") as fh:
            put("topology", fh.read())
    # the gateway's decoders: their captured fixtures (clienthello's first
    # byte picks a read size).
    for f in sorted(glob.glob(os.path.join(TOP, "tests", "gateway", "fixtures", "*.bin"))):
        with open(f, "rb") as fh:
            b = fh.read()
        if os.path.basename(f).startswith("haproxy"):
            put("proxy_v2", b)
        else:
            put("clienthello", b"\x07" + b)
    # /metrics request heads: a read-size byte (fuzz_metrics_http.c), the head.
    for h in [b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9100\r\nAccept: */*\r\n\r\n",
              b"HEAD /metrics?x=1 HTTP/1.0\n\n", b"POST /metrics HTTP/1.1\r\n\r\n",
              b"GET / HTTP/1.1\r\n\r\n", b"GET /metrics\r\n\r\n",
              b"GET /metrics HTTP/1.1\r\n" + b"X-A: b\r\n" * 1000]:
        put("metrics_http", b"\xff" + h)
        put("metrics_http", b"\x00" + h)
    # SNI names: the forms gateway/sni.h takes, and near misses.
    for n in ["web.default.dc3.internal.example.test", "v2.web.default.dc3.internal.example.test",
              "WEB.Default.DC3.Internal.Example.TEST.", "a-b.x-1.9.internal.example.test",
              "web.default.dc3.internal.example.org", "web.default.dc3.query.example.test",
              "web..dc3.internal.example.test", "-web.default.dc3.internal.example.test",
              "a" * 63 + ".default.dc3.internal.example.test"]:
        put("sni", n.encode())


def json_examples(path):
    """Protocol lines of a doc: JSON objects starting with {"type", possibly
    over several lines, re-serialized as one line."""
    text = open(path).read()
    out = []
    for m in re.finditer(r'^\{"type"', text, re.M):
        buf = ""
        for line in text[m.start():].splitlines():
            buf += line
            try:
                out.append(json.dumps(json.loads(buf), separators=(",", ":")).encode())
                break
            except ValueError:
                continue
    return out


def json_blocks(path):
    out = []
    for m in re.finditer(r"```json\n(.*?)```", open(path).read(), re.S):
        try:
            out.append(json.dumps(json.loads(m.group(1))))
        except ValueError:
            pass
    return out


if __name__ == "__main__":
    main()
