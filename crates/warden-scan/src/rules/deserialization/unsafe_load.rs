//! Untrusted data loaded with a deserialiser that can run code.

use crate::flow::{HitKind, label};
use crate::rules::{Cx, Raw, Rule, capitalize};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "deser-unsafe-load",
    title: "Untrusted data deserialised with a code-executing format",
    category: Category::UnsafeDeserialization,
    cwe: "CWE-502",
    severity: Severity::Critical,
    what: "Finds tool arguments or fetched content passed to `pickle.loads`, `marshal.loads`, `dill`, `jsonpickle.decode`, `yaml.load` without a safe loader, `yaml.unsafe_load`, `torch.load` without `weights_only=True`, or `node-serialize`'s `unserialize`.",
    why: "These formats can encode object construction and function calls; loading attacker data runs attacker code.",
    example: "@mcp.tool()\ndef import_state(blob: str):\n    state = pickle.loads(base64.b64decode(blob))",
    fix: "Use a data-only format: `json.loads`, `yaml.safe_load`, `JSON.parse`. If a rich format is needed, validate it against a schema after a safe parse.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if hit.kind != HitKind::Sink(Effect::Deser)
            || hit.taint.labels & (label::ARG | label::EXTERNAL) == 0
        {
            continue;
        }
        let (conf, from) = if hit.taint.labels & label::ARG != 0 {
            (Confidence::High, "tool input")
        } else {
            (Confidence::Medium, "fetched content")
        };
        let msg = format!(
            "{} is deserialised by `{}`, which can run code while loading.",
            capitalize(from),
            hit.callee
        );
        out.push(cx.from_hit(&RULE, h, hit, msg, conf));
    }
}
