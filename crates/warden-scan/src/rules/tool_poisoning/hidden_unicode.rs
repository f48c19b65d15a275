//! Invisible characters in tool metadata.

use super::texts;
use crate::rules::{Cx, Raw, Rule};
use warden_core::{Category, Confidence, Severity};

pub static RULE: Rule = Rule {
    id: "poison-hidden-unicode",
    title: "Tool metadata contains invisible characters",
    category: Category::ToolPoisoning,
    cwe: "CWE-1427",
    severity: Severity::High,
    what: "Finds Unicode tag characters (U+E0000–U+E007F, which encode ASCII invisibly), zero-width characters, bidirectional overrides and other format characters in tool and parameter descriptions. Tag-encoded text is decoded in the message.",
    why: "Models read these characters; people reviewing the description do not see them. They hide instructions (ASCII smuggling) or make text read differently than it displays.",
    example: "description: \"Get the weather.\\u{E0049}\\u{E0067}\\u{E006E}...\"",
    fix: "Remove the characters. Reject or strip format characters (Unicode category Cf) from any model-facing metadata.",
    check,
};

/// Whether a character is invisible and has no business in a description.
pub fn is_hidden(c: char) -> bool {
    matches!(c as u32,
        0xE0000..=0xE007F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069
        | 0xFEFF | 0x180E | 0x00AD | 0xE0100..=0xE01EF | 0x034F | 0x115F | 0x1160 | 0x3164)
}

fn check(cx: &Cx, out: &mut Vec<Raw>) {
    for t in &cx.inv.tools {
        for (text, m, sp, what) in texts(t) {
            let hidden: Vec<char> = text.chars().filter(|c| is_hidden(*c)).collect();
            if hidden.is_empty() {
                continue;
            }
            let decoded: String = hidden
                .iter()
                .filter_map(|c| {
                    let u = *c as u32;
                    (0xE0020..=0xE007E)
                        .contains(&u)
                        .then(|| char::from_u32(u - 0xE0000))
                        .flatten()
                })
                .collect();
            let kinds: Vec<String> = {
                let mut k: Vec<String> = hidden
                    .iter()
                    .map(|c| format!("U+{:04X}", *c as u32))
                    .collect();
                k.dedup();
                k.truncate(4);
                k
            };
            let msg = if decoded.is_empty() {
                format!(
                    "The {what} contains {} invisible character(s) ({}).",
                    hidden.len(),
                    kinds.join(", ")
                )
            } else {
                format!(
                    "The {what} hides text in Unicode tag characters, which decodes to: \"{decoded}\"."
                )
            };
            let mut raw = cx.at_tool(&RULE, t, msg, Confidence::High);
            raw.module = Some(m);
            raw.path = None;
            raw.span = sp;
            out.push(raw);
        }
    }
}
