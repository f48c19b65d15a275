#!/usr/bin/env bash
# Fetch the SARIF 2.1.0 JSON schema (the OASIS TC's sarif-schema-2.1.0.json,
# draft-07, $id https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json)
# and copy it to the path given as $1.
#
# Why from npm: this machine (and CI) can reach only package registries, not
# the OASIS site or GitHub. The npm package @datadog/datadog-ci (Apache-2.0)
# ships an unmodified copy of the schema at
#   dist/commands/sarif/json-schema/sarif-schema-2.1.0.json
# (newer 3.x+ releases bundle it inside JS, hence the pinned 2.x version).
# We only `npm pack` the tarball (no install, no dependencies, no scripts run)
# and check the file's SHA-256, so a changed upstream copy fails loudly instead
# of silently changing what the tests validate against.
#
# Usage: scripts/fetch-sarif-schema.sh target/sarif-schema-2.1.0.json
set -euo pipefail

PKG="@datadog/datadog-ci@2.48.0"
PKG_PATH="package/dist/commands/sarif/json-schema/sarif-schema-2.1.0.json"
SHA256="10666d46649b52e262001e70d43e6c52f7c0279ca3dbdfe9a7dc2e4071556454"

die() { echo "fetch-sarif-schema: ERROR: $*" >&2; exit 1; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 OUTPUT_PATH (e.g. target/sarif-schema-2.1.0.json)"
out="$1"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# Already there and intact: nothing to do (keeps repeated CI/dev runs offline-fast).
if [[ -f "$out" && "$(sha_of "$out")" == "$SHA256" ]]; then
  echo "fetch-sarif-schema: $out already present (sha256 ok)"
  exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found; it is needed to fetch $PKG from the npm registry"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetch-sarif-schema: npm pack $PKG"
if ! (cd "$tmp" && npm pack "$PKG" --silent >pack.log 2>&1); then
  cat "$tmp/pack.log" >&2 || true
  die "'npm pack $PKG' failed (is the npm registry reachable?)"
fi
tgzs=("$tmp"/*.tgz)
tgz="${tgzs[0]}"
[[ -f "$tgz" ]] || die "npm pack produced no tarball"

tar -xzf "$tgz" -C "$tmp" "$PKG_PATH" || die "$PKG_PATH not found in $(basename "$tgz")"
got="$(sha_of "$tmp/$PKG_PATH")"
[[ "$got" == "$SHA256" ]] || die "schema checksum mismatch: expected $SHA256, got $got"

mkdir -p "$(dirname "$out")"
cp "$tmp/$PKG_PATH" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"   # atomic: never leave a half-written schema behind
echo "fetch-sarif-schema: wrote $out"
