#!/usr/bin/env bash
# Installs what the dashboard's browser test needs: Debian's `chromium` (apt-get, when
# missing) and the pinned `playwright-core` (npm; no bundled browser: it drives the
# system chromium over the DevTools protocol) under target/browser-deps. Prints the
# environment the tests read:
#
#   eval "$(bash scripts/setup-browser.sh)"
#
# Progress goes to stderr; only the `export` line goes to stdout. Fails loudly when
# either part cannot be installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DEPS="$PWD/target/browser-deps"
# 1.65.2: the latest release when this was written (engines: node >= 20).
PLAYWRIGHT_VERSION=1.65.2

fail() { echo "setup-browser.sh: $*" >&2; exit 1; }

CHROMIUM="$(command -v chromium || true)"
if [[ -z "$CHROMIUM" ]]; then
  echo "chromium is not installed: apt-get install chromium" >&2
  if [[ "$(id -u)" -ne 0 ]]; then
    fail "chromium is missing and this is not root: run 'sudo apt-get install chromium' (Debian's package)"
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2 \
    || fail "apt-get install chromium failed"
  CHROMIUM="$(command -v chromium || true)"
  [[ -n "$CHROMIUM" ]] || fail "apt-get installed chromium but no 'chromium' is on PATH"
fi
"$CHROMIUM" --headless --no-sandbox --disable-gpu --version >&2 \
  || fail "$CHROMIUM does not run (--version failed)"
echo "chromium: $CHROMIUM" >&2

command -v node >/dev/null || fail "node is not installed (the browser test is a Node script)"
mkdir -p "$DEPS"
if [[ ! -f "$DEPS/node_modules/playwright-core/package.json" ]] \
  || ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$DEPS/node_modules/playwright-core/package.json"; then
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing anyway; this
  # makes sure no browser is fetched from a CDN (the test uses Debian's chromium).
  (cd "$DEPS" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund \
     "playwright-core@$PLAYWRIGHT_VERSION" >&2) || fail "npm install playwright-core@$PLAYWRIGHT_VERSION failed"
fi
[[ -f "$DEPS/node_modules/playwright-core/package.json" ]] || fail "playwright-core is not in $DEPS/node_modules"
echo "playwright-core $PLAYWRIGHT_VERSION: $DEPS/node_modules/playwright-core" >&2

echo "export WARDEN_TEST_CHROMIUM=$CHROMIUM WARDEN_TEST_PLAYWRIGHT=$DEPS/node_modules/playwright-core"
