//! Small text helpers shared by the renderers: UTC times without a date crate, short
//! commits, and padding that counts characters (not bytes) so tables stay aligned
//! when they hold non-ASCII text.

use crate::model::Target;

/// Text from the scanned repository (paths, messages, tool and branch names) made safe
/// for a terminal or a CI log: control characters (an escape sequence could rewrite the
/// screen or the log) shown as `\u{..}`; newlines and tabs kept. Idempotent.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of a Unix time in nanoseconds.
pub(crate) fn utc(time_unix_nano: u64) -> String {
    warden_core::time::format_datetime(time_unix_nano)
}

/// The first 7 characters of the commit, with `*` when the working tree was dirty;
/// `-` when the scan was not of a git checkout.
pub(crate) fn short_commit(target: &Target) -> String {
    match &target.commit {
        Some(c) => {
            let short: String = c.chars().take(7).collect();
            if target.dirty == Some(true) {
                format!("{short}*")
            } else {
                short
            }
        }
        None => "-".to_string(),
    }
}

/// `s` padded with spaces to `width` characters (left-aligned).
pub(crate) fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// `s` padded with spaces to `width` characters (right-aligned).
pub(crate) fn pad_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    let mut out: String = std::iter::repeat_n(' ', width.saturating_sub(n)).collect();
    out.push_str(s);
    out
}

/// Aligns rows of cells into columns separated by two spaces, each line indented by
/// `indent`. Trailing spaces are trimmed so the output diffs cleanly.
pub(crate) fn table(rows: &[Vec<String>], right_aligned: &[bool], indent: &str) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(indent);
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            if right_aligned.get(i).copied().unwrap_or(false) {
                line.push_str(&pad_left(cell, widths[i]));
            } else {
                line.push_str(&pad(cell, widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Escapes text for a Markdown table cell or inline text: pipes would split the cell,
/// and backticks, asterisks, underscores, brackets and angle brackets would format or
/// link what is only data (finding messages come from scanned code).
pub(crate) fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        // 2000-02-29 12:34:56 UTC, a leap day in a century leap year.
        assert_eq!(utc(951_827_696 * 1_000_000_000), "2000-02-29 12:34:56");
        // 2026-12-04 21:03:34 UTC.
        assert_eq!(utc(1_796_418_214 * 1_000_000_000), "2026-12-04 21:03:34");
    }

    #[test]
    fn table_aligns_by_characters() {
        let rows = vec![
            vec!["é".to_string(), "1".to_string()],
            vec!["abc".to_string(), "100".to_string()],
        ];
        assert_eq!(table(&rows, &[false, true], ""), "é      1\nabc  100\n");
    }
}
