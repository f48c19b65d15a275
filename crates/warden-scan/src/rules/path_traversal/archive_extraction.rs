//! Extraction of an untrusted archive without per-entry path checks (zip slip).

use crate::flow::{HitKind, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "path-archive-extraction",
    title: "Untrusted archive is extracted without checking entry paths",
    category: Category::PathTraversal,
    cwe: "CWE-22",
    severity: Severity::High,
    what: "Finds archives named or supplied by tool input (or downloaded) that are extracted with `tarfile.extractall`/`zipfile.extractall` without `filter=`/`members=`, `shutil.unpack_archive`, AdmZip `extractAllTo`, or `tar.x`.",
    why: "Entry names such as `../../home/user/.bashrc` or absolute paths, and symlink entries, write files outside the destination (zip slip).",
    example: "with tarfile.open(archive_path) as tar:\n    tar.extractall(dest)",
    fix: "Use `extractall(dest, filter=\"data\")` (Python 3.12+), or check each entry: resolve `dest / name` and require it to stay inside `dest`; refuse links.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Sink(Effect::Archive)
            || hit.taint.labels & (label::ARG | label::EXTERNAL) == 0
        {
            continue;
        }
        let msg = format!(
            "An archive chosen by tool input is extracted by `{}` without checking where its entries land.",
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, Confidence::High));
    }
}
