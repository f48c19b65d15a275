#!/usr/bin/env python3
"""Helpers for bench/scan_throughput.sh (kept in Python so the shell stays small).

  count-lines DIR                     source lines Warden and Semgrep both scan
  time --runs R --export F -n NAME -- CMD...
                                      time a command R times (used when hyperfine
                                      is not installed); writes hyperfine-shaped JSON
  target --out T.json --name N --dir D --count C.json [--measure KEY:CORES:JSON:LABEL]...
         [--check TOOL:TEXTFILE]... [--note TEXT]
                                      collect one target's results for `report`
  report --out MD --meta JSON TARGET_JSON...
                                      turn the timings into bench/out/scan_throughput.md
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# Languages both tools handle for the MCP rules: TypeScript/JavaScript, Python.
SOURCE_EXTS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".py")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__"}


def source_files(root: str) -> list[str]:
    """Tracked files in a git repo (what .gitignore-aware scanners see), else a walk."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout.decode()
        files = [os.path.join(root, p) for p in out.split("\0") if p]
    except (subprocess.CalledProcessError, FileNotFoundError):
        files = []
        for d, dirs, names in os.walk(root):
            dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
            files += [os.path.join(d, n) for n in names]
    return [f for f in files if f.endswith(SOURCE_EXTS) and os.path.isfile(f)]


def cmd_count_lines(a: argparse.Namespace) -> int:
    files = source_files(a.dir)
    lines = nbytes = 0
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        lines += data.count(b"\n")
        nbytes += len(data)
    print(json.dumps({"files": len(files), "lines": lines, "bytes": nbytes}))
    return 0


def cmd_time(a: argparse.Namespace) -> int:
    """Fallback for hyperfine: wall time plus the children's user/system CPU time."""
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    times, users, systems = [], [], []
    for i in range(a.runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL).returncode
        dt = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if rc != 0 and not a.ignore_failure:
            print(f"bench_util time: '{a.name}' exited {rc} on run {i + 1}", file=sys.stderr)
            return 1
        times.append(dt)
        users.append(r1.ru_utime - r0.ru_utime)
        systems.append(r1.ru_stime - r0.ru_stime)
        print(f"  {a.name}: run {i + 1}/{a.runs}: {dt:.3f} s", file=sys.stderr)
    res = {"command": a.name, "times": times, "mean": statistics.mean(times),
           "median": statistics.median(times), "min": min(times), "max": max(times),
           "user": statistics.mean(users), "system": statistics.mean(systems)}
    with open(a.export, "w") as f:
        json.dump({"results": [res]}, f, indent=1)
    return 0


def cmd_target(a: argparse.Namespace) -> int:
    t = {"name": a.name, "dir": a.dir, **json.load(open(a.count)), "note": a.note,
         "measurements": [], "checks": []}
    for m in a.measure:
        key, cores, path, label = m.split(":", 3)
        t["measurements"].append({"key": key, "cores": int(cores), "json": path, "label": label})
    for c in a.check:
        tool, path = c.split(":", 1)
        t["checks"].append({"tool": tool, "text": open(path).read()})
    with open(a.out, "w") as f:
        json.dump(t, f, indent=1)
    return 0


def fmt_rate(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def cmd_report(a: argparse.Namespace) -> int:
    meta = json.load(open(a.meta))
    out: list[str] = ["# Scan throughput: Warden vs Semgrep", ""]
    out.append(f"- date: {meta.get('date', '?')}; machine: {meta.get('cpu', '?')}, "
               f"{meta.get('nproc', '?')} cores; runs per command: {meta.get('runs', '?')} "
               f"(timer: {meta.get('timer', '?')})")
    out.append(f"- semgrep {meta.get('semgrep_version', '?')} "
               f"(rules: bench/semgrep-rules.yml, `--metrics off`); "
               f"warden: {meta.get('warden', 'not measured')}")
    if meta.get("semgrep_startup_s") is not None:
        out.append(f"- semgrep fixed cost (median, `-j 1` on an empty repo): {meta['semgrep_startup_s']:.2f} s")
    out.append("- lines: newline count of the tracked .ts/.tsx/.js/.jsx/.mjs/.cjs/.py files; "
               "lines/s = lines / median wall time; per core = lines/s / cores the "
               "configuration may use; CPU s = mean user+system time.")
    out.append("")
    for tpath in a.targets:
        t = json.load(open(tpath))
        out.append(f"## {t['name']}")
        out.append("")
        out.append(f"`{t['dir']}`: {t['files']} source files, {t['lines']:,} lines, "
                   f"{t['bytes'] / 1e6:.1f} MB")
        if t.get("note"):
            out.append("")
            out.append(t["note"])
        out.append("")
        out.append("| configuration | cores | median s | min–max s | lines/s | lines/s per core | CPU s | lines per CPU s |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        rates: dict[str, float] = {}
        for m in t["measurements"]:
            r = json.load(open(m["json"]))["results"][0]
            med = r["median"]
            rate = t["lines"] / med if med > 0 else None
            cpu = r.get("user", 0) + r.get("system", 0)
            rates[m["key"]] = rate or 0
            out.append(f"| {m['label']} | {m['cores']} | {med:.2f} | {r['min']:.2f}–{r['max']:.2f} | "
                       f"{fmt_rate(rate)} | {fmt_rate(rate / m['cores'] if rate else None)} | "
                       f"{cpu:.2f} | {fmt_rate(t['lines'] / cpu if cpu > 0 else None)} |")
        out.append("")
        pairs = [("warden-1", "semgrep-1", "1 core"),
                 ("warden-all", "semgrep-all", f"{meta.get('nproc', '?')} cores")]
        ratio_lines = [f"- warden/semgrep throughput, {what}: **{rates[w] / rates[s]:.1f}×**"
                       for w, s, what in pairs if rates.get(w) and rates.get(s)]
        out += ratio_lines or ["- warden/semgrep ratio: n/a (Warden not measured)"]
        for chk in t.get("checks", []):
            out.append("")
            out.append(f"Findings check ({chk['tool']}, bench/check_findings.py):")
            out.append("")
            out.append("```")
            out.append(chk["text"].rstrip())
            out.append("```")
        out.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("count-lines")
    p.add_argument("dir")
    p.set_defaults(fn=cmd_count_lines)
    p = sub.add_parser("time")
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--export", required=True)
    p.add_argument("-n", "--name", required=True)
    p.add_argument("--ignore-failure", action="store_true", help="accept non-zero exit codes")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_time)
    p = sub.add_parser("target")
    p.add_argument("--out", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--count", required=True)
    p.add_argument("--measure", action="append", default=[])
    p.add_argument("--check", action="append", default=[])
    p.add_argument("--note", default="")
    p.set_defaults(fn=cmd_target)
    p = sub.add_parser("report")
    p.add_argument("--out", required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("targets", nargs="+")
    p.set_defaults(fn=cmd_report)
    a = ap.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
