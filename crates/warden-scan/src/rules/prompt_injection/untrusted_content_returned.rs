//! External content returned to the model without marking it as data.

use super::returns_external;
use crate::flow::clear;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "pi-untrusted-content-returned",
    title: "Tool returns external content to the model unmarked",
    category: Category::PromptInjectionExposure,
    cwe: "CWE-1427",
    severity: Severity::Medium,
    what: "Finds tool handlers whose result carries content from outside the server's trust boundary — an HTTP response body, a web page, an issue or e-mail body, file contents — with nothing that marks it as untrusted data.",
    why: "Whoever wrote that content can write instructions to the model (indirect prompt injection). The model then calls the server's other tools with its credentials: the usual entry point of an MCP incident.",
    example: "@mcp.tool()\nasync def read_page(url: str) -> str:\n    r = await client.get(url)\n    return r.text",
    fix: "Wrap external content in an explicit envelope the client and model can recognise (for example `<untrusted-content source=...>...</untrusted-content>` with a note that it is data, not instructions), strip hidden characters, return it as a resource or structured content, and keep high-impact tools behind user confirmation.",
    check,
};

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for (h, hit) in cx.hits() {
        if !returns_external(hit) || hit.taint.cleared & clear::UNTRUSTED != 0 {
            continue;
        }
        // Wrapped inline: `<untrusted-content>${text}</untrusted-content>`.
        if hit.taint.lit.to_ascii_lowercase().contains("untrusted") {
            continue;
        }
        let what: Vec<&str> = hit
            .taint
            .origins
            .iter()
            .map(|o| &**o)
            .filter(|o| o.contains(' '))
            .collect();
        let web = what.iter().any(|w| {
            w.contains("model-chosen")
                || w.contains("issue")
                || w.contains("message")
                || w.contains("page")
        });
        let fixed_api = what.iter().all(|w| w.contains("fixed service"));
        let files = what.iter().all(|w| w.contains("file contents"));
        let (severity, confidence) = if web {
            (Severity::High, Confidence::High)
        } else if fixed_api || files {
            // A fixed API or a local file is less likely to carry someone else's text.
            (Severity::Low, Confidence::Low)
        } else {
            (Severity::Medium, Confidence::Medium)
        };
        let msg = format!(
            "The tool returns {} to the model without marking it as untrusted data; instructions hidden in it reach the model.",
            what.first().copied().unwrap_or("external content")
        );
        let mut raw = cx.from_hit(&RULE, h, hit, msg, confidence);
        raw.severity = severity;
        out.push(raw);
    }
}
