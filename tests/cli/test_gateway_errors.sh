#!/usr/bin/env bash
# tests/cli/test_gateway_errors.sh MESHFED — `meshfed gateway` refuses bad
# flags and config files with ONE line on stderr naming the flag or key and
# a non-zero exit (2: usage, 1: a bad value); -h documents every flag.
# Uses 127.0.69.x only.
set -u
M=$1

# shellcheck source=expect.sh
. "$(dirname "$0")/expect.sh"
TD=(-trust-domain example.test -listen 127.0.69.1:8443 -route-socket "$dir/none.sock")

expect 2 'gateway: unknown flag -bogus' -- "$M" gateway -bogus
expect 2 'flag -listen needs a value' -- "$M" gateway -listen
expect 2 'unexpected argument "extra"' -- "$M" gateway "${TD[@]}" extra
expect 1 '-trust-domain is required' -- "$M" gateway -listen 127.0.69.1:8443
expect 1 '-trust-domain: "bad\.\.td" is not a trust domain' -- "$M" gateway -trust-domain bad..td
expect 1 '-listen: "nowhere" is not an IP:PORT' -- "$M" gateway "${TD[@]}" -listen nowhere
expect 1 '-listen: "127.0.69.1" is not an IP:PORT' -- "$M" gateway "${TD[@]}" -listen 127.0.69.1
expect 1 '-advertise is required when listening on 0.0.0.0:8443' -- \
  "$M" gateway -trust-domain example.test
expect 1 '-advertise: "x:1" is not an IP:PORT' -- "$M" gateway "${TD[@]}" -advertise x:1
expect 1 '-service: "web" is not NAME=IP:PORT' -- "$M" gateway "${TD[@]}" -service web
expect 1 '-service: "a.b.c.d" is not a service name' -- \
  "$M" gateway "${TD[@]}" -service a.b.c.d=127.0.0.1:80
expect 1 '-service: "we_b" is not a service name' -- \
  "$M" gateway "${TD[@]}" -service we_b=127.0.0.1:80
expect 1 '-service: "127.0.0.1" is not an IP:PORT' -- \
  "$M" gateway "${TD[@]}" -service web=127.0.0.1
expect 1 '-tagged: "dc2" is not a tag key' -- "$M" gateway "${TD[@]}" -tagged dc2=127.0.0.1:1
expect 1 '-dc: "-dc1" is not a DC name' -- "$M" gateway "${TD[@]}" -dc=-dc1
expect 1 '-name: "a b" is not a gateway name' -- "$M" gateway "${TD[@]}" -name "a b"
expect 1 '-connect-timeout: "5x" is not a positive duration' -- \
  "$M" gateway "${TD[@]}" -connect-timeout 5x
expect 1 '-idle-timeout: "0s" is not a positive duration' -- \
  "$M" gateway "${TD[@]}" -idle-timeout 0s
expect 1 '-max-conns: "0" is not an integer in \[1, ' -- "$M" gateway "${TD[@]}" -max-conns 0
expect 1 '-hello-max: "10" is not an integer' -- "$M" gateway "${TD[@]}" -hello-max 10
expect 1 '-log-level: "loud" is not a level' -- "$M" gateway "${TD[@]}" -log-level loud
echo '{"trust_domain": "example.test", "colour": "red"}' >"$dir/unknown.json"
expect 1 'config file .*unknown.json: key "colour": unknown key' -- \
  "$M" gateway -config-file "$dir/unknown.json"
echo '{"trust_domain": "example.test", "services": {"web": ["127.0.0.1:80", 7]}}' >"$dir/svc.json"
expect 1 'key "services": "web": want an address string or an array of them' -- \
  "$M" gateway -config-file "$dir/svc.json"
echo '{"trust_domain": "example.test", "connect_timeout": "soon"}' >"$dir/dur.json"
expect 1 'key "connect_timeout": "soon" is not a positive duration' -- \
  "$M" gateway -config-file "$dir/dur.json"
echo '{"trust_domain": ' >"$dir/broken.json"
expect 1 'config file .*broken.json: line 2' -- "$M" gateway -config-file "$dir/broken.json"

# A taken port: the second gateway says so and exits 1.
"$M" gateway "${TD[@]}" -control "$dir/a.sock" 2>"$dir/a.log" &
pids+=($!); disown
for _ in $(seq 50); do [ -S "$dir/a.sock" ] && break; sleep 0.1; done
expect 1 'cannot listen on 127.0.69.1:8443: address already in use' -- \
  "$M" gateway "${TD[@]}"
expect 1 'another agent is listening|already' -- \
  "$M" gateway -trust-domain example.test -listen 127.0.69.2:8443 -control "$dir/a.sock"
# It answers info (and nothing else) on its control socket.
if "$M" info -control "$dir/a.sock" | grep -q "forwarded = 0"; then echo "ok: info on a gateway"
else echo "FAIL: meshfed info -control on a gateway: $("$M" info -control "$dir/a.sock" 2>&1)"; fail=1; fi
expect 1 'a gateway answers only info' -- "$M" members -control "$dir/a.sock"

# -h documents every flag.
help=$("$M" gateway -h); rc=$?
for f in config-file name dc listen advertise lan tagged route-socket trust-domain service \
         control hello-timeout hello-max connect-timeout idle-timeout max-conns max-unwritten \
         log-level; do
  if [ $rc -ne 0 ] || ! grep -q -- "^  -$f " <<<"$help"; then
    echo "FAIL: gateway -h (rc $rc) does not document -$f"; fail=1
  fi
done
[ $fail -eq 0 ] && echo "ok: gateway -h documents every flag"
if "$M" --help | grep -q "gateway"; then echo "ok: meshfed --help lists gateway"
else echo "FAIL: meshfed --help lacks gateway"; fail=1; fi

[ $fail -eq 0 ] && echo "gateway cli errors: all ok"
exit $fail
