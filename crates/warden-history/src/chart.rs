//! A terminal chart small enough for a CI log: one sparkline per axis.

/// The eight block heights, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per value: a block whose height is the score on a fixed 0–100 scale,
/// or a space for `None` (not scored). The scale is fixed, not fitted to the values, so
/// a few points of noise do not look like a cliff and two axes' lines compare.
pub fn sparkline(values: &[Option<u8>]) -> String {
    values
        .iter()
        .map(|v| match v {
            // 0..=100 onto 0..=7: each block covers 12.5 points.
            Some(s) => BLOCKS[usize::from((*s).min(100)) * 7 / 100],
            None => ' ',
        })
        .collect()
}

/// The ANSI colour for a letter grade: green for A and B, yellow for C, red for D and
/// F, none for anything else.
pub fn grade_colour(grade: &str) -> Option<&'static str> {
    match grade {
        "A" | "B" => Some("\x1b[32m"),
        "C" => Some("\x1b[33m"),
        "D" | "F" => Some("\x1b[31m"),
        _ => None,
    }
}

/// `s` wrapped in `colour` and a reset, or `s` unchanged without one.
pub fn paint(s: &str, colour: Option<&str>) -> String {
    match colour {
        Some(c) => format!("{c}{s}\x1b[0m"),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_on_a_fixed_scale() {
        assert_eq!(
            sparkline(&[Some(0), Some(50), None, Some(100), Some(200)]),
            "▁▄ ██"
        );
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[Some(90), Some(92)]), "▇▇");
    }
}
