//! The axis-scores-over-time chart, computed here as coordinates so the template can draw
//! it as inline SVG: it shows without JavaScript, in the dashboard and in a report file
//! opened from disk. Only numbers are computed here; labels go through the template's
//! escaping.

use serde::Serialize;
use warden_history::store::ScanSummary;

/// The SVG's width in user units.
pub const WIDTH: u32 = 860;
/// The SVG's height in user units.
pub const HEIGHT: u32 = 300;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 34.0;

/// Line colours, one per series in order (the overall score first). Chosen to stay
/// apart for common colour-vision deficiencies.
const PALETTE: [&str; 8] = [
    "#1b1b1b", "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d1f",
];

/// One plotted point.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// x in user units.
    pub x: String,
    /// y in user units.
    pub y: String,
    /// The score.
    pub score: u8,
    /// The scan's id (the point links to it).
    pub scan: i64,
}

/// One line: an axis (or the overall score) across the scans.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// `overall` or the axis name.
    pub name: String,
    /// The stroke colour.
    pub colour: &'static str,
    /// SVG path data; a scan where the axis was not applicable breaks the line.
    pub path: String,
    /// The points drawn as markers.
    pub points: Vec<Point>,
    /// y of the legend entry.
    pub legend_y: String,
}

/// A gridline with its label.
#[derive(Debug, Clone, Serialize)]
pub struct Tick {
    /// The position (y for score ticks, x for scan ticks).
    pub at: String,
    /// The label.
    pub label: String,
}

/// The whole chart.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Viewbox width.
    pub width: u32,
    /// Viewbox height.
    pub height: u32,
    /// Left edge of the plot area.
    pub left: String,
    /// Right edge of the plot area.
    pub right: String,
    /// Top edge of the plot area.
    pub top: String,
    /// Bottom edge of the plot area.
    pub bottom: String,
    /// x of the legend.
    pub legend_x: String,
    /// Score gridlines (0, 25, 50, 75, 100).
    pub y_ticks: Vec<Tick>,
    /// One label per scan (`#id`), thinned when there are many.
    pub x_ticks: Vec<Tick>,
    /// The lines.
    pub series: Vec<Series>,
}

fn num(v: f64) -> String {
    format!("{v:.1}")
}

/// The chart of `scans` (oldest first): the overall score and each axis that was ever
/// scored. Scans are evenly spaced (their order matters, not the gaps between them).
pub fn chart(scans: &[ScanSummary]) -> Chart {
    let w = f64::from(WIDTH);
    let h = f64::from(HEIGHT);
    let plot_w = w - LEFT - RIGHT;
    let plot_h = h - TOP - BOTTOM;
    let n = scans.len();
    let x_of = |i: usize| -> f64 {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            // usize → f64 is exact for any realistic scan count.
            LEFT + plot_w * (i as f64) / ((n - 1) as f64)
        }
    };
    let y_of = |score: u8| TOP + plot_h * (1.0 - f64::from(score.min(100)) / 100.0);

    // Axis names in first-seen order, so the legend matches the scans' own order.
    let mut names: Vec<String> = Vec::new();
    for s in scans {
        for a in &s.axes {
            if a.score.is_some() && !names.contains(&a.axis) {
                names.push(a.axis.clone());
            }
        }
    }
    let mut series = Vec::new();
    let mut lines: Vec<(String, Vec<Option<u8>>)> = vec![(
        "overall".to_string(),
        scans.iter().map(|s| Some(s.overall_score)).collect(),
    )];
    for name in names {
        let values = scans
            .iter()
            .map(|s| s.axes.iter().find(|a| a.axis == name).and_then(|a| a.score))
            .collect();
        lines.push((name, values));
    }
    for (k, (name, values)) in lines.into_iter().enumerate() {
        let mut path = String::new();
        let mut points = Vec::new();
        let mut pen_down = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(score) => {
                    let (x, y) = (num(x_of(i)), num(y_of(*score)));
                    path.push_str(&format!("{}{x} {y} ", if pen_down { "L" } else { "M" }));
                    pen_down = true;
                    points.push(Point {
                        x,
                        y,
                        score: *score,
                        scan: scans[i].id,
                    });
                }
                None => pen_down = false,
            }
        }
        series.push(Series {
            name,
            colour: PALETTE[k % PALETTE.len()],
            path: path.trim_end().to_string(),
            points,
            legend_y: num(TOP + 8.0 + 18.0 * k as f64),
        });
    }
    // At most ~12 scan labels, so they never overlap.
    let step = n.div_ceil(12).max(1);
    let x_ticks = scans
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i + 1 == n)
        .map(|(i, s)| Tick {
            at: num(x_of(i)),
            label: format!("#{}", s.id),
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: num(LEFT),
        right: num(w - RIGHT),
        top: num(TOP),
        bottom: num(h - BOTTOM),
        legend_x: num(w - RIGHT + 14.0),
        y_ticks: [0u8, 25, 50, 75, 100]
            .iter()
            .map(|s| Tick {
                at: num(y_of(*s)),
                label: s.to_string(),
            })
            .collect(),
        x_ticks,
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_history::model::AxisScore;

    fn summary(id: i64, overall: u8, inj: Option<u8>) -> ScanSummary {
        ScanSummary {
            id,
            target_key: "t".into(),
            commit: None,
            dirty: None,
            branch: None,
            tag: None,
            time_unix_nano: 0,
            grading_version: "1".into(),
            overall_score: overall,
            overall_grade: "A".into(),
            axes: vec![AxisScore {
                axis: "injection".into(),
                score: inj,
                grade: None,
            }],
        }
    }

    #[test]
    fn a_gap_breaks_the_line() {
        let c = chart(&[
            summary(1, 100, Some(100)),
            summary(2, 50, None),
            summary(3, 0, Some(0)),
        ]);
        assert_eq!(c.series.len(), 2);
        assert_eq!(c.series[0].points.len(), 3);
        assert_eq!(c.series[0].path.matches('M').count(), 1);
        assert_eq!(c.series[1].points.len(), 2);
        assert_eq!(c.series[1].path.matches('M').count(), 2);
        // 100 at the top of the plot, 0 at the bottom.
        assert_eq!(c.series[0].points[0].y, c.top);
        assert_eq!(c.series[0].points[2].y, c.bottom);
    }

    #[test]
    fn one_scan_is_centred() {
        let c = chart(&[summary(7, 80, Some(80))]);
        assert_eq!(c.series[0].points.len(), 1);
        assert_eq!(c.x_ticks.len(), 1);
    }
}
