#!/usr/bin/env bash
# tests/cli/test_errors.sh MESHFED — every user error is ONE line on stderr
# and a non-zero exit (2: usage, 1: everything else); help exits 0.
# Uses 127.0.61.x only.
set -u
M=$1

# shellcheck source=expect.sh
. "$(dirname "$0")/expect.sh"

expect 2 'unknown flag -bogus' -- "$M" agent -bogus
expect 2 'needs a value' -- "$M" agent -node
expect 2 'unknown subcommand' -- "$M" frobnicate
expect 1 '-bind: "1.2.3" is not an IP:PORT' -- "$M" agent -bind 1.2.3
expect 1 '-profile: "fast"' -- "$M" agent -profile fast
expect 1 '-encrypt: key must decode to 32 bytes' -- "$M" agent -encrypt AAAAAAAAAAAAAAAAAAAAAA==
expect 1 '-encrypt: key is not valid base64' -- "$M" agent -encrypt '@@@'
expect 1 '-suspicion-mult' -- "$M" agent -suspicion-mult 0
expect 1 '-tag: tag "dc" is set by meshfed' -- "$M" agent -tag dc=x
echo '{"probe_interval": "soon"}' >"$dir/bad.json"
expect 1 'key "probe_interval": "soon" is not a positive duration' -- "$M" agent -config-file "$dir/bad.json"
echo '{"node": "x", "colour": "red"}' >"$dir/unknown.json"
expect 1 'key "colour": unknown key' -- "$M" agent -config-file "$dir/unknown.json"
expect 1 'no agent at .*nope.sock' -- "$M" members -control "$dir/nope.sock"
expect 1 'no agent at .*nope.sock' -- env MESHFED_CONTROL="$dir/nope.sock" "$M" info
expect 1 '-status: "sleepy"' -- "$M" members -status sleepy -control "$dir/nope.sock"
expect 1 '-format: "xml"' -- "$M" info -format xml
expect 2 'at least one address' -- "$M" join -control "$dir/nope.sock"
expect 1 '"nowhere" is not an IP:PORT' -- "$M" join nowhere -control "$dir/nope.sock"
expect 2 'exactly one node name' -- "$M" force-leave -control "$dir/nope.sock"
# Subcommands without positional arguments refuse one, before any request.
for sub in leave reload metrics info members coords routes monitor; do
  expect 2 "$sub: unexpected argument \"extra\"" -- "$M" "$sub" extra -control "$dir/nope.sock"
done
expect 2 'keygen: unexpected argument "extra"' -- "$M" keygen extra
expect 1 'leave: no agent at .*nope.sock' -- "$M" leave -control "$dir/nope.sock"
expect 1 'reload: no agent at .*nope.sock' -- "$M" reload -control "$dir/nope.sock"
expect 1 'metrics: no agent at .*nope.sock' -- "$M" metrics -control "$dir/nope.sock"

# A socket file nobody listens on: connection refused, one line.
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$dir/dead.sock"
expect 1 'no agent at .*dead.sock: Connection refused' -- "$M" members -control "$dir/dead.sock"

# Port taken: the second agent says so and exits 1 before creating its socket.
"$M" agent -node a -bind 127.0.61.1:7946 -profile local -control "$dir/a.sock" -route-socket "$dir/a-routes.sock" 2>"$dir/a.log" &
pids+=($!); disown
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.1; done
expect 1 'cannot bind 127.0.61.1:7946: address already in use' -- \
  "$M" agent -node b -bind 127.0.61.1:7946 -profile local -control "$dir/b.sock" -route-socket "$dir/b-routes.sock"
expect 1 'another agent is listening' -- \
  "$M" agent -node c -bind 127.0.61.2:7946 -profile local -control "$dir/a.sock"
expect 1 'no member named ghost' -- "$M" force-leave ghost -control "$dir/a.sock"
expect 1 'a is not failed' -- "$M" force-leave a -control "$dir/a.sock"
expect 1 'failed to join any of: 127.0.61.9' -- "$M" join 127.0.61.9 -control "$dir/a.sock"

# Help goes to stdout and exits 0.
for args in "--help" "agent -h" "members --help" "join -h" "info -help" "keygen -h"; do
  # shellcheck disable=SC2086
  if "$M" $args | grep -q "Usage: meshfed"; then echo "ok: $args prints usage"
  else echo "FAIL: $args"; fail=1; fi
done
key=$("$M" keygen)
if [ "$(printf %s "$key" | base64 -d | wc -c)" -eq 32 ]; then echo "ok: keygen gives 32 bytes"
else echo "FAIL: keygen gave $key"; fail=1; fi

[ $fail -eq 0 ] && echo "cli errors: all ok"
exit $fail
