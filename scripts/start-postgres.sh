#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the credential-rotation tests
# (crates/warden-incident/tests/rotate_pg.rs). Prints the environment the tests read, as
# `export` lines:
#
#   eval "$(bash scripts/start-postgres.sh)"      # then: cargo test -p warden-incident
#
# - Installs the Debian package `postgresql` with apt-get when no initdb is found.
# - The cluster lives in target/pg (data/, sock/, log); initdb refuses to run as root, so
#   as root it runs as the `postgres` OS user (runuser), which gets the directory.
# - Authentication: the `postgres` superuser by trust over the Unix socket only (the
#   tests' admin); every other role by SCRAM, over the socket and 127.0.0.1.
# - Listens on the socket in target/pg/sock and on 127.0.0.1 at a free port, with TLS
#   (ssl=on): a test CA (tls/ca.crt, exported as WARDEN_TEST_PG_TLS_CA) signs a server
#   certificate for the name `localhost` only, so verify-full to 127.0.0.1 fails and
#   verify-ca passes. Members of the role `warden_tls` are refused over TCP without TLS
#   (pg_hba `hostnossl … reject`), so a test can prove its connection was encrypted.
# - Idempotent: a cluster already running from target/pg is reused as it is.
# - Stop it with: eval "$WARDEN_TEST_PG_STOP" (or kill -INT the first line of
#   $WARDEN_TEST_PG_PIDFILE: a fast shutdown).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'start-postgres.sh: %s\n' "$*" >&2; exit 1; }

find_bin() {
  # The newest installed major version.
  # `|| true`: none installed is an answer, not an error (set -e would end the script).
  { ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -V | tail -1
}

BIN="$(find_bin)"
if [[ -z "$BIN" || ! -x "$BIN/initdb" ]]; then
  command -v apt-get >/dev/null || die "no PostgreSQL (/usr/lib/postgresql/*/bin/initdb) and no apt-get to install it; install PostgreSQL 13+ server binaries"
  [[ "$(id -u)" == 0 ]] || die "no PostgreSQL (/usr/lib/postgresql/*/bin/initdb); install it: sudo apt-get install -y postgresql"
  echo "installing the Debian package postgresql (apt-get)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2 \
    || die "apt-get install postgresql failed"
  BIN="$(find_bin)"
  [[ -n "$BIN" && -x "$BIN/initdb" ]] || die "apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb is there"
fi

# As root, the server runs as the postgres OS user; otherwise as whoever runs this.
if [[ "$(id -u)" == 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' OS user to run the server as (the Debian package creates it)"
  AS=(runuser -u postgres --)
else
  AS=()
fi

# target/pg, unless the postgres user cannot reach it (a checkout under a private home)
# or the socket path would pass the 107-byte limit: then a directory under /tmp.
BASE="$PWD/target/pg"
mkdir -p "$PWD/target"
if ! "${AS[@]}" test -x "$PWD/target" 2>/dev/null || (( ${#BASE} > 80 )); then
  BASE="/tmp/warden-pg-$(printf '%s' "$PWD" | cksum | cut -d' ' -f1)"
fi
DATA="$BASE/data"
SOCK="$BASE/sock"
LOG="$BASE/postgres.log"
PORTFILE="$BASE/port"
TLS="$BASE/tls"
# Bumped when the cluster's setup changes: an older cluster is stopped and made anew.
SETUP_VERSION=3

print_env() {
  cat <<ENV
export WARDEN_TEST_PG_HOST=$SOCK
export WARDEN_TEST_PG_PORT=$(cat "$PORTFILE")
export WARDEN_TEST_PG_ADMIN_USER=postgres
export WARDEN_TEST_PG_PIDFILE=$DATA/postmaster.pid
export WARDEN_TEST_PG_TLS_CA=$TLS/ca.crt
export WARDEN_TEST_PG_TLS_GROUP=warden_tls
export WARDEN_TEST_PG_STOP='${AS[*]} $BIN/pg_ctl -D $DATA -m fast stop >/dev/null 2>&1 || true'
ENV
}

# A cluster from an older version of this script: stopped and made anew.
if [[ -d "$BASE" && "$(cat "$BASE/setup-version" 2>/dev/null || true)" != "$SETUP_VERSION" ]]; then
  echo "start-postgres.sh: $BASE was set up by an older version of this script; making it anew" >&2
  "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$BASE"
fi

# Reuse a running cluster.
if [[ -f "$DATA/postmaster.pid" && -f "$PORTFILE" ]] \
   && "${AS[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  if "$BIN/pg_isready" -q -h "$SOCK" -p "$(cat "$PORTFILE")" -t 5; then
    print_env
    exit 0
  fi
fi

mkdir -p "$BASE" "$SOCK"

# The test CA and the server's certificate (for `localhost` only; RSA, SHA-256). The
# CA's key is thrown away once it has signed.
if [[ ! -f "$TLS/server.crt" ]]; then
  command -v openssl >/dev/null || die "openssl is needed to make the test certificates (apt-get install openssl)"
  mkdir -p "$TLS"
  (
    cd "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Warden test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
    printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt
    rm -f ca.key ca.srl server.csr server.ext
    chmod 600 server.key
  ) >"$BASE/openssl.log" 2>&1 || { cat "$BASE/openssl.log" >&2; die "could not make the test certificates (see $BASE/openssl.log)"; }
fi
echo "$SETUP_VERSION" >"$BASE/setup-version"
if [[ "$(id -u)" == 0 ]]; then chown -R postgres:postgres "$BASE"; fi

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  rm -rf "$DATA"
  "${AS[@]}" "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale >"$BASE/initdb.log" 2>&1 \
    || { tail -20 "$BASE/initdb.log" >&2; die "initdb failed (see $BASE/initdb.log)"; }
  cat >"$DATA/pg_hba.conf" <<'HBA'
# Written by scripts/start-postgres.sh: a throwaway cluster for tests.
local   all   postgres                  trust
local   all   all                       scram-sha-256
hostnossl all +warden_tls 127.0.0.1/32  reject
host    all   all       127.0.0.1/32    scram-sha-256
HBA
  if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$DATA/pg_hba.conf"; fi
fi

# A free loopback port (asked of the kernel), kept for restarts.
if [[ ! -f "$PORTFILE" ]]; then
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' >"$PORTFILE" \
    || die "could not find a free port (python3 missing?)"
fi
PORT="$(cat "$PORTFILE")"

"${AS[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c password_encryption=scram-sha-256 -c max_connections=200 -c fsync=off -c ssl=on -c ssl_cert_file=$TLS/server.crt -c ssl_key_file=$TLS/server.key" \
  start >&2 || { tail -20 "$LOG" >&2 || true; die "pg_ctl start failed (see $LOG)"; }

for _ in $(seq 1 100); do
  if "$BIN/pg_isready" -q -h "$SOCK" -p "$PORT" -t 1; then
    "$BIN/psql" -q -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
      -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'warden_tls') THEN CREATE ROLE warden_tls NOLOGIN; END IF; END \$\$" >&2 \
      || die "could not create the role warden_tls"
    print_env
    exit 0
  fi
  sleep 0.2
done
tail -20 "$LOG" >&2 || true
die "PostgreSQL did not become ready on $SOCK port $PORT (see $LOG)"
