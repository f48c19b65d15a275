#!/usr/bin/env python3
"""Dev-case recall: run `warden scan` on each vulnerable tree of the dev corpus and
check that a finding of the case's class lands in the case's file (and, for fixed
trees, list what is still reported there).

The trees are not part of this repository (they are other projects' code); make
them with the search tool's `fetch`, extract each commit, and describe them in a
TSV with the columns: case_id, local_dir_vulnerable, local_dir_fixed, file_path,
vuln_class, line_range.

Usage: bench/devcases.py MANIFEST.tsv [--warden target/release/warden] [--json OUT]
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

# The corpus's classes mapped to Warden categories that count as a hit.
CLASS_TO_CATEGORIES = {
    "command-injection": {"command-injection"},
    "code-eval": {"code-eval"},
    "sql-injection": {"sql-injection"},
    "path-traversal": {"path-traversal"},
    "ssrf": {"ssrf"},
    "prompt-injection-exposure": {"prompt-injection-exposure"},
    "tool-poisoning": {"tool-poisoning"},
    "excessive-permissions": {"excessive-permissions"},
    "secret-leak-to-output": {"secret-leak"},
    "rug-pull": {"rug-pull"},
    # CVE-2025-10193 (DNS rebinding) is filed as "other" in the corpus.
    "other": {"insecure-transport"},
}


def scan(warden: str, tree: str, cache: dict) -> dict:
    if tree not in cache:
        out = subprocess.run([warden, "scan", tree, "--format", "json"], capture_output=True, text=True)
        if out.returncode not in (0, 1):
            sys.exit(f"warden failed on {tree}: {out.stderr}")
        cache[tree] = json.loads(out.stdout)
    return cache[tree]


def in_file(finding: dict, file_path: str) -> bool:
    # "src/Markdownify.ts (reached from ...)" names the file first.
    files = [f.strip().split(" ")[0] for f in file_path.replace(";", ",").split(",")]
    return any(finding["location"]["path"] == f or finding["location"]["path"].startswith(f.rstrip("/") + "/") for f in files if f)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("--warden", default="target/release/warden")
    ap.add_argument("--json", help="write per-case results here")
    a = ap.parse_args()
    cache: dict = {}
    rows = []
    lines = Path(a.manifest).read_text().splitlines()[1:]
    for line in lines:
        case_id, vuln_dir, fixed_dir, file_path, cls, line_range = line.split("\t")
        if vuln_dir == "-":
            rows.append({"case": case_id, "status": "skipped (tree not available)"})
            continue
        report = scan(a.warden, vuln_dir, cache)
        active = [f for f in report["findings"] if not f.get("suppressed")]
        if cls == "-":
            highs = [f for f in active if f["severity"] in ("critical", "high")]
            rows.append({
                "case": case_id,
                "status": "clean",
                "findings": len(active),
                "high_or_critical": [f"{f['rule']} {f['location']['path']}:{f['location']['start_line']}" for f in highs],
                "grade": report["grades"]["overall"],
            })
            continue
        cats = CLASS_TO_CATEGORIES.get(cls, {cls})
        hits = [f for f in active if f["category"] in cats and in_file(f, file_path)]
        row = {
            "case": case_id,
            "class": cls,
            "status": "found" if hits else "MISSED",
            "hits": [f"{f['rule']} {f['location']['path']}:{f['location']['start_line']}" for f in hits],
            "grade": report["grades"]["overall"],
        }
        if fixed_dir != "-":
            fixed = scan(a.warden, fixed_dir, cache)
            still = [f for f in fixed["findings"] if not f.get("suppressed") and f["category"] in cats and in_file(f, file_path)]
            row["after_fix"] = [f"{f['rule']} {f['location']['path']}:{f['location']['start_line']}" for f in still]
        rows.append(row)
    vuln = [r for r in rows if r.get("class")]
    found = [r for r in vuln if r["status"] == "found"]
    for r in rows:
        print(json.dumps(r))
    print(f"\nrecall: {len(found)}/{len(vuln)} vulnerable dev cases found in the right file with the right class")
    if a.json:
        Path(a.json).write_text(json.dumps({"recall": [len(found), len(vuln)], "cases": rows}, indent=2))


if __name__ == "__main__":
    main()
