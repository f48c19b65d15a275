#!/usr/bin/env python3
"""Generate a large synthetic MCP server repository for scan-throughput benchmarks.

The repository mixes TypeScript (MCP TypeScript SDK: `server.registerTool(...)`,
`server.tool(...)`) and Python (FastMCP: `@mcp.tool()`) files. Most of the code
is benign (helpers, data classes, string building, safe `execFile` /
`subprocess.run([...])` calls), and some tool handlers pass a tool parameter
into a shell command (`exec(`git log ${ref}`)`, `subprocess.run(f"...",
shell=True)`, `os.system(...)`): the command-injection pattern that both Warden
and bench/semgrep-rules.yml look for.

Why synthetic: it gives a repository of any size, identical on every machine
(output depends only on the arguments and --seed), with a ground truth of where
the flows are, so a throughput comparison can also check that both tools did
the same work (found the same flows).

The ground truth is written next to OUT_DIR (outside the scanned tree) as
OUT_DIR.manifest.json: one entry per sink with file, line, language and kind:
  intra      tool parameter -> shell sink in the handler itself
  inter      tool parameter -> module helper -> shell sink (needs
             inter-procedural taint; Semgrep OSS is intra-procedural)
  sanitized  the parameter is shell-quoted first: no finding expected
  safe       argv-style call or constant command: no finding expected

Usage: bench/gen_repo.py OUT_DIR --files 2000 --lines-per-file 500 [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Vocabulary: enough variety that files are not copies of each other.

AREAS = [
    "git", "files", "docker", "k8s", "search", "notes", "calendar", "db",
    "ci", "deploy", "logs", "metrics", "net", "archive", "images", "pdf",
    "cache", "users", "issues", "wiki", "mail", "billing", "infra", "media",
]
VERBS = [
    "list", "get", "find", "show", "sync", "export", "import", "check", "scan",
    "render", "summarize", "count", "compare", "resolve", "fetch", "update",
    "archive", "inspect", "describe", "tail",
]
NOUNS = [
    "commits", "branches", "files", "containers", "pods", "entries", "records",
    "reports", "logs", "tags", "releases", "events", "users", "tickets",
    "pages", "images", "packages", "volumes", "jobs", "builds", "notes",
]
FIELDS = [
    "id", "name", "title", "owner", "status", "createdAt", "updatedAt", "size",
    "kind", "labels", "path", "url", "priority", "score", "version", "region",
]
# Shell command templates: {a} and {b} are replaced by tool parameters.
COMMANDS = [
    ("git log --oneline -n 50 {a}", ["ref", "branch", "since"]),
    ("git show --stat {a}", ["ref", "tag", "commit"]),
    ("git diff {a} {b}", ["base", "head"]),
    ("grep -rn {a} {b}", ["pattern", "path"]),
    ("docker logs --tail 200 {a}", ["container", "name"]),
    ("docker inspect {a}", ["image", "container"]),
    ("kubectl get pods -n {a} -l {b}", ["namespace", "selector"]),
    ("kubectl describe deployment {a}", ["deployment", "name"]),
    ("tar czf {a} {b}", ["dest", "src"]),
    ("ping -c 3 {a}", ["host", "target"]),
    ("convert {a} -resize 50% {b}", ["file", "output"]),
    ("du -sh {a}", ["dir", "path"]),
    ("find {a} -name {b}", ["dir", "glob"]),
    ("npm view {a} version", ["pkg", "name"]),
    ("pdftotext {a} -", ["file", "document"]),
    ("journalctl -u {a} --since {b}", ["unit", "since"]),
]
# argv-style (no shell) equivalents used by the benign tools.
ARGV_CMDS = [
    ("git", ["log", "--oneline", "-n", "20"]),
    ("git", ["show", "--stat"]),
    ("docker", ["logs", "--tail", "100"]),
    ("kubectl", ["get", "pods", "-o", "json", "-n"]),
    ("du", ["-sh"]),
    ("wc", ["-l"]),
    ("file", ["--brief"]),
]
CONST_CMDS = [
    "git rev-parse --abbrev-ref HEAD",
    "git status --porcelain",
    "docker ps --format '{{.Names}}'",
    "kubectl config current-context",
    "uname -a",
    "df -h /",
]


def camel(*parts: str) -> str:
    head, *tail = parts
    return head + "".join(p[:1].upper() + p[1:] for p in tail)


def pascal(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in parts)


def snake(s: str) -> str:
    out = []
    for ch in s:
        if ch.isupper():
            out.append("_" + ch.lower())
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class Block:
    """Lines of code plus ground-truth marks at line offsets within them."""

    lines: list[str] = field(default_factory=list)
    marks: list[tuple[int, dict]] = field(default_factory=list)

    def add(self, line: str, mark: dict | None = None) -> None:
        if mark is not None:
            self.marks.append((len(self.lines), mark))
        self.lines.append(line)

    def extend(self, other: "Block", indent: str = "") -> None:
        base = len(self.lines)
        for off, m in other.marks:
            self.marks.append((base + off, m))
        self.lines.extend(indent + l if l else l for l in other.lines)


class Names:
    """Per-file unique identifiers (tool names, helper names)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: dict[str, int] = {}

    def unique(self, base: str) -> str:
        n = self.used.get(base, 0)
        self.used[base] = n + 1
        return base if n == 0 else f"{base}{n + 1}"


def pick_command(rng: random.Random) -> tuple[str, list[str]]:
    tmpl, params = rng.choice(COMMANDS)
    nargs = tmpl.count("{b}") + 1
    if nargs == 1:
        return tmpl, [rng.choice(params)]
    return tmpl, params[:2]


# --------------------------------------------------------------------------
# TypeScript

# Placeholders @ENV@ / @MAXOUT@ (not str.format: the code is full of braces).
TS_HEADER = """\
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { exec, execFile, execSync, spawn } from "node:child_process";
import { readFile, readdir, stat } from "node:fs/promises";
import * as nodePath from "node:path";

const ROOT = process.env.@ENV@ ?? process.cwd();
const MAX_OUTPUT = @MAXOUT@;

/** Runs a shell command and returns its output (shared by several tools). */
function runCommand(cmd: string, cwd: string = ROOT): string {
  return execSync(cmd, { cwd, encoding: "utf8", maxBuffer: MAX_OUTPUT });
}

/** Quotes one argument for a POSIX shell. */
function shellQuote(arg: string): string {
  return "'" + String(arg).replace(/'/g, "'\\\\''") + "'";
}

function text(body: string) {
  return { content: [{ type: "text" as const, text: body }] };
}
"""


def ts_cmd_literal(tmpl: str, vars_: list[str]) -> str:
    s = tmpl.replace("{a}", "${" + vars_[0] + "}")
    if len(vars_) > 1:
        s = s.replace("{b}", "${" + vars_[1] + "}")
    return "`" + s + "`"


def ts_cmd_concat(tmpl: str, vars_: list[str]) -> str:
    parts = tmpl.replace("{b}", "\x00b\x00").replace("{a}", "\x00a\x00").split("\x00")
    out = []
    for p in parts:
        if p == "a":
            out.append(vars_[0])
        elif p == "b":
            out.append(vars_[1])
        elif p:
            out.append(json.dumps(p))
    return " + ".join(out)


def ts_tool_header(b: Block, rng: random.Random, api: str, tname: str,
                   params: list[str], style: str) -> None:
    """Opens a tool registration; leaves the handler body open."""
    schema = ", ".join(f"{p}: z.string().describe({json.dumps('The ' + p)})" for p in params)
    desc = f"{tname.replace('_', ' ').capitalize()} for the current workspace"
    arg = "{ " + ", ".join(params) + " }" if style == "destructure" else "args"
    if api == "registerTool":
        b.add("server.registerTool(")
        b.add(f"  {json.dumps(tname)},")
        b.add("  {")
        b.add(f"    title: {json.dumps(tname.replace('_', ' ').title())},")
        b.add(f"    description: {json.dumps(desc)},")
        b.add(f"    inputSchema: {{ {schema} }},")
        b.add("  },")
        b.add(f"  async ({arg}) => {{")
    else:
        b.add(f"server.tool({json.dumps(tname)}, {json.dumps(desc)}, {{ {schema} }}, async ({arg}) => {{")


def ts_tool_footer(b: Block, api: str) -> None:
    b.add("  }" if api == "registerTool" else "});")
    if api == "registerTool":
        b.add(");")


def ts_tool(rng: random.Random, names: Names, kind: str) -> Block:
    b = Block()
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    tname = names.unique(f"{verb}_{noun}")
    api = rng.choice(["registerTool", "registerTool", "tool"])
    style = rng.choice(["destructure", "destructure", "destructure", "args"])
    tmpl, params = pick_command(rng)
    ind = "    " if api == "registerTool" else "  "
    ts_tool_header(b, rng, api, tname, params, style)
    vars_ = params if style == "destructure" else [f"args.{p}" for p in params]
    if kind == "intra":
        variant = rng.choice(["exec_cb", "execSync_var", "execSync_direct", "spawn_shell"])
        mark = {"kind": "intra", "variant": variant, "tool": tname}
        if variant == "exec_cb":
            b.add(f"{ind}return new Promise((resolve, reject) => {{")
            b.add(f"{ind}  exec({ts_cmd_literal(tmpl, vars_)}, {{ cwd: ROOT, maxBuffer: MAX_OUTPUT }}, (err, stdout, stderr) => {{", mark)
            b.add(f"{ind}    if (err) return reject(new Error(stderr || err.message));")
            b.add(f"{ind}    resolve(text(stdout.trim()));")
            b.add(f"{ind}  }});")
            b.add(f"{ind}}});")
        elif variant == "execSync_var":
            b.add(f"{ind}const cmd = {ts_cmd_concat(tmpl, vars_)};")
            b.add(f"{ind}const out = execSync(cmd, {{ cwd: ROOT, encoding: \"utf8\" }});", mark)
            b.add(f"{ind}const lines = out.split(\"\\n\").filter(Boolean);")
            b.add(f"{ind}return text(lines.slice(0, {rng.randint(20, 200)}).join(\"\\n\"));")
        elif variant == "execSync_direct":
            b.add(f"{ind}const out = execSync({ts_cmd_literal(tmpl, vars_)}).toString();", mark)
            b.add(f"{ind}return text(out);")
        else:
            b.add(f"{ind}const child = spawn({ts_cmd_literal(tmpl, vars_)}, {{ shell: true, cwd: ROOT }});", mark)
            b.add(f"{ind}let out = \"\";")
            b.add(f"{ind}child.stdout.on(\"data\", (chunk: Buffer) => {{ out += chunk.toString(); }});")
            b.add(f"{ind}await new Promise((resolve) => child.on(\"close\", resolve));")
            b.add(f"{ind}return text(out);")
    elif kind == "inter":
        mark = {"kind": "inter", "variant": "helper_runCommand", "tool": tname}
        b.add(f"{ind}const out = runCommand({ts_cmd_literal(tmpl, vars_)});", mark)
        b.add(f"{ind}return text(out.trim());")
    elif kind == "sanitized":
        mark = {"kind": "sanitized", "variant": "shellQuote", "tool": tname}
        q = [f"shellQuote({v})" for v in vars_]
        b.add(f"{ind}const out = execSync({ts_cmd_literal(tmpl, q)}, {{ encoding: \"utf8\" }});", mark)
        b.add(f"{ind}return text(out);")
    elif kind == "safe":
        if rng.random() < 0.6:
            prog, argv = rng.choice(ARGV_CMDS)
            mark = {"kind": "safe", "variant": "execFile_argv", "tool": tname}
            argl = ", ".join(json.dumps(a) for a in argv) + ", " + vars_[0]
            b.add(f"{ind}return new Promise((resolve, reject) => {{")
            b.add(f"{ind}  execFile({json.dumps(prog)}, [{argl}], {{ cwd: ROOT }}, (err, stdout) => {{", mark)
            b.add(f"{ind}    if (err) return reject(err);")
            b.add(f"{ind}    resolve(text(stdout));")
            b.add(f"{ind}  }});")
            b.add(f"{ind}}});")
        else:
            mark = {"kind": "safe", "variant": "const_cmd", "tool": tname}
            b.add(f"{ind}const current = execSync({json.dumps(rng.choice(CONST_CMDS))}, {{ encoding: \"utf8\" }}).trim();", mark)
            b.add(f"{ind}return text(`${{current}}: ${{{vars_[0]}}}`);")
    else:  # plain tool: files / JSON, no commands
        f = rng.sample(FIELDS, 3)
        b.add(f"{ind}const target = nodePath.resolve(ROOT, String({vars_[0]}));")
        b.add(f"{ind}const info = await stat(target);")
        b.add(f"{ind}if (info.isDirectory()) {{")
        b.add(f"{ind}  const entries = await readdir(target);")
        b.add(f"{ind}  return text(entries.sort().slice(0, {rng.randint(10, 500)}).join(\"\\n\"));")
        b.add(f"{ind}}}")
        b.add(f"{ind}const raw = JSON.parse(await readFile(target, \"utf8\"));")
        b.add(f"{ind}const rows = (Array.isArray(raw) ? raw : [raw]).map((r) => ({{")
        for fl in f:
            b.add(f"{ind}  {fl}: r.{fl} ?? null,")
        b.add(f"{ind}}}));")
        b.add(f"{ind}return text(JSON.stringify(rows, null, 2));")
    ts_tool_footer(b, api)
    b.add("")
    return b


def ts_helper(rng: random.Random, names: Names) -> Block:
    b = Block()
    kind = rng.choice(["interface", "format", "paginate", "class", "switch", "parse", "const"])
    noun = rng.choice(NOUNS)
    if kind == "interface":
        name = names.unique(pascal(noun.rstrip("s"), "Record"))
        b.add(f"export interface {name} {{")
        for fl in rng.sample(FIELDS, rng.randint(4, 9)):
            b.add(f"  {fl}{rng.choice(['', '?'])}: {rng.choice(['string', 'number', 'boolean', 'string[]', 'Date | null'])};")
        b.add("}")
    elif kind == "format":
        fn = names.unique(camel("format", noun))
        cols = rng.sample(FIELDS, rng.randint(2, 5))
        b.add(f"export function {fn}(rows: Array<Record<string, unknown>>, width = {rng.randint(40, 160)}): string {{")
        b.add(f"  const header = {json.dumps(cols)}.join(\" | \");")
        b.add("  const body = rows.map((row) => {")
        b.add("    const cells = [")
        for c in cols:
            b.add(f"      String(row[{json.dumps(c)}] ?? \"-\"),")
        b.add("    ];")
        b.add("    const line = cells.join(\" | \");")
        b.add("    return line.length > width ? line.slice(0, width - 1) + \"…\" : line;")
        b.add("  });")
        b.add("  return [header, \"-\".repeat(header.length), ...body].join(\"\\n\");")
        b.add("}")
    elif kind == "paginate":
        fn = names.unique(camel("paginate", noun))
        b.add(f"export function {fn}<T>(items: T[], page: number, size = {rng.choice([10, 20, 25, 50, 100])}): {{ items: T[]; next?: number }} {{")
        b.add("  const start = Math.max(0, page) * size;")
        b.add("  const slice = items.slice(start, start + size);")
        b.add("  const next = start + size < items.length ? page + 1 : undefined;")
        b.add("  return next === undefined ? { items: slice } : { items: slice, next };")
        b.add("}")
    elif kind == "class":
        name = names.unique(pascal(noun.rstrip("s"), "Cache"))
        b.add(f"export class {name}<V> {{")
        b.add("  private readonly entries = new Map<string, { value: V; expires: number }>();")
        b.add(f"  constructor(private readonly ttlMs: number = {rng.randint(1, 60) * 1000}) {{}}")
        b.add("")
        b.add("  get(key: string): V | undefined {")
        b.add("    const hit = this.entries.get(key);")
        b.add("    if (!hit) return undefined;")
        b.add("    if (hit.expires < Date.now()) {")
        b.add("      this.entries.delete(key);")
        b.add("      return undefined;")
        b.add("    }")
        b.add("    return hit.value;")
        b.add("  }")
        b.add("")
        b.add("  set(key: string, value: V): void {")
        b.add("    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });")
        b.add("  }")
        b.add("")
        b.add("  get size(): number {")
        b.add("    return this.entries.size;")
        b.add("  }")
        b.add("}")
    elif kind == "switch":
        fn = names.unique(camel("describe", noun.rstrip("s"), "Status"))
        b.add(f"export function {fn}(status: string): string {{")
        b.add("  switch (status.toLowerCase()) {")
        for st in rng.sample(["open", "closed", "pending", "failed", "running", "queued", "done", "archived"], 4):
            b.add(f"    case {json.dumps(st)}:")
            b.add(f"      return {json.dumps(st.capitalize() + ' ' + noun)};")
        b.add("    default:")
        b.add("      return `Unknown status: ${status}`;")
        b.add("  }")
        b.add("}")
    elif kind == "parse":
        fn = names.unique(camel("parse", noun.rstrip("s"), "Line"))
        sep = rng.choice(["\\t", ",", ";", "|"])
        cols = rng.sample(FIELDS, 3)
        b.add(f"export function {fn}(line: string): Record<string, string> | null {{")
        b.add(f"  const parts = line.split(\"{sep}\").map((p) => p.trim());")
        b.add(f"  if (parts.length < {len(cols)}) return null;")
        b.add("  return {")
        for i, c in enumerate(cols):
            b.add(f"    {c}: parts[{i}],")
        b.add("  };")
        b.add("}")
    else:
        name = names.unique(f"{noun.upper()}_LIMITS")
        b.add(f"export const {name} = {{")
        for fl in rng.sample(FIELDS, rng.randint(3, 6)):
            b.add(f"  {fl}: {rng.randint(1, 10_000)},")
        b.add("} as const;")
    b.add("")
    return b


def ts_file(rng: random.Random, area: str, idx: int, target_lines: int, rates: dict) -> Block:
    names = Names(rng)
    out = Block()
    header = (TS_HEADER.replace("@ENV@", f"{area.upper()}_ROOT")
              .replace("@MAXOUT@", str(rng.choice([1, 4, 8, 16]) * 1024 * 1024)))
    for l in header.rstrip("\n").split("\n"):
        out.add(l)
    out.add("")
    tools, helpers = Block(), Block()
    total = len(out.lines) + 3
    while total < target_lines:
        if rng.random() < 0.45:
            blk = ts_tool(rng, names, choose_kind(rng, rates))
            tools.extend(blk)
        else:
            blk = ts_helper(rng, names)
            helpers.extend(blk)
        total += len(blk.lines)
    out.add(f"export function register{pascal(area)}Tools{idx}(server: McpServer): void {{")
    out.extend(tools, indent="  ")
    out.add("}")
    out.add("")
    out.extend(helpers)
    return out


# --------------------------------------------------------------------------
# Python

PY_HEADER = '''\
"""{title} tools for the MCP server."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..app import mcp

ROOT = Path(os.environ.get("{env}", ".")).resolve()
TIMEOUT = {timeout}


def _run(cmd: str, cwd: Path = ROOT) -> str:
    """Run a shell command and return its output (shared by several tools)."""
    return subprocess.check_output(cmd, shell=True, cwd=cwd, text=True, timeout=TIMEOUT)
'''


def py_cmd_fstring(tmpl: str, vars_: list[str]) -> str:
    s = tmpl.replace("{a}", "{" + vars_[0] + "}")
    if len(vars_) > 1:
        s = s.replace("{b}", "{" + vars_[1] + "}")
    return 'f"' + s + '"'


def py_cmd_concat(tmpl: str, vars_: list[str]) -> str:
    return ts_cmd_concat(tmpl, vars_)  # same "lit" + var + "lit" shape


def py_tool(rng: random.Random, names: Names, kind: str) -> Block:
    b = Block()
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    fname = names.unique(f"{verb}_{noun}")
    tmpl, params = pick_command(rng)
    deco = rng.choice(["@mcp.tool()", "@mcp.tool()", "@mcp.tool",
                       f'@mcp.tool(name="{fname}", description="{verb.capitalize()} {noun}")'])
    is_async = rng.random() < 0.4
    sig = ", ".join(f"{p}: str" for p in params)
    if rng.random() < 0.5:
        sig += f", limit: int = {rng.choice([10, 20, 50, 100])}"
    b.add(deco)
    b.add(f"{'async ' if is_async else ''}def {fname}({sig}) -> str:")
    b.add(f'    """{verb.capitalize()} {noun} ({", ".join(params)})."""')
    if kind == "intra":
        variant = rng.choice(["run_fstring", "check_output_var", "os_system", "popen"])
        mark = {"kind": "intra", "variant": variant, "tool": fname}
        if variant == "run_fstring":
            b.add(f"    result = subprocess.run({py_cmd_fstring(tmpl, params)}, shell=True, capture_output=True, text=True, cwd=ROOT)", mark)
            b.add("    if result.returncode != 0:")
            b.add('        return f"error: {result.stderr.strip()}"')
            b.add("    return result.stdout")
        elif variant == "check_output_var":
            b.add(f"    cmd = {py_cmd_concat(tmpl, params)}")
            b.add("    out = subprocess.check_output(cmd, shell=True, text=True, timeout=TIMEOUT)", mark)
            b.add(f"    return \"\\n\".join(out.splitlines()[:{rng.randint(20, 200)}])")
        elif variant == "os_system":
            b.add(f"    status = os.system({py_cmd_fstring(tmpl, params)})", mark)
            b.add('    return "ok" if status == 0 else f"exit status {status}"')
        else:
            b.add(f"    command = {py_cmd_fstring(tmpl, params)}")
            b.add("    proc = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, text=True)", mark)
            b.add("    out, _ = proc.communicate(timeout=TIMEOUT)")
            b.add("    return out")
    elif kind == "inter":
        mark = {"kind": "inter", "variant": "helper__run", "tool": fname}
        b.add(f"    return _run({py_cmd_fstring(tmpl, params)}).strip()", mark)
    elif kind == "sanitized":
        mark = {"kind": "sanitized", "variant": "shlex_quote", "tool": fname}
        q = [f"shlex.quote({p})" for p in params]
        b.add(f"    result = subprocess.run({py_cmd_fstring(tmpl, q)}, shell=True, capture_output=True, text=True)", mark)
        b.add("    return result.stdout")
    elif kind == "safe":
        if rng.random() < 0.6:
            prog, argv = rng.choice(ARGV_CMDS)
            mark = {"kind": "safe", "variant": "run_argv", "tool": fname}
            argl = ", ".join(json.dumps(a) for a in [prog] + argv) + ", " + params[0]
            b.add(f"    result = subprocess.run([{argl}], capture_output=True, text=True, cwd=ROOT)", mark)
            b.add("    return result.stdout")
        else:
            mark = {"kind": "safe", "variant": "const_cmd", "tool": fname}
            b.add(f"    current = subprocess.check_output({json.dumps(rng.choice(CONST_CMDS))}, shell=True, text=True).strip()", mark)
            b.add(f'    return f"{{current}}: {{{params[0]}}}"')
    else:
        cols = rng.sample(FIELDS, 3)
        b.add(f"    target = (ROOT / {params[0]}).resolve()")
        b.add("    if target.is_dir():")
        b.add(f"        names = sorted(p.name for p in target.iterdir())[:{rng.randint(10, 500)}]")
        b.add('        return "\\n".join(names)')
        b.add("    data = json.loads(target.read_text())")
        b.add("    rows = data if isinstance(data, list) else [data]")
        b.add("    return json.dumps(")
        b.add(f"        [{{k: r.get(k) for k in {cols!r}}} for r in rows],")
        b.add("        indent=2,")
        b.add("    )")
    b.add("")
    b.add("")
    return b


def py_helper(rng: random.Random, names: Names) -> Block:
    b = Block()
    kind = rng.choice(["dataclass", "format", "paginate", "class", "parse", "const", "group"])
    noun = rng.choice(NOUNS)
    if kind == "dataclass":
        name = names.unique(pascal(noun.rstrip("s"), "Record"))
        b.add("@dataclass")
        b.add(f"class {name}:")
        for fl in rng.sample(FIELDS, rng.randint(3, 8)):
            b.add(f"    {snake(fl)}: {rng.choice(['str', 'int', 'bool', 'float'])} | None = None")
        b.add("    tags: list[str] = field(default_factory=list)")
        b.add("")
        b.add("    def to_dict(self) -> dict[str, Any]:")
        b.add("        return {k: v for k, v in self.__dict__.items() if v is not None}")
    elif kind == "format":
        fn = names.unique(f"format_{noun}")
        cols = [snake(c) for c in rng.sample(FIELDS, rng.randint(2, 5))]
        b.add(f"def {fn}(rows: list[dict[str, Any]], width: int = {rng.randint(40, 160)}) -> str:")
        b.add(f"    header = \" | \".join({cols!r})")
        b.add("    lines = [header, \"-\" * len(header)]")
        b.add("    for row in rows:")
        b.add(f"        line = \" | \".join(str(row.get(c, \"-\")) for c in {cols!r})")
        b.add("        lines.append(line if len(line) <= width else line[: width - 1] + \"…\")")
        b.add("    return \"\\n\".join(lines)")
    elif kind == "paginate":
        fn = names.unique(f"paginate_{noun}")
        b.add(f"def {fn}(items: list[Any], page: int, size: int = {rng.choice([10, 20, 25, 50])}) -> tuple[list[Any], int | None]:")
        b.add("    start = max(0, page) * size")
        b.add("    chunk = items[start : start + size]")
        b.add("    nxt = page + 1 if start + size < len(items) else None")
        b.add("    return chunk, nxt")
    elif kind == "class":
        name = names.unique(pascal(noun.rstrip("s"), "Index"))
        key = snake(rng.choice(FIELDS))
        b.add(f"class {name}:")
        b.add(f'    """In-memory index of {noun} by {key}."""')
        b.add("")
        b.add("    def __init__(self) -> None:")
        b.add("        self._items: dict[str, dict[str, Any]] = {}")
        b.add("")
        b.add("    def add(self, item: dict[str, Any]) -> None:")
        b.add(f"        self._items[str(item[\"{key}\"])] = item")
        b.add("")
        b.add("    def get(self, key: str) -> dict[str, Any] | None:")
        b.add("        return self._items.get(key)")
        b.add("")
        b.add("    def __len__(self) -> int:")
        b.add("        return len(self._items)")
    elif kind == "parse":
        fn = names.unique(f"parse_{noun.rstrip('s')}_line")
        sep = rng.choice(["\\t", ",", ";", "|"])
        cols = [snake(c) for c in rng.sample(FIELDS, 3)]
        b.add(f"def {fn}(line: str) -> dict[str, str] | None:")
        b.add(f"    parts = [p.strip() for p in line.split(\"{sep}\")]")
        b.add(f"    if len(parts) < {len(cols)}:")
        b.add("        return None")
        b.add(f"    return dict(zip({cols!r}, parts))")
    elif kind == "group":
        fn = names.unique(f"group_{noun}_by_status")
        b.add(f"def {fn}(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:")
        b.add("    groups: dict[str, list[dict[str, Any]]] = {}")
        b.add("    for item in items:")
        b.add("        groups.setdefault(str(item.get(\"status\", \"unknown\")), []).append(item)")
        b.add("    return dict(sorted(groups.items()))")
    else:
        name = names.unique(f"{noun.upper()}_LIMITS")
        b.add(f"{name} = {{")
        for fl in rng.sample(FIELDS, rng.randint(3, 6)):
            b.add(f"    \"{snake(fl)}\": {rng.randint(1, 10_000)},")
        b.add("}")
    b.add("")
    b.add("")
    return b


def py_file(rng: random.Random, area: str, idx: int, target_lines: int, rates: dict) -> Block:
    names = Names(rng)
    out = Block()
    header = PY_HEADER.format(title=area.capitalize(), env=f"{area.upper()}_ROOT",
                              timeout=rng.choice([10, 30, 60, 120]))
    for l in header.rstrip("\n").split("\n"):
        out.add(l)
    out.add("")
    out.add("")
    while len(out.lines) < target_lines:
        if rng.random() < 0.45:
            out.extend(py_tool(rng, names, choose_kind(rng, rates)))
        else:
            out.extend(py_helper(rng, names))
    while out.lines and out.lines[-1] == "":
        out.lines.pop()
    return out


# --------------------------------------------------------------------------

def choose_kind(rng: random.Random, rates: dict) -> str:
    r = rng.random()
    for kind in ("intra", "inter", "sanitized", "safe"):
        if r < rates[kind]:
            return kind
        r -= rates[kind]
    return "plain"


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--files", type=int, default=2000, help="number of source files (default 2000)")
    ap.add_argument("--lines-per-file", type=int, default=500, help="approximate lines per file (default 500)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ts-share", type=float, default=0.55, help="share of TypeScript files (rest Python)")
    ap.add_argument("--vuln-rate", type=float, default=0.12, help="share of tools with an intra-procedural flow")
    ap.add_argument("--inter-rate", type=float, default=0.04, help="share of tools with a flow through a helper")
    ap.add_argument("--manifest", help="ground-truth JSON (default: OUT_DIR.manifest.json, outside the tree)")
    ap.add_argument("--no-git", action="store_true", help="do not make OUT_DIR a git repository")
    ap.add_argument("--force", action="store_true", help="replace OUT_DIR if it exists")
    a = ap.parse_args()

    out = os.path.abspath(a.out_dir)
    manifest_path = a.manifest or out.rstrip("/") + ".manifest.json"
    if os.path.exists(out):
        if not a.force:
            print(f"gen_repo: {out} exists (use --force to replace)", file=sys.stderr)
            return 2
        shutil.rmtree(out)
    rates = {"intra": a.vuln_rate, "inter": a.inter_rate, "sanitized": 0.04, "safe": 0.15}

    flows: list[dict] = []
    ts_modules: list[tuple[str, str]] = []
    n_ts = round(a.files * a.ts_share)
    for i in range(a.files):
        # One RNG per file, seeded from (seed, index): output is identical on
        # every run and machine, and growing --files keeps earlier files.
        rng = random.Random(f"warden-bench:{a.seed}:{i}")
        area = AREAS[i % len(AREAS)]
        sub = f"{area}{i // len(AREAS):04d}"
        is_ts = i < n_ts
        if is_ts:
            rel = f"src/tools/{area}/{sub}.ts"
            blk = ts_file(rng, area, i, a.lines_per_file, rates)
            ts_modules.append((rel, f"register{pascal(area)}Tools{i}"))
        else:
            rel = f"server/{area}/{sub}.py"
            blk = py_file(rng, area, i, a.lines_per_file, rates)
        write(os.path.join(out, rel), "\n".join(blk.lines) + "\n")
        for off, m in blk.marks:
            flows.append({"file": rel, "line": off + 1, "lang": "ts" if is_ts else "py", **m})

    # Entry points and project files, as a real server repository has them.
    idx = ['import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";',
           'import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";']
    for rel, fn in ts_modules:
        idx.append(f'import {{ {fn} }} from "./{rel[len("src/"):-3]}.js";')
    idx += ["", 'const server = new McpServer({ name: "synthetic-bench", version: "1.0.0" });']
    idx += [f"{fn}(server);" for _, fn in ts_modules]
    idx += ["", "await server.connect(new StdioServerTransport());"]
    write(os.path.join(out, "src/index.ts"), "\n".join(idx) + "\n")
    write(os.path.join(out, "server/__init__.py"), "")
    write(os.path.join(out, "server/app.py"),
          'from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP("synthetic-bench")\n')
    py_areas = sorted({r["file"].split("/")[1] for r in flows if r["lang"] == "py"})
    for ar in py_areas:
        write(os.path.join(out, f"server/{ar}/__init__.py"), "")
    write(os.path.join(out, "package.json"), json.dumps({
        "name": "synthetic-bench-mcp", "version": "1.0.0", "type": "module",
        "dependencies": {"@modelcontextprotocol/sdk": "^1.20.0", "zod": "^3.25.0"}}, indent=2) + "\n")
    write(os.path.join(out, "pyproject.toml"),
          '[project]\nname = "synthetic-bench-mcp"\nversion = "1.0.0"\ndependencies = ["mcp>=1.10"]\n')
    write(os.path.join(out, "README.md"),
          "# synthetic-bench-mcp\n\nGenerated by warden bench/gen_repo.py for scan benchmarks. "
          "Contains deliberately vulnerable code: do not run.\n")

    if not a.no_git:
        # A repository root of its own: scanners that honour .gitignore (Semgrep,
        # the `ignore` crate) then use this repo's rules, not an enclosing repo's
        # (bench/work/ is git-ignored in Warden's own repo).
        env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@invalid",
                   GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@invalid",
                   GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
        for cmd in (["git", "init", "-q"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "--no-gpg-sign", "-m", "synthetic MCP server"]):
            subprocess.run(cmd, cwd=out, env=env, check=True)

    counts: dict[str, int] = {}
    for f in flows:
        k = f"{f['lang']}:{f['kind']}"
        counts[k] = counts.get(k, 0) + 1
    manifest = {"generator": "bench/gen_repo.py", "seed": a.seed, "files": a.files,
                "lines_per_file": a.lines_per_file, "counts": dict(sorted(counts.items())),
                "flows": flows}
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"gen_repo: {a.files} files in {out}; flows {dict(sorted(counts.items()))}; manifest {manifest_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
