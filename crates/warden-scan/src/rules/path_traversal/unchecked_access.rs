//! Tool input used as a file path with no containment check.

use super::{fs_hit, prefix_without_separator, verb};
use crate::flow::clear;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "path-unchecked-access",
    title: "Tool argument is used as a file path without a containment check",
    category: Category::PathTraversal,
    cwe: "CWE-22",
    severity: Severity::High,
    what: "Finds tool arguments (and resource-template variables) that reach a file read, write or delete (`fs.readFile`, `fs.rm`, `open`, `Path.read_text`, `os.remove`, `shutil.rmtree`, ...) with no check that the resolved path stays inside an allowed root.",
    why: "`../../.ssh/id_rsa` or an absolute path reads or overwrites any file the server can reach: credentials, configuration, other users' data (CVE-2025-5273).",
    example: "server.tool(\"read\", { file: z.string() }, async ({ file }) => {\n  const text = await fs.readFile(path.join(ROOT, file), \"utf8\");\n});",
    fix: "Resolve the path (`fs.realpath`, `Path.resolve()`), then check containment with a separator: `resolved.startsWith(root + path.sep)`, `Path.is_relative_to(root)`, or `path.relative(root, p)` not starting with `..`. Resolve symlinks before checking.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if !fs_hit(hit) || cx.cleared(h, hit, clear::PATH) || prefix_without_separator(cx, h, hit) {
            continue;
        }
        let conf = if hit.taint.built || hit.taint.steps.len() > 1 {
            Confidence::High
        } else {
            Confidence::Medium
        };
        let msg = format!(
            "Tool input decides which file `{}` {}; nothing checks that it stays inside an allowed directory.",
            hit.callee,
            verb(hit)
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, conf));
    }
}
