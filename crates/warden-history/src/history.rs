//! `warden history`: the timeline of a target's scans as a table and a sparkline per
//! axis. Takes saved scans, not the store, so it renders whatever the caller loaded.

use crate::chart;
use crate::model::SavedScan;
use crate::text;

/// The timeline: per target (in order of first appearance), a table of scans in time
/// order — id, time (UTC), commit (`*` when the tree was dirty), overall grade and
/// score, each axis's score — then one sparkline per axis with its first → last score.
/// `color` paints grades with ANSI colours; off, the output is plain text.
pub fn render_history(scans: &[SavedScan], color: bool) -> String {
    if scans.is_empty() {
        return "no scans saved yet: run `warden scan` with history enabled\n".to_string();
    }
    // Names from the repository, printable before any colour is added.
    let cleaned: Vec<SavedScan> = scans
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.target.key = text::printable(&s.target.key);
            for v in [
                &mut s.target.commit,
                &mut s.target.branch,
                &mut s.target.tag,
            ] {
                *v = v.as_deref().map(text::printable);
            }
            s
        })
        .collect();
    let scans = cleaned.as_slice();
    let mut keys: Vec<&str> = Vec::new();
    for s in scans {
        if !keys.contains(&s.target.key.as_str()) {
            keys.push(&s.target.key);
        }
    }
    let mut out = String::new();
    for (n, key) in keys.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut mine: Vec<&SavedScan> = scans.iter().filter(|s| s.target.key == *key).collect();
        mine.sort_by_key(|s| (s.time_unix_nano, s.id));
        out.push_str(&render_one(key, &mine, color));
    }
    out
}

fn render_one(key: &str, scans: &[&SavedScan], color: bool) -> String {
    let mut axes: Vec<&str> = Vec::new();
    for s in scans {
        for a in &s.axes {
            if !axes.contains(&a.axis.as_str()) {
                axes.push(&a.axis);
            }
        }
    }
    let headers = short_names(&axes);

    let mut rows = vec![{
        let mut h = vec![
            "id".to_string(),
            "time (UTC)".to_string(),
            "commit".to_string(),
            "overall".to_string(),
        ];
        h.extend(headers.iter().cloned());
        h
    }];
    // Colour is added after padding, so escape codes never upset the alignment; the
    // cells are kept with their grades for that.
    let mut grades: Vec<Vec<Option<String>>> = vec![vec![None; 4 + axes.len()]];
    for s in scans {
        let mut row = vec![
            s.id.map_or_else(|| "-".to_string(), |i| i.to_string()),
            text::utc(s.time_unix_nano),
            text::short_commit(&s.target),
            format!("{} {}", s.overall_grade, s.overall_score),
        ];
        let mut g = vec![None, None, None, Some(s.overall_grade.clone())];
        for axis in &axes {
            let a = s.axes.iter().find(|a| a.axis == *axis);
            row.push(match a.and_then(|a| a.score) {
                Some(score) => score.to_string(),
                None => "n/a".to_string(),
            });
            g.push(a.and_then(|a| a.grade.clone()));
        }
        rows.push(row);
        grades.push(g);
    }

    let mut out = format!("history of {key} ({} scans)\n", scans.len());
    let cols = rows.first().map_or(0, Vec::len);
    let mut widths = vec![0usize; cols];
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for (r, row) in rows.iter().enumerate() {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            // Numbers right-aligned, text left-aligned.
            let padded = if i == 0 || i >= 4 {
                text::pad_left(cell, widths[i])
            } else {
                text::pad(cell, widths[i])
            };
            let colour = if color && r > 0 {
                grades
                    .get(r)
                    .and_then(|g| g.get(i))
                    .and_then(|g| g.as_deref())
                    .and_then(chart::grade_colour)
            } else {
                None
            };
            line.push_str(&chart::paint(&padded, colour));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if !axes.is_empty() && !headers.iter().zip(&axes).all(|(h, a)| h == a) {
        out.push_str("  columns: ");
        let legend: Vec<String> = headers
            .iter()
            .zip(&axes)
            .map(|(h, a)| format!("{h} = {a}"))
            .collect();
        out.push_str(&legend.join(", "));
        out.push('\n');
    }

    out.push('\n');
    let name_width = axes.iter().map(|a| a.chars().count()).max().unwrap_or(0);
    for axis in &axes {
        let values: Vec<Option<u8>> = scans
            .iter()
            .map(|s| {
                s.axes
                    .iter()
                    .find(|a| a.axis == *axis)
                    .and_then(|a| a.score)
            })
            .collect();
        let scored: Vec<u8> = values.iter().flatten().copied().collect();
        let ends = match (scored.first(), scored.last()) {
            (Some(f), Some(l)) => format!("{f} → {l}"),
            _ => "n/a".to_string(),
        };
        let line = chart::sparkline(&values);
        let colour = if color {
            scans
                .last()
                .and_then(|s| s.axes.iter().find(|a| a.axis == *axis))
                .and_then(|a| a.grade.as_deref())
                .and_then(chart::grade_colour)
        } else {
            None
        };
        out.push_str(&format!(
            "  {}  {}  {}\n",
            text::pad(axis, name_width),
            chart::paint(&line, colour),
            ends
        ));
    }
    out
}

/// Column headers for axes: the first word of each hyphenated name
/// (`injection-resistance` → `injection`), or the full name when two would collide.
fn short_names(axes: &[&str]) -> Vec<String> {
    let firsts: Vec<&str> = axes
        .iter()
        .map(|a| a.split('-').next().unwrap_or(a))
        .collect();
    axes.iter()
        .zip(&firsts)
        .map(|(full, first)| {
            if firsts.iter().filter(|f| *f == first).count() > 1 {
                full.to_string()
            } else {
                first.to_string()
            }
        })
        .collect()
}
