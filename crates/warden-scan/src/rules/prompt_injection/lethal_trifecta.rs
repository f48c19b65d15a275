//! Untrusted input, private data and an exfiltration channel in one server.

use super::returns_external;
use crate::flow::{HitKind, clear, label};
use crate::rules::{Cx, Raw, Rule};
use crate::sinks::Effect;
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "pi-lethal-trifecta",
    title: "Server combines untrusted content, private data and an exfiltration channel",
    category: Category::PromptInjectionExposure,
    cwe: "CWE-1427",
    severity: Severity::High,
    what: "Reports a server that has, at once, a tool that returns untrusted external content, a tool that reads private data (a database or local files), and a tool that can send data out (an HTTP request to a model-chosen URL, a POST, or e-mail).",
    why: "Injected text in the untrusted content can tell the model to read the private data and send it out through the third tool; each tool alone looks harmless. This is the shape of most real MCP data-theft incidents.",
    example: "fetch_page(url)        # untrusted content\nquery_customers(sql)   # private data\nsend_email(to, body)   # exfiltration",
    fix: "Split the capabilities across servers or sessions, restrict the outbound tool to fixed destinations, or require user confirmation for it; mark fetched content as untrusted.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    // The strongest source anchors the finding: web content over files.
    let rank = |o: &str| -> u8 {
        if o.contains("model-chosen")
            || o.contains("issue")
            || o.contains("message")
            || o.contains("page")
        {
            3
        } else if o.contains("file contents") {
            1
        } else {
            2
        }
    };
    let mut untrusted: Option<(&crate::discover::FoundTool, u8)> = None;
    let mut private = None;
    let mut exfil = None;
    for t in &cx.inv.tools {
        let Some(h) = t.handler else { continue };
        let run = &cx.runs[h];
        let mine = |site: crate::ir::Span| {
            t.branch.is_none()
                || cx
                    .tool_for(h, site)
                    .is_some_and(|x| x.def.name == t.def.name)
        };
        let effects = crate::rules::permissions::effects(cx, t);
        let best = run
            .hits
            .iter()
            .filter(|x| returns_external(x) && mine(x.root_site))
            .flat_map(|x| x.taint.origins.iter().map(|o| rank(o)))
            .max();
        if let Some(r) = best
            && untrusted.is_none_or(|(_, old)| r > old)
        {
            untrusted = Some((t, r));
        }
        if private.is_none()
            && effects.iter().any(|e| {
                (matches!(e.effect, Effect::Sql | Effect::Db) && !e.mutates)
                    || e.effect == Effect::FsRead
            })
        {
            private = Some(t);
        }
        // An outbound request to a model-chosen destination, a POST, or e-mail.
        let model_url = run.hits.iter().any(|x| {
            x.kind == HitKind::Sink(Effect::Http)
                && x.taint.labels & label::ARG != 0
                && !x.taint.host_fixed
                && !cx.cleared(h, x, clear::SSRF)
                && mine(x.root_site)
        });
        if exfil.is_none()
            && (model_url
                || effects
                    .iter()
                    .any(|e| e.effect == Effect::Http && e.mutates))
        {
            exfil = Some(t);
        }
    }
    let (Some((u, _)), Some(p), Some(x)) = (untrusted, private, exfil) else {
        return;
    };
    if u.def.name == p.def.name && p.def.name == x.def.name {
        return;
    }
    let msg = format!(
        "`{}` returns untrusted content, `{}` reads private data and `{}` can send data out: injected text can chain them to exfiltrate.",
        u.def.name, p.def.name, x.def.name
    );
    let mut raw = cx.at_tool(&RULE, u, msg, Confidence::Medium);
    if let Some(b) = u.branch {
        // A dispatched tool is registered where its branch is.
        raw.span = b;
        raw.path = None;
    }
    out.push(raw);
}
