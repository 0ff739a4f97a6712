# tests/cli/expect.sh — sourced by the CLI error tests: makes the scratch
# directory $dir (removed at exit, after every pid in pids[] is killed),
# sets fail=0, and gives expect(), which sets fail=1 on a mismatch.
dir=$(mktemp -d /tmp/meshfed-cli.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; rm -rf "$dir"; }
trap cleanup EXIT
fail=0

# expect RC PATTERN -- CMD...: exit code RC, exactly one stderr line matching PATTERN.
expect() {
  local rc=$1 pat=$2; shift 3
  timeout 120 "$@" >"$dir/out" 2>"$dir/err"
  local got=$? lines
  lines=$(wc -l <"$dir/err")
  if [ "$got" -ne "$rc" ] || [ "$lines" -ne 1 ] || ! grep -qE -- "$pat" "$dir/err"; then
    echo "FAIL: $* -> rc $got (want $rc), $lines stderr lines (want 1): $(cat "$dir/err")"
    fail=1
  else
    echo "ok: $* -> rc $got: $(cat "$dir/err")"
  fi
}
