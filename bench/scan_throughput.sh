#!/usr/bin/env bash
# Scan throughput of Warden vs Semgrep, side by side in one run, on the same
# code and the same rule (MCP tool parameter -> shell command injection).
#
#   bench/scan_throughput.sh [--files 2000] [--lines-per-file 500] [--seed 1]
#                            [--runs 3] [--jobs N] [--no-warden] [--no-semgrep]
#                            [--no-synth] [--real DIR ...]
#
# - generates a synthetic MCP server repo (bench/gen_repo.py; default 2,000
#   files x 500 lines = ~1M lines) and/or takes real repositories (--real);
# - checks that each tool finds the planted flows (bench/check_findings.py),
#   so that we do not compare against a rule that matches nothing;
# - times, each --runs times (hyperfine if available, else a Python loop):
#     warden, one core      RAYON_NUM_THREADS=1 warden scan DIR --format json --output /dev/null
#     warden, all cores     warden scan DIR --format json --output /dev/null
#     semgrep -j 1          semgrep scan --config bench/semgrep-rules.yml --metrics off --json -j 1 DIR
#     semgrep -j N          same with -j N (N = --jobs, default nproc)
# - writes bench/out/scan_throughput.md (medians, lines/s, lines/s per core,
#   warden/semgrep ratio) and prints it. Raw timings: bench/out/raw/.
#
# Installs what it needs if missing: semgrep in a venv under bench/work/ (from
# PyPI), hyperfine (Debian package; optional), and the Warden release binary
# (cargo build --release -p warden; override the binary with WARDEN_BIN).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

FILES=2000
LINES_PER_FILE=500
SEED=1
RUNS=3
JOBS="$(nproc)"
DO_WARDEN=1
DO_SEMGREP=1
DO_SYNTH=1
REAL=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --files) FILES="$2"; shift 2 ;;
    --lines-per-file) LINES_PER_FILE="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --no-warden) DO_WARDEN=0; shift ;;
    --no-semgrep) DO_SEMGREP=0; shift ;;
    --no-synth) DO_SYNTH=0; shift ;;
    --real) shift; while [[ $# -gt 0 && "$1" != --* ]]; do REAL+=("$1"); shift; done ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "scan_throughput: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

WORK="$ROOT/bench/work"
OUT="$ROOT/bench/out"
RAW="$OUT/raw"
RULES="$ROOT/bench/semgrep-rules.yml"
# Pinned so numbers stay comparable across runs; bump deliberately.
SEMGREP_VERSION="${SEMGREP_VERSION:-1.185.0}"
VENV="$WORK/semgrep-venv"
SEMGREP="$VENV/bin/semgrep"
WARDEN="${WARDEN_BIN:-$ROOT/target/release/warden}"
mkdir -p "$WORK" "$RAW"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nscan_throughput: ERROR: %s\n' "$*" >&2; exit 1; }

# Semgrep must not phone home: this machine has no network beyond package
# registries, and a version check or metrics upload would only add noise.
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off
SEMGREP_FLAGS=(scan --config "$RULES" --metrics off --disable-version-check --json --quiet)

# ---------------------------------------------------------------- installs
if [[ $DO_SEMGREP == 1 ]] && ! "$SEMGREP" --version >/dev/null 2>&1; then
  log "installing semgrep==$SEMGREP_VERSION into $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "semgrep==$SEMGREP_VERSION" \
    || die "pip install semgrep==$SEMGREP_VERSION failed"
  "$SEMGREP" --version >/dev/null || die "semgrep installed but does not run"
fi

TIMER=python   # BENCH_TIMER=python forces the Python loop
if [[ ${BENCH_TIMER:-} == python ]]; then
  :
elif command -v hyperfine >/dev/null 2>&1; then
  TIMER=hyperfine
elif [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  log "installing hyperfine (apt-get); falls back to a Python timing loop if that fails"
  if { apt-get install -y -qq hyperfine >/dev/null 2>&1 ||
       { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq hyperfine >/dev/null 2>&1; }; }; then
    TIMER=hyperfine
  else
    echo "scan_throughput: hyperfine not installable; using bench/bench_util.py time" >&2
  fi
fi

if [[ $DO_WARDEN == 1 && ! -x "$WARDEN" ]]; then
  log "building Warden: cargo build --release -p warden"
  cargo build --release -p warden || die "cargo build --release -p warden failed"
  [[ -x "$WARDEN" ]] || die "no Warden binary at $WARDEN after the build (set WARDEN_BIN?)"
fi

# ---------------------------------------------------------------- helpers
# time_cmd KEY CORES LABEL IGNORE_FAILURE CMD...: RUNS timed runs of CMD
# -> $RAW/$TNAME.KEY.json (hyperfine's JSON shape), recorded in MEASURES.
time_cmd() {
  local key="$1" cores="$2" label="$3" ignore="$4"; shift 4
  local json="$RAW/$TNAME.$key.json"
  log "timing [$TNAME] $label ($RUNS runs): $*"
  if [[ $TIMER == hyperfine ]]; then
    local hf=(hyperfine --runs "$RUNS" --shell=none --style basic --export-json "$json" -n "$label")
    [[ $ignore == 1 ]] && hf+=(--ignore-failure)
    # hyperfine takes one command string: quote each word for its parser.
    "${hf[@]}" "$(printf '%q ' "$@")" >&2 || die "timing failed: $label"
  else
    local py=(python3 bench/bench_util.py time --runs "$RUNS" --export "$json" -n "$label")
    [[ $ignore == 1 ]] && py+=(--ignore-failure)
    "${py[@]}" -- "$@" || die "timing failed: $label"
  fi
  MEASURES+=(--measure "$key:$cores:$json:$label")
}

# measure_target NAME DIR MANIFEST(or empty)
measure_target() {
  TNAME="$1"; local dir="$2" manifest="$3"
  MEASURES=(); local checks=() note=""
  [[ -d "$dir" ]] || die "not a directory: $dir"
  python3 bench/bench_util.py count-lines "$dir" >"$RAW/$TNAME.count.json"
  log "[$TNAME] $dir: $(cat "$RAW/$TNAME.count.json")"

  # One untimed run per tool: warms the page cache, and its findings show the
  # tool did the real work (planted flows found) before we time it.
  if [[ $DO_SEMGREP == 1 ]]; then
    log "[$TNAME] semgrep findings run"
    "$SEMGREP" "${SEMGREP_FLAGS[@]}" -j "$JOBS" --output "$RAW/$TNAME.semgrep.json" "$dir" \
      || die "semgrep failed on $dir"
    if [[ -n "$manifest" ]]; then
      python3 bench/check_findings.py --manifest "$manifest" "$RAW/$TNAME.semgrep.json" >"$RAW/$TNAME.semgrep.check.txt"
    else
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["results"]), "findings,", len(d["paths"]["scanned"]), "files scanned,", len(d["errors"]), "errors")' \
        "$RAW/$TNAME.semgrep.json" >"$RAW/$TNAME.semgrep.check.txt"
    fi
    cat "$RAW/$TNAME.semgrep.check.txt" >&2
    checks+=(--check "semgrep:$RAW/$TNAME.semgrep.check.txt")
  fi
  if [[ $DO_WARDEN == 1 ]]; then
    log "[$TNAME] warden findings run"
    local rc=0
    "$WARDEN" scan "$dir" --format json --output "$RAW/$TNAME.warden.json" || rc=$?
    # Exit 1 conventionally means "findings reported"; anything else is a failure.
    [[ $rc -le 1 ]] || die "warden scan exited $rc on $dir"
    local mf=(); [[ -n "$manifest" ]] && mf=(--manifest "$manifest")
    if ! python3 bench/check_findings.py "${mf[@]}" "$RAW/$TNAME.warden.json" \
         >"$RAW/$TNAME.warden.check.txt" 2>"$RAW/$TNAME.warden.check.err"; then
      # Warden's JSON shape is not settled yet: report, do not abort the timing.
      echo "warden exit code $rc; findings not compared (bench/check_findings.py could not read" \
        "$RAW/$TNAME.warden.json: $(tail -n1 "$RAW/$TNAME.warden.check.err"))" >"$RAW/$TNAME.warden.check.txt"
    fi
    cat "$RAW/$TNAME.warden.check.txt" >&2
    checks+=(--check "warden:$RAW/$TNAME.warden.check.txt")
  fi

  # Warden may exit 1 when it reports findings: ignore the exit code here
  # (the findings run above already failed on anything worse).
  if [[ $DO_WARDEN == 1 ]]; then
    time_cmd warden-1 1 "warden, RAYON_NUM_THREADS=1" 1 \
      env RAYON_NUM_THREADS=1 "$WARDEN" scan "$dir" --format json --output /dev/null
    time_cmd warden-all "$(nproc)" "warden, all cores" 1 \
      "$WARDEN" scan "$dir" --format json --output /dev/null
  fi
  if [[ $DO_SEMGREP == 1 ]]; then
    time_cmd semgrep-1 1 "semgrep -j 1" 0 "$SEMGREP" "${SEMGREP_FLAGS[@]}" -j 1 "$dir"
    time_cmd semgrep-all "$JOBS" "semgrep -j $JOBS" 0 "$SEMGREP" "${SEMGREP_FLAGS[@]}" -j "$JOBS" "$dir"
  fi
  [[ -n "$manifest" ]] && note="Synthetic repo from \`bench/gen_repo.py --files $FILES --lines-per-file $LINES_PER_FILE --seed $SEED\`."
  python3 bench/bench_util.py target --out "$RAW/$TNAME.target.json" --name "$TNAME" --dir "$dir" \
    --count "$RAW/$TNAME.count.json" --note "$note" "${MEASURES[@]}" "${checks[@]}"
  TARGETS+=("$RAW/$TNAME.target.json")
}

# ---------------------------------------------------------------- run
TARGETS=()
if [[ $DO_SYNTH == 1 ]]; then
  SYNTH="$WORK/synth-f$FILES-l$LINES_PER_FILE-s$SEED"
  if [[ ! -f "$SYNTH.manifest.json" || ! -d "$SYNTH/.git" ]]; then
    log "generating $SYNTH"
    python3 bench/gen_repo.py "$SYNTH" --files "$FILES" --lines-per-file "$LINES_PER_FILE" \
      --seed "$SEED" --force || die "bench/gen_repo.py failed"
  fi
  measure_target "synthetic-$FILES-files" "$SYNTH" "$SYNTH.manifest.json"
fi
for d in "${REAL[@]}"; do
  measure_target "real-$(basename "$(cd "$d" && pwd)")" "$(cd "$d" && pwd)" ""
done
[[ ${#TARGETS[@]} -gt 0 ]] || die "nothing to measure (--no-synth without --real)"

SG_VER="not measured"; SG_STARTUP=""
if [[ $DO_SEMGREP == 1 ]]; then
  SG_VER="$("$SEMGREP" --version 2>/dev/null | tail -n1)"
  # Semgrep's fixed cost (Python start-up, rule parsing) on an empty repo:
  # it weighs on small repos and explains part of the gap there.
  EMPTY="$WORK/empty-repo"
  mkdir -p "$EMPTY" && { [[ -d "$EMPTY/.git" ]] || git -C "$EMPTY" init -q; }
  TNAME=startup MEASURES=()
  time_cmd semgrep-empty 1 "semgrep -j 1, empty repo" 0 "$SEMGREP" "${SEMGREP_FLAGS[@]}" -j 1 "$EMPTY"
  SG_STARTUP="$RAW/startup.semgrep-empty.json"
fi
WD_VER="not measured"
if [[ $DO_WARDEN == 1 ]]; then
  wv="$("$WARDEN" --version 2>/dev/null)" || true
  wv="${wv%%$'\n'*}"   # first line (no `| head`: SIGPIPE under pipefail)
  WD_VER="${wv:-?} (commit $(git rev-parse --short HEAD 2>/dev/null || echo 'none'))"
fi
python3 - "$RAW/meta.json" "$(nproc)" "$RUNS" "$TIMER" "$SG_VER" "$WD_VER" "$SG_STARTUP" <<'PY'
import datetime, json, platform, sys
out, nproc, runs, timer, sg_ver, wd_ver, sg_startup = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
json.dump({"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu,
           "nproc": int(nproc), "runs": int(runs), "timer": timer,
           "semgrep_version": sg_ver, "warden": wd_ver,
           "semgrep_startup_s": json.load(open(sg_startup))["results"][0]["median"] if sg_startup else None},
          open(out, "w"))
PY
python3 bench/bench_util.py report --out "$OUT/scan_throughput.md" --meta "$RAW/meta.json" "${TARGETS[@]}"
log "report: $OUT/scan_throughput.md"
cat "$OUT/scan_throughput.md"
