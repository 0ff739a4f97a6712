#!/usr/bin/env bash
# tests/cli/test_package.sh SOURCE_DIR BUILD_DIR — scripts/package builds a
# Debian package from the build; installed into a scratch root (dpkg -x),
# its meshfed runs (--version), the unit and the example config are where
# the unit and docs say, and the example config is valid.
set -euo pipefail
src=$1 build=$2
command -v dpkg-deb >/dev/null || { echo "SKIP: no dpkg-deb"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$("$src/scripts/package" "$build" "$tmp/out")
[ -f "$deb" ] || fail "no package at '$deb'"
dpkg-deb -f "$deb" Package | grep -qx meshfed || fail "Package field"
version=$(dpkg-deb -f "$deb" Version)
[ -n "$version" ] || fail "no Version"
echo "ok: built $(basename "$deb")"

root=$tmp/root
dpkg -x "$deb" "$root"
out=$("$root/usr/bin/meshfed" --version)
[ "$out" = "meshfed v$version" ] || fail "--version printed '$out', want 'meshfed v$version'"
echo "ok: $root/usr/bin/meshfed --version: $out"

unit=$root/usr/lib/systemd/system/meshfed.service
[ -f "$unit" ] || fail "no unit at $unit"
grep -q '^ExecStart=/usr/bin/meshfed agent' "$unit" || fail "unit does not run /usr/bin/meshfed"
grep -q '^ExecReload=' "$unit" || fail "unit has no ExecReload"
example=$root/usr/share/doc/meshfed/examples/meshfed.json
[ -f "$example" ] || fail "no example config"
grep -q '^ *#' "$example" || fail "example config has no comments"
"$root/usr/bin/meshfed" validate -quiet "$example" || fail "example config is not valid"
echo "ok: unit and example config installed; the example validates"

dpkg-deb -I "$deb" postinst | grep -q 'adduser --system' || fail "postinst creates no user"
# cmake --install alone, into a prefix of our own.
DESTDIR="$tmp/inst" cmake --install "$build" --prefix /opt/mf >/dev/null
[ -x "$tmp/inst/opt/mf/bin/meshfed" ] || fail "cmake --install put no binary in the prefix"
[ -f "$tmp/inst/opt/mf/lib/systemd/system/meshfed.service" ] || fail "no unit in the prefix"
echo "ok: cmake --install --prefix /opt/mf"
