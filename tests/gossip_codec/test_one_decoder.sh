#!/bin/sh
# Every byte from a peer enters msgpack-c through gossip/mp.h's checked entry
# (mf_mp_unpack): no other source file may call msgpack-c's unpacker.
root="${1:?usage: test_one_decoder.sh SOURCE_ROOT}"
cd "$root" || exit 2
hits=$(grep -rlE 'msgpack_unpack(_next|er_)|msgpack_unpack\(' --include='*.c' --include='*.h' \
	gossip coord routing cmd gateway 2>/dev/null | grep -v '^gossip/mp\.[ch]$')
if [ -n "$hits" ]; then
	echo "msgpack-c unpacker called outside gossip/mp.c (use mf_mp_unpack):"
	echo "$hits"
	exit 1
fi
echo "ok: only gossip/mp.c unpacks"
