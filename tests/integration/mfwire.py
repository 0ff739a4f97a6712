"""Builds memberlist / serf / meshfed wire messages in Python, as go-msgpack
writes them (gossip/codec.h, gossip/serf.h, coord/tracker.h): what the
hostile-peer tests send and what tests/fuzz/make_corpus.py seeds with.
Encryption (gossip/crypto.h) needs python3-cryptography."""
import base64
import os
import struct
import zlib

PING, INDIRECT_PING, ACK, SUSPECT, ALIVE, DEAD, PUSH_PULL, COMPOUND, USER, \
    COMPRESS, ENCRYPT, NACK, HAS_CRC, ERR = range(14)
SERF_PUSH_PULL = 2
MESHFED = 0xc8          # gossip/serf.h MF_SERF_MSG_MESHFED
ADVERT = 1              # routing/node.h MF_ROUTING_NODE_MSG_ADVERT
ANNOUNCE = 2            # coord/tracker.h MF_COORD_TRACKER_MSG_ANNOUNCE
SERF_VSN = bytes([1, 5, 2, 2, 5, 5])


class Raw(bytes):
    """Bytes written into a packed value as they are."""


class Bin(bytes):
    """Bytes packed as msgpack bin (meshfed's own fields; go-msgpack never)."""


def pack(v):
    """msgpack as go-msgpack writes it: str for strings and bytes (never
    bin), smallest integers, float64, maps in the order given."""
    if isinstance(v, Raw):
        return bytes(v)
    if isinstance(v, Bin):
        n = len(v)
        head = b"\xc4" + bytes([n]) if n < 256 else (
            b"\xc5" + struct.pack(">H", n) if n < 1 << 16 else b"\xc6" + struct.pack(">I", n))
        return head + bytes(v)
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v < 256:
            return b"\xcc" + bytes([v])
        if 0 <= v < 1 << 16:
            return b"\xcd" + struct.pack(">H", v)
        if 0 <= v < 1 << 32:
            return b"\xce" + struct.pack(">I", v)
        if 0 <= v:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, (bytes, bytearray)):
        n = len(v)
        if n < 32:
            return bytes([0xa0 | n]) + bytes(v)
        if n < 1 << 16:
            return b"\xda" + struct.pack(">H", n) + bytes(v)
        return b"\xdb" + struct.pack(">I", n) + bytes(v)
    if isinstance(v, (list, tuple)):
        n = len(v)
        head = bytes([0x90 | n]) if n < 16 else (
            b"\xdc" + struct.pack(">H", n) if n < 1 << 16 else b"\xdd" + struct.pack(">I", n))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        head = bytes([0x80 | n]) if n < 16 else (
            b"\xde" + struct.pack(">H", n) if n < 1 << 16 else b"\xdf" + struct.pack(">I", n))
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def msg(t, body):
    return bytes([t]) + pack(body)


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def ping(seq, node, src_ip=None, src_port=None, src_node=None):
    b = {"Node": node, "SeqNo": seq}
    if src_ip:
        b = {"Node": node, "SeqNo": seq, "SourceAddr": ip4(src_ip), "SourceNode": src_node or "",
             "SourcePort": src_port}
    return msg(PING, b)


def tags(**kv):
    return b"\xff" + pack(kv)


def alive(node, inc, ip, port=7946, meta=None, vsn=SERF_VSN):
    return msg(ALIVE, {"Addr": ip4(ip), "Incarnation": inc,
                       "Meta": meta if meta is not None else tags(role="", dc="dc1"),
                       "Node": node, "Port": port, "Vsn": vsn})


def dead(node, inc, frm):
    return msg(DEAD, {"From": frm, "Incarnation": inc, "Node": node})


def suspect(node, inc, frm):
    return msg(SUSPECT, {"From": frm, "Incarnation": inc, "Node": node})


def user(payload):
    return bytes([USER]) + payload


def compound(msgs):
    assert len(msgs) < 256
    return (bytes([COMPOUND, len(msgs)]) + b"".join(struct.pack(">H", len(m)) for m in msgs) +
            b"".join(msgs))


def crc(m):
    return bytes([HAS_CRC]) + struct.pack(">I", zlib.crc32(m)) + m


def compress(lzw_bytes):
    return msg(COMPRESS, {"Algo": 0, "Buf": lzw_bytes})


def push_pull(nodes, user_state=b"", join=False, user_state_len=None, n_nodes=None):
    """nodes: list of dicts (pushNodeState fields)."""
    head = {"Join": join, "Nodes": len(nodes) if n_nodes is None else n_nodes,
            "UserStateLen": len(user_state) if user_state_len is None else user_state_len}
    return msg(PUSH_PULL, head) + b"".join(pack(n) for n in nodes) + user_state


def node_state(name, ip, inc=1, state=0, port=7946, meta=None):
    return {"Addr": ip4(ip), "Incarnation": inc, "Meta": meta if meta is not None else tags(dc="dc1"),
            "Name": name, "Port": port, "State": state, "Vsn": SERF_VSN}


def lzw_compress(data):
    """Go compress/lzw, LSB order, literal width 8 (the writer's algorithm
    without its hash table: same codes)."""
    CLEAR, EOF = 256, 257
    out, acc, nbits = bytearray(), 0, 0
    width, hi, table = 9, EOF, {}

    def emit(code):
        nonlocal acc, nbits
        acc |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(acc & 0xff)
            acc >>= 8
            nbits -= 8

    emit(CLEAR)
    if not data:
        emit(EOF)
        if nbits:
            out.append(acc & 0xff)
        return bytes(out)
    saved = data[0]
    for b in data[1:]:
        key = (saved, b)
        if key in table:
            saved = table[key]
            continue
        emit(saved)
        saved = b
        hi += 1
        if hi >= 1 << width:
            if width == 12:
                emit(CLEAR)
                width, hi, table = 9, EOF, {}
                continue
            width += 1
        table[key] = hi
    emit(saved)
    hi += 1
    if hi >= 1 << width and width < 12:
        width += 1
    emit(EOF)
    if nbits:
        out.append(acc & 0xff)
    return bytes(out)


def coord_payload(vec=(0.0,) * 8, error=1.5, height=1e-5, adjustment=0.0):
    """serf's ack payload: ping version 1 + coordinate (coord/wire.h)."""
    return b"\x01" + pack({"Adjustment": float(adjustment), "Error": float(error),
                           "Height": float(height), "Vec": [float(x) for x in vec]})


def announce(node, payload):
    """coord/tracker.h announcement, a serf user message."""
    return bytes([MESHFED, ANNOUNCE]) + pack(node) + payload


def advert(origin, node, seq, names, routes, transit=True, frag=(0, 1), gateways=None):
    """routing/advert.h, one fragment; routes: [target idx, 0.1 ms, epoch, hops...]."""
    a = {"v": 1, "o": origin, "n": node, "q": seq, "x": transit, "f": list(frag),
         "d": names, "r": routes}
    if gateways is not None:
        a["g"] = gateways
    return pack(a)


def advert_msg(adv):
    return bytes([MESHFED, ADVERT]) + adv


def key_bytes(b64):
    return base64.b64decode(b64)


def seal_packet(key_b64, m):
    """[1][nonce 12][AES-256-GCM ciphertext + tag], no AAD (UDP)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key_bytes(key_b64)).encrypt(nonce, m, None)


def seal_stream(key_b64, m):
    """[10][len u32 BE][1][nonce][ciphertext + tag], AAD = first 5 bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    nonce = os.urandom(12)
    n = 1 + 12 + len(m) + 16
    aad = bytes([ENCRYPT]) + struct.pack(">I", n)
    return aad + b"\x01" + nonce + AESGCM(key_bytes(key_b64)).encrypt(nonce, m, aad)
