#!/usr/bin/env python3
"""Compare a scanner's findings with the ground truth of bench/gen_repo.py.

Why: a throughput comparison is only fair if both tools did the work, i.e.
found the planted flows. This prints, per language and kind, how many of the
manifest's sinks have a finding on their line, and how many findings match
no expected flow (false positives or findings in helpers).

Reads Semgrep's --json output, or Warden's JSON / SARIF output if it has
results with a path and a start line (SARIF locations, or objects with
path/file and line/start_line/start.line keys).

Usage: bench/check_findings.py [--manifest MANIFEST.json] FINDINGS.json [--json]
(without a manifest, e.g. for a real repository: only counts the findings)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Iterator


def _norm(path: str) -> str:
    path = path.replace("\\", "/")
    if path.startswith("file://"):
        path = path[len("file://"):]
    while path.startswith("./"):
        path = path[2:]
    return path


def findings(doc: Any) -> Iterator[tuple[str, int]]:
    """(path, line) for every result in Semgrep JSON, SARIF, or a generic list."""
    if isinstance(doc, dict) and "runs" in doc:  # SARIF
        for run in doc["runs"]:
            for r in run.get("results", []):
                for loc in r.get("locations", [])[:1]:
                    pl = loc.get("physicalLocation", {})
                    yield (_norm(pl.get("artifactLocation", {}).get("uri", "")),
                           int(pl.get("region", {}).get("startLine", 0)))
        return
    items = doc.get("results", doc.get("findings", [])) if isinstance(doc, dict) else doc
    for r in items:
        path = r.get("path") or r.get("file") or (r.get("location") or {}).get("path", "")
        line = (r.get("start") or {}).get("line") or r.get("line") or r.get("start_line") \
            or (r.get("location") or {}).get("line") or (r.get("location") or {}).get("start_line") or 0
        yield _norm(path), int(line)
        # Warden: a flow through a helper is reported at the sink, and its evidence
        # names the call site in the tool, which is where the manifest marks it.
        for step in r.get("evidence") or []:
            loc = step.get("location") or {}
            if loc.get("path") and str(step.get("note", "")).startswith("passed to"):
                yield _norm(loc["path"]), int(loc.get("start_line") or 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--manifest", help="ground truth from bench/gen_repo.py")
    ap.add_argument("findings")
    ap.add_argument("--json", action="store_true", help="print a JSON summary")
    a = ap.parse_args()

    with open(a.findings) as f:
        found = list(findings(json.load(f)))
    if not a.manifest:
        files = len({p for p, _ in found})
        print(json.dumps({"findings": len(found), "files": files}) if a.json
              else f"findings: {len(found)} in {files} files")
        return 0
    man = json.load(open(a.manifest))

    # Findings paths may be absolute or relative to wherever the scan ran:
    # match on the manifest's repo-relative path as a suffix.
    by_suffix: dict[str, set[int]] = {}
    for path, line in found:
        by_suffix.setdefault(path, set()).add(line)

    def lines_for(rel: str) -> set[int]:
        out: set[int] = set()
        for p, ls in by_suffix.items():
            if p == rel or p.endswith("/" + rel):
                out |= ls
        return out

    cache: dict[str, set[int]] = {}
    stats: dict[str, dict[str, int]] = {}
    matched: set[tuple[str, int]] = set()
    for fl in man["flows"]:
        key = f"{fl['lang']}:{fl['kind']}"
        st = stats.setdefault(key, {"expected": 0, "found": 0})
        st["expected"] += 1
        ls = cache.setdefault(fl["file"], lines_for(fl["file"]))
        if fl["line"] in ls:
            st["found"] += 1
            matched.add((fl["file"], fl["line"]))

    unmatched = [(p, l) for p, l in found
                 if not any(p == f or p.endswith("/" + f) for f, ln in matched if ln == l)]
    tp = sum(v["found"] for k, v in stats.items() if k.endswith((":intra", ":inter")))
    fp_known = sum(v["found"] for k, v in stats.items() if k.endswith((":safe", ":sanitized")))
    summary = {"findings": len(found), "by_kind": dict(sorted(stats.items())),
               "true_positives": tp, "findings_on_safe_or_sanitized": fp_known,
               "findings_matching_no_planted_sink": len(unmatched)}
    if a.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"findings: {len(found)}")
        for k, v in sorted(stats.items()):
            want = "expected" if k.endswith((":intra", ":inter")) else "should be 0"
            print(f"  {k:14s} {v['found']:6d} / {v['expected']:6d} planted ({want})")
        print(f"  findings matching no planted sink: {len(unmatched)}"
              + (f" e.g. {unmatched[:3]}" if unmatched else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
