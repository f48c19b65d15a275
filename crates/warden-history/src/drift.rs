//! Grade drift: an axis whose score keeps slipping across recent scans, reported as an
//! early warning even while the overall grade holds.
//!
//! # The rule
//!
//! Take the scans of one target in time order and keep the most recent run that was
//! graded with the same formula as the latest scan (scores under another formula are
//! not comparable), then the last `window` of those (default 5). For each axis, skip
//! the scans where it was not scored. The axis **drifts** when, over the scored scans
//! left (at least two):
//!
//! - it lost at least `threshold` points (default 5, and always at least 1) from the
//!   first to the last, and
//! - the decline is sustained: no later scan in the window scored higher than the
//!   first.
//!
//! So a flat axis does not drift, a dip that recovers does not (the last score is back
//! up), and noise that climbs above the starting point before falling does not. The
//! rule compares end points rather than fitting a slope: it is easy to explain in a CI
//! log ("from 90 to 82 over scans 4–8"), and a single outlier in the middle of the
//! window cannot make or break it.

use serde::Serialize;

use crate::model::SavedScan;

/// How drift is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DriftOptions {
    /// The last N comparable scans to look at. Fewer than 2 means no drift can be seen.
    pub window: usize,
    /// Points an axis must lose across the window. 0 is treated as 1: a flat axis
    /// never drifts.
    pub threshold: u8,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            window: 5,
            threshold: 5,
        }
    }
}

/// An axis that is drifting down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    /// The axis name.
    pub axis: String,
    /// Its score in the first scan of the window where it was scored.
    pub from: u8,
    /// Its score in the last such scan.
    pub to: u8,
    /// The ids of the scans looked at for this axis, oldest first (unsaved scans have
    /// no id and are left out of this list, not out of the judgement).
    pub scans: Vec<i64>,
    /// Whether the overall letter grade is the same at both ends of the window: the
    /// case this warning exists for.
    pub overall_grade_held: bool,
    /// One sentence for a log.
    pub message: String,
}

/// Scored scans an axis needs in the window to drift: two scans make a step (the diff
/// shows it as a regression), a trend needs three.
pub const MIN_SCANS: usize = 3;

/// The axes drifting down in `scans` (one target; sorted by time here, so the order
/// given does not matter). Scans of other targets than the latest scan's are ignored.
pub fn drift(scans: &[SavedScan], opts: DriftOptions) -> Vec<Drift> {
    if opts.window < MIN_SCANS {
        return Vec::new();
    }
    let mut ordered: Vec<&SavedScan> = scans.iter().collect();
    ordered.sort_by_key(|s| (s.time_unix_nano, s.id));
    let Some(latest) = ordered.last().copied() else {
        return Vec::new();
    };
    ordered.retain(|s| s.target.key == latest.target.key);
    // The most recent run with the latest scan's grading version.
    let comparable = ordered
        .iter()
        .rev()
        .take_while(|s| s.grading_version == latest.grading_version)
        .count();
    let run = &ordered[ordered.len() - comparable..];
    let window = &run[run.len().saturating_sub(opts.window)..];
    let threshold = opts.threshold.max(1);

    let mut axes: Vec<&str> = Vec::new();
    for s in window {
        for a in &s.axes {
            if !axes.contains(&a.axis.as_str()) {
                axes.push(&a.axis);
            }
        }
    }
    let mut out = Vec::new();
    for axis in axes {
        let points: Vec<(&SavedScan, u8)> = window
            .iter()
            .filter_map(|s| {
                s.axes
                    .iter()
                    .find(|a| a.axis == axis)
                    .and_then(|a| a.score)
                    .map(|score| (*s, score))
            })
            .collect();
        let (Some(&(first_scan, first)), Some(&(last_scan, last))) =
            (points.first(), points.last())
        else {
            continue;
        };
        if points.len() < MIN_SCANS || first < last || first - last < threshold {
            continue;
        }
        if points.iter().skip(1).any(|&(_, s)| s > first) {
            continue;
        }
        // A trend, not a step: the score fell at two or more of the steps. One drop and
        // then flat is a regression, which `diff` reports where it happened.
        let falls = points.windows(2).filter(|w| w[1].1 < w[0].1).count();
        if falls < 2 {
            continue;
        }
        let held = first_scan.overall_grade == last_scan.overall_grade;
        let ids: Vec<i64> = points.iter().filter_map(|(s, _)| s.id).collect();
        let span = match (ids.first(), ids.last()) {
            (Some(x), Some(y)) => format!("scans #{x}–#{y}"),
            _ => format!("the last {} scans", points.len()),
        };
        let overall = if held {
            format!(
                " while the overall grade held at {}",
                last_scan.overall_grade
            )
        } else {
            format!(
                "; the overall grade went from {} to {}",
                first_scan.overall_grade, last_scan.overall_grade
            )
        };
        out.push(Drift {
            axis: axis.to_string(),
            from: first,
            to: last,
            scans: ids,
            overall_grade_held: held,
            message: format!(
                "{axis} is drifting down: {first} → {last} ({} points) over {span}{overall}",
                i16::from(last) - i16::from(first)
            ),
        });
    }
    out
}
