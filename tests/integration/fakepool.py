"""tests/integration/fakepool.py — N members for one real agent, answered
by one Python process (issue 12: what an agent holds per member, and what
it spends per member at idle, measured on one agent instead of a pool of
N agents, which needs the whole machine).

The members are UDP sockets on one loopback address, one port each. They
reach the agent by one push-pull stream (their node states, with serf
tags, and a serf user state naming each of them), then answer every ping
the agent sends them with an ack carrying a coordinate (serf's ping
payload), so the agent sees N alive members that keep answering: its
member table, serf glue, coordinate cache and routing hold N members as
in a real pool. The members do not probe the agent or gossip to it, so
what the agent spends is its own part of a pool's idle work (the same
per agent whatever N is, or not: that is the point of measuring it).

Nothing here needs the agent to be encrypted; the agent must run without
a key.
"""
import random
import resource
import selectors
import socket
import struct
import threading

import mfwire as w

PORT = 7946


def unpack(b, i=0):
    """(value, next offset) of the msgpack value at b[i] (the subset that
    memberlist messages use)."""
    t = b[i]
    i += 1
    if t <= 0x7f:
        return t, i
    if t >= 0xe0:
        return t - 0x100, i
    if 0x80 <= t <= 0x8f:
        return _map(b, i, t & 0x0f)
    if 0x90 <= t <= 0x9f:
        return _arr(b, i, t & 0x0f)
    if 0xa0 <= t <= 0xbf:
        n = t & 0x1f
        return bytes(b[i:i + n]), i + n
    if t == 0xc0:
        return None, i
    if t in (0xc2, 0xc3):
        return t == 0xc3, i
    fixed = {0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b", 0xd1: ">h",
             0xd2: ">i", 0xd3: ">q", 0xca: ">f", 0xcb: ">d"}
    if t in fixed:
        f = fixed[t]
        n = struct.calcsize(f)
        return struct.unpack_from(f, b, i)[0], i + n
    lens = {0xc4: ">B", 0xc5: ">H", 0xc6: ">I", 0xd9: ">B", 0xda: ">H", 0xdb: ">I"}
    if t in lens:
        f = lens[t]
        i2 = i + struct.calcsize(f)
        n = struct.unpack_from(f, b, i)[0]
        return bytes(b[i2:i2 + n]), i2 + n
    if t in (0xdc, 0xdd):
        f = ">H" if t == 0xdc else ">I"
        n = struct.unpack_from(f, b, i)[0]
        return _arr(b, i + struct.calcsize(f), n)
    if t in (0xde, 0xdf):
        f = ">H" if t == 0xde else ">I"
        n = struct.unpack_from(f, b, i)[0]
        return _map(b, i + struct.calcsize(f), n)
    raise ValueError("msgpack type 0x%02x" % t)


def _map(b, i, n):
    d = {}
    for _ in range(n):
        k, i = unpack(b, i)
        v, i = unpack(b, i)
        d[k] = v
    return d, i


def _arr(b, i, n):
    a = []
    for _ in range(n):
        v, i = unpack(b, i)
        a.append(v)
    return a, i


def messages(pkt):
    """The memberlist messages of one datagram (compound and CRC opened)."""
    if not pkt:
        return []
    t = pkt[0]
    if t == w.HAS_CRC:
        return messages(pkt[5:])
    if t == w.COMPOUND:
        n = pkt[1]
        lens = struct.unpack_from(">%dH" % n, pkt, 2)
        out, off = [], 2 + 2 * n
        for ln in lens:
            out += messages(pkt[off:off + ln])
            off += ln
        return out
    return [pkt]


class FakePool:
    """n members named prefix0000.., at ip, ports base_port + i."""

    def __init__(self, ip, n, base_port=21000, prefix="f", dc="dc1", seed=1):
        self.ip, self.n, self.base_port = ip, n, base_port
        self.names = ["%s%04d" % (prefix, i) for i in range(n)]
        self.dc = dc
        rnd = random.Random(seed)
        # Coordinates a few ms apart, as on one LAN.
        self.coords = [tuple(rnd.uniform(-0.002, 0.002) for _ in range(8)) for _ in range(n)]
        self.pings = 0
        self.stop = threading.Event()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 256:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))
        self.sel = selectors.DefaultSelector()
        self.socks = []
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((ip, base_port + i))
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, i)
            self.socks.append(s)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def meta(self, i):
        return w.tags(dc=self.dc, role="meshfed")

    def node_states(self):
        return [w.node_state(self.names[i], self.ip, port=self.base_port + i, meta=self.meta(i))
                for i in range(self.n)]

    def serf_state(self, ltime=2):
        return b"\x02" + w.pack({"EventLTime": 1, "Events": [], "LTime": ltime,
                                 "LeftMembers": [], "QueryLTime": 1,
                                 "StatusLTimes": {nm: ltime for nm in self.names}})

    def push_pull(self, agent_ip, timeout=30):
        """Hands every member to the agent by one push-pull stream (from
        member 0's address) and reads its answer."""
        data = w.push_pull(self.node_states(), self.serf_state(), join=True)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.bind((self.ip, 0))
        s.connect((agent_ip, PORT))
        try:
            s.sendall(data)
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
        finally:
            s.close()

    def adverts(self, agent_ip, seq=1):
        """Each member gossips its routing state once (a full state of one
        fragment, as a meshfed server of the DC sends), straight to the
        agent: it keeps what a node keeps per server heard."""
        for i, nm in enumerate(self.names):
            adv = w.advert(self.dc, nm, seq, [self.dc], [])
            self.socks[i].sendto(w.user(w.advert_msg(adv)), (agent_ip, PORT))

    def announce(self, agent_ip):
        """Each member announces its coordinate once (coord/tracker.h), as
        meshfed agents do when theirs moves: the agent's coordinate cache
        then holds every member, as in a real pool."""
        for i, nm in enumerate(self.names):
            p = w.coord_payload(vec=self.coords[i], error=0.2)
            self.socks[i].sendto(w.user(w.announce(nm, p)), (agent_ip, PORT))

    def _serve(self):
        while not self.stop.is_set():
            for key, _ in self.sel.select(0.2):
                s, i = key.fileobj, key.data
                try:
                    pkt, src = s.recvfrom(65536)
                except OSError:
                    continue
                for m in messages(pkt):
                    if m[0] != w.PING:
                        continue
                    try:
                        body, _ = unpack(m, 1)
                    except (ValueError, IndexError, struct.error):
                        continue
                    self.pings += 1
                    ack = w.msg(w.ACK, {"SeqNo": body.get(b"SeqNo", 0),
                                        "Payload": w.coord_payload(vec=self.coords[i],
                                                                   error=0.2)})
                    try:
                        s.sendto(ack, src)
                    except OSError:
                        pass

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for s in self.socks:
            self.sel.unregister(s)
            s.close()
        self.sel.close()
