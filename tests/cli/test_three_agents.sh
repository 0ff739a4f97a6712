#!/usr/bin/env bash
# tests/cli/test_three_agents.sh MESHFED — three real agents on 127.0.60.1-3
# (profile local): they join, list each other with tags, `meshfed join`,
# `meshfed info`, `meshfed leave` and SIGTERM each end in a graceful leave.
set -u
M=$1
dir=$(mktemp -d /tmp/meshfed-cli-3.XXXXXX)
declare -A pid
cleanup() { for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for n in a1 a2 a3 a4; do echo "--- $n"; tail -5 "$dir/$n.log"; done; exit 1; }

start() { # name ip [join]
  local args=(agent -node "$1" -bind "$2:7946" -profile local -control "$dir/$1.sock"
              -route-socket "$dir/$1-routes.sock")
  [ -n "${3:-}" ] && args+=(-join "$3:7946")
  "$M" "${args[@]}" -tag "name=$1" 2>"$dir/$1.log" &
  pid[$1]=$!
  for _ in $(seq 50); do [ -S "$dir/$1.sock" ] && return; sleep 0.1; done
  fail "$1 did not create its control socket"
}
# status NAME AS-SEEN-BY
status() {
  "$M" members -format json -control "$dir/$2.sock" 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["name"] == sys.argv[1]: print(m["status"])' "$1"
}
wait_status() { # name seen-by status seconds
  for _ in $(seq $(( $4 * 10 ))); do [ "$(status "$1" "$2")" = "$3" ] && return 0; sleep 0.1; done
  fail "$2 does not see $1 $3 after $4 s (sees: $(status "$1" "$2"))"
}

start a1 127.0.60.1
start a2 127.0.60.2 127.0.60.1
start a3 127.0.60.3
for a in a1 a2; do for b in a1 a2; do wait_status $b $a alive 10; done; done
echo "ok: a2 joined a1 with -join"

out=$("$M" join 127.0.60.1 -control "$dir/a3.sock") || fail "meshfed join failed"
echo "$out" | grep -q "contacting 1 nodes" || fail "join output: $out"
for a in a1 a2 a3; do for b in a1 a2 a3; do wait_status $b $a alive 10; done; done
echo "ok: meshfed join: all three list each other alive"

"$M" members -format json -control "$dir/a1.sock" | python3 -c '
import json, sys
ms = {m["name"]: m for m in json.load(sys.stdin)}
m = ms["a3"]
assert m["addr"] == "127.0.60.3" and m["port"] == 7946, m
assert m["tags"] == {"dc": "dc1", "role": "meshfed", "name": "a3"}, m["tags"]
assert set(ms) == {"a1", "a2", "a3"}, ms
' || fail "members json of a1"
echo "ok: members -format json carries addr, port, status and tags"
n=$("$M" members -status alive -control "$dir/a2.sock" | wc -l)
[ "$n" -eq 3 ] || fail "members -status alive table has $n lines"
echo "ok: members table, filtered by status"

"$M" info -format json -control "$dir/a1.sock" | python3 -c '
import json, sys
i = json.load(sys.stdin)
for k in ("bad_packets", "bad_by_cause", "udp_in", "udp_out", "probes", "suspicions",
          "refutations", "health_score", "members"):
    assert k in i, k
assert i["members"]["alive"] == 3, i["members"]
assert i["udp_in"] > 0 and i["probes"] > 0, i
' || fail "info json"
"$M" info -control "$dir/a1.sock" | grep -q "^bad_packets = " || fail "info text"
echo "ok: info (json and text)"

start a4 127.0.60.4 127.0.60.1
wait_status a4 a2 alive 10
kill -KILL "${pid[a4]}"; wait "${pid[a4]}" 2>/dev/null; unset "pid[a4]"
wait_status a4 a1 failed 20
wait_status a4 a2 failed 5
"$M" force-leave a4 -control "$dir/a1.sock" || fail "force-leave a4"
wait_status a4 a1 left 2
wait_status a4 a2 left 5
echo "ok: SIGKILL -> failed; force-leave on a1 -> a1 and a2 (by its leave intent) mark it left"

"$M" leave -control "$dir/a3.sock" >/dev/null || fail "meshfed leave returned non-zero"
for _ in $(seq 50); do kill -0 "${pid[a3]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${pid[a3]}" 2>/dev/null && fail "a3 still running after meshfed leave"
wait "${pid[a3]}"; rc=$?; [ $rc -eq 0 ] || fail "a3 exited $rc"
wait_status a3 a1 left 5
[ -e "$dir/a3.sock" ] && fail "a3 left its control socket behind"
echo "ok: meshfed leave: a3 exits 0, removes its socket, a1 sees it left"

kill -TERM "${pid[a2]}"
for _ in $(seq 100); do kill -0 "${pid[a2]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${pid[a2]}" 2>/dev/null && fail "a2 still running 10 s after SIGTERM"
wait "${pid[a2]}"; rc=$?; [ $rc -eq 0 ] || fail "a2 exited $rc after SIGTERM"
wait_status a2 a1 left 5
grep -q "member left: a3" "$dir/a1.log" || fail "a1 did not log a3 leaving"
echo "ok: SIGTERM: a2 leaves gracefully, exits 0; a1 logs membership events"
kill -TERM "${pid[a1]}"; wait "${pid[a1]}"; rc=$?; [ $rc -eq 0 ] || fail "a1 (alone) exited $rc"
echo "ok: the last agent leaves an empty pool and exits 0"
echo "three agents: all ok"
