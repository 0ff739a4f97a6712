#!/usr/bin/env bash
# tests/cli/test_validate.sh MESHFED — `meshfed validate` checks config files
# without starting: exit 0 for a good file, 1 with the agent's own one-line
# error for a bad one (the same line `meshfed agent` prints), and opens no
# socket (the good file names a control socket, which must not appear).
set -u
M=$1

# shellcheck source=expect.sh
. "$(dirname "$0")/expect.sh"

cat >"$dir/good.json" <<JSON
{"node": "v1", "bind": "127.0.62.1:7946", "control": "$dir/ctl.sock",
 "route_socket": "$dir/routes.sock", "metrics_addr": "127.0.62.1:9464",
 "tags": {"rack": "r1"}, "probe_interval": "2s"}
JSON
out=$(timeout 30 "$M" validate -config-file "$dir/good.json" 2>"$dir/err"); rc=$?
if [ $rc -ne 0 ] || [ "$out" != "Configuration is valid!" ] || [ -s "$dir/err" ]; then
  echo "FAIL: validate good.json -> rc $rc, out '$out', err '$(cat "$dir/err")'"; fail=1
else
  echo "ok: validate good.json -> rc 0: $out"
fi
if [ -e "$dir/ctl.sock" ] || [ -e "$dir/routes.sock" ]; then
  echo "FAIL: validate created a socket"; fail=1
fi
out=$(timeout 30 "$M" validate -quiet "$dir/good.json" 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] || { echo "FAIL: validate -quiet PATH -> rc $rc '$out'"; fail=1; }

echo '{"probe_interval": "soon"}' >"$dir/bad.json"
echo '{"node": "x", "colour": "red"}' >"$dir/unknown.json"
echo '{"node": "x",' >"$dir/broken.json"
echo '{"wan": false}' >"$dir/nopool.json"
echo "{\"keyring_file\": \"$dir/missing-keyring.json\"}" >"$dir/keyring.json"
for f in bad unknown broken nopool keyring; do
  # The agent's error line, with its subcommand name swapped.
  timeout 30 "$M" agent -config-file "$dir/$f.json" -control "$dir/a.sock" \
    -route-socket "$dir/r.sock" -bind 127.0.62.2:7946 >/dev/null 2>"$dir/agent.err"
  want=$(sed 's/^meshfed agent: /meshfed validate: /' "$dir/agent.err")
  expect 1 'meshfed validate: ' -- "$M" validate -config-file "$dir/$f.json"
  if [ "$(cat "$dir/err")" != "$want" ] || [ -z "$want" ]; then
    echo "FAIL: validate $f.json says '$(cat "$dir/err")', the agent '$want'"; fail=1
  fi
done
expect 1 'key "probe_interval": "soon" is not a positive duration' -- "$M" validate -config-file "$dir/bad.json"
expect 1 'key "colour": unknown key' -- "$M" validate -config-file "$dir/unknown.json"
# Files apply in order: the bad one fails even after a good one.
expect 1 'key "colour": unknown key' -- "$M" validate "$dir/good.json" "$dir/unknown.json"
expect 2 'no config file given' -- "$M" validate
expect 2 'unknown flag -bogus' -- "$M" validate -bogus
timeout 30 "$M" validate -h | grep -q 'Usage: meshfed validate' || { echo "FAIL: validate -h"; fail=1; }
exit $fail
