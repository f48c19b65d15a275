#!/usr/bin/env bash
# Starts moto's S3 server (PyPI `moto[server]`, pinned) on loopback, for the Object
# Lock export tests. Prints the environment the tests read, as `export` lines:
#
#   eval "$(bash scripts/start-moto.sh)"      # then: cargo nextest run --workspace
#
# The venv is cached under target/ (≈20 s to create the first time). The server's pid
# goes to target/moto.pid so a caller can stop it. The port is a free one the kernel
# gives (MOTO_PORT overrides), so two checkouts on one machine never share a server; the
# probe also checks that the server answering is the one just started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="$PWD/target/moto-venv"
PORT="${MOTO_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
if [[ ! -x "$VENV/bin/moto_server" ]]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5' >&2
fi
print_env() {
  cat <<ENV
export WARDEN_TEST_S3_ENDPOINT=http://127.0.0.1:$1
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
ENV
}
answers() {
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "http://127.0.0.1:$1/" >/dev/null 2>&1
}
# A server this checkout started and that still answers is reused (tests already
# running against it keep working); one that does not answer is stopped.
if [[ -f target/moto.pid ]] && kill -0 "$(cat target/moto.pid)" 2>/dev/null; then
  if [[ -z "${MOTO_PORT:-}" && -f target/moto.port ]] && answers "$(cat target/moto.port)"; then
    print_env "$(cat target/moto.port)"
    exit 0
  fi
  kill "$(cat target/moto.pid)" 2>/dev/null || true
  sleep 0.5
fi
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >target/moto.log 2>&1 &
echo $! > target/moto.pid
echo "$PORT" > target/moto.port
PID="$(cat target/moto.pid)"
for _ in $(seq 1 100); do
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "moto_server exited at start (port $PORT taken?); see target/moto.log" >&2
    tail -20 target/moto.log >&2 || true
    exit 1
  fi
  if answers "$PORT"; then
    print_env "$PORT"
    exit 0
  fi
  sleep 0.2
done
echo "moto_server did not start on port $PORT; see target/moto.log" >&2
tail -20 target/moto.log >&2 || true
exit 1
