//! Front ends: tree-sitter trees to [`crate::ir`].

mod py;
mod ts;

pub use ts::THROWN;

use crate::ir::{Function, Module, Span};
use crate::lang::Lang;
use tree_sitter::{Node, Parser};

/// Nesting deeper than this is not lowered (it is kept as an opaque expression), so a
/// hostile file cannot exhaust the stack.
const MAX_DEPTH: u32 = 128;

/// Parses `source` and lowers it. Syntax errors do not fail: the partial tree is used
/// and `Module::has_errors` is set.
pub fn parse_module(path: &str, lang: Lang, source: &str) -> Option<Module> {
    let mut parser = Parser::new();
    parser.set_language(&lang.grammar()).ok()?;
    let tree = parser.parse(source, None)?;
    let root = tree.root_node();
    let mut cx = Cx {
        src: source.as_bytes(),
        functions: vec![Function {
            name: Some("<module>".into()),
            class: None,
            params: Vec::new(),
            body: Vec::new(),
            decorators: Vec::new(),
            docstring: None,
            span: span(root),
            name_span: Span::default(),
        }],
        imports: Vec::new(),
        depth: 0,
    };
    let body = match lang {
        Lang::Python => py::lower_block(&mut cx, root, None),
        _ => ts::lower_block(&mut cx, root, None),
    };
    cx.functions[0].body = body;
    Some(Module {
        path: path.to_string(),
        lang,
        functions: cx.functions,
        imports: cx.imports,
        has_errors: root.has_error(),
    })
}

/// Lowering state for one file.
pub(crate) struct Cx<'s> {
    pub src: &'s [u8],
    pub functions: Vec<Function>,
    pub imports: Vec<crate::ir::Import>,
    pub depth: u32,
}

impl Cx<'_> {
    pub fn text(&self, n: Node) -> &str {
        n.utf8_text(self.src).unwrap_or("")
    }
}

/// The IR span of a node.
pub(crate) fn span(n: Node) -> Span {
    let s = n.start_position();
    let e = n.end_position();
    Span {
        start_byte: n.start_byte() as u32,
        end_byte: n.end_byte() as u32,
        start_line: s.row as u32 + 1,
        start_col: s.column as u32 + 1,
        end_line: e.row as u32 + 1,
        end_col: e.column as u32 + 1,
    }
}

/// Named children of a node, skipping comments.
pub(crate) fn children(n: Node) -> Vec<Node> {
    let mut c = n.walk();
    n.named_children(&mut c)
        .filter(|k| k.kind() != "comment")
        .collect()
}

/// Decodes the common backslash escapes of a string literal body. Unknown escapes
/// are kept as written; `\u{...}`, `\uXXXX`, `\UXXXXXXXX` and `\xXX` become characters,
/// which is what lets hidden-Unicode checks see escaped tag characters.
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::Chars>| {
            let mut s = String::new();
            for _ in 0..n {
                match chars.peek() {
                    Some(h) if h.is_ascii_hexdigit() => {
                        s.push(*h);
                        chars.next();
                    }
                    _ => break,
                }
            }
            u32::from_str_radix(&s, 16).ok().and_then(char::from_u32)
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            'x' => out.extend(hex(2, &mut chars)),
            'u' if chars.peek() == Some(&'{') => {
                chars.next();
                let mut s = String::new();
                for h in chars.by_ref() {
                    if h == '}' {
                        break;
                    }
                    s.push(h);
                }
                out.extend(u32::from_str_radix(&s, 16).ok().and_then(char::from_u32));
            }
            'u' => out.extend(hex(4, &mut chars)),
            'U' => out.extend(hex(8, &mut chars)),
            '\n' => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_cut_off_not_fatal() {
        let py = format!("x = {}1{}\n", "(".repeat(3000), ")".repeat(3000));
        let ts = format!("const x = {}1{};\n", "[".repeat(3000), "]".repeat(3000));
        std::thread::Builder::new()
            .stack_size(64 * 1024 * 1024)
            .spawn(move || {
                assert!(parse_module("a.py", Lang::Python, &py).is_some());
                assert!(parse_module("a.ts", Lang::TypeScript, &ts).is_some());
            })
            .expect("thread")
            .join()
            .expect("no panic");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap, deterministic stand-in for the fuzz target in fuzz/.
        let mut seed = 0x9e3779b97f4a7c15u64;
        let alphabet = b"(){}[]'\"`$\\\n #:=.,;+-*/%<>!?&|@abcdefxyz0123456789def class import from async await lambda => ";
        for round in 0..300 {
            let mut s = String::new();
            for _ in 0..(round % 97 + 1) * 3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push(alphabet[(seed % alphabet.len() as u64) as usize] as char);
            }
            for lang in [Lang::Python, Lang::TypeScript, Lang::JavaScript, Lang::Tsx] {
                let _ = parse_module("f", lang, &s);
            }
        }
    }

    #[test]
    fn unescape_handles_unicode_forms() {
        assert_eq!(unescape(r"a\u{E0049}b"), "a\u{E0049}b");
        assert_eq!(unescape(r"\u200b"), "\u{200b}");
        assert_eq!(unescape(r"\U000E0041"), "\u{E0041}");
        assert_eq!(unescape(r#"\"q\""#), "\"q\"");
        assert_eq!(unescape(r"x\"), "x\\");
    }
}
