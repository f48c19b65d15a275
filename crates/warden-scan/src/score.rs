//! Grading: six axes, each 0–100 and a letter, and an overall grade. The formula is
//! documented in `docs/grading.md`; change [`SPEC_VERSION`] with any change to it.

use std::collections::BTreeMap;
use warden_core::{Axis, AxisScore, Confidence, Finding, Grade, GradeReport, Severity};

/// The version of the grading formula.
pub const SPEC_VERSION: &str = "warden-grading/1";

/// Points one finding deducts at high confidence.
pub fn severity_points(s: Severity) -> f64 {
    match s {
        Severity::Critical => 45.0,
        Severity::High => 25.0,
        Severity::Medium => 10.0,
        Severity::Low => 3.0,
        Severity::Info => 0.0,
    }
}

/// How much of a finding's points count, by confidence.
pub fn confidence_factor(c: Confidence) -> f64 {
    match c {
        Confidence::High => 1.0,
        Confidence::Medium => 0.7,
        Confidence::Low => 0.4,
    }
}

/// Each further finding of the same rule adds this share of its points...
const REPEAT_SHARE: f64 = 0.25;
/// ...and one rule never deducts more than this multiple of its worst finding.
const RULE_CAP: f64 = 1.5;

/// Axis weights in the overall score.
fn weight(a: Axis) -> f64 {
    match a {
        Axis::InjectionResistance => 1.5,
        Axis::InputSafety => 1.25,
        Axis::AccessControl => 1.25,
        Axis::CredentialExposure => 1.25,
        Axis::PermissionsHygiene => 1.0,
        Axis::Maintenance => 0.75,
    }
}

/// The overall score is at most the worst axis plus this, so one failing axis
/// cannot hide behind good ones.
const WORST_AXIS_MARGIN: f64 = 20.0;

/// Grades unsuppressed findings. `applicable` says which axes could be judged at all
/// (Maintenance needs a dependency manifest).
pub fn grade(findings: &[Finding], applicable: &[Axis]) -> GradeReport {
    let mut axes = Vec::new();
    for &axis in Axis::ALL {
        if !applicable.contains(&axis) {
            axes.push(AxisScore {
                axis,
                score: None,
                grade: None,
                explanation: vec![
                    "not applicable: nothing in the repository can be judged on this axis".into(),
                ],
            });
            continue;
        }
        // Per rule: the points of each finding, worst first.
        let mut by_rule: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for f in findings
            .iter()
            .filter(|f| f.axis == axis && f.suppressed.is_none())
        {
            let pts = severity_points(f.severity) * confidence_factor(f.confidence);
            by_rule.entry(&f.rule).or_default().push(pts);
        }
        let mut total = 0.0;
        let mut explanation = Vec::new();
        for (rule, mut pts) in by_rule {
            pts.sort_by(|a, b| b.total_cmp(a));
            let worst = pts[0];
            let raw = worst + pts[1..].iter().map(|p| p * REPEAT_SHARE).sum::<f64>();
            let capped = raw.min(worst * RULE_CAP);
            total += capped;
            explanation.push(format!(
                "-{capped:.1} {rule}: {} finding(s), worst {worst:.1}{}",
                pts.len(),
                if capped < raw {
                    format!(" (capped from {raw:.1})")
                } else {
                    String::new()
                }
            ));
        }
        let score = (100.0 - total).clamp(0.0, 100.0).round() as u8;
        if explanation.is_empty() {
            explanation.push("no findings".into());
        }
        axes.push(AxisScore {
            axis,
            score: Some(score),
            grade: Some(Grade::from_score(score)),
            explanation,
        });
    }
    let judged: Vec<&AxisScore> = axes.iter().filter(|a| a.score.is_some()).collect();
    let wsum: f64 = judged.iter().map(|a| weight(a.axis)).sum();
    let mean = if wsum > 0.0 {
        judged
            .iter()
            .map(|a| weight(a.axis) * f64::from(a.score.unwrap_or(0)))
            .sum::<f64>()
            / wsum
    } else {
        100.0
    };
    let worst = judged
        .iter()
        .filter_map(|a| a.score)
        .min()
        .map(f64::from)
        .unwrap_or(100.0);
    let overall = mean
        .min(worst + WORST_AXIS_MARGIN)
        .round()
        .clamp(0.0, 100.0) as u8;
    let mut explanation = vec![format!(
        "weighted mean of {} judged axes: {mean:.1}",
        judged.len()
    )];
    if mean > worst + WORST_AXIS_MARGIN {
        explanation.push(format!(
            "capped at worst axis {worst:.0} + {WORST_AXIS_MARGIN:.0}"
        ));
    }
    GradeReport {
        spec_version: SPEC_VERSION.into(),
        axes,
        overall_score: overall,
        overall: Grade::from_score(overall),
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_core::{Category, Fingerprint, Location};

    fn finding(rule: &str, sev: Severity, conf: Confidence) -> Finding {
        Finding {
            rule: rule.into(),
            category: Category::CommandInjection,
            cwe: "CWE-78".into(),
            severity: sev,
            confidence: conf,
            axis: Axis::InjectionResistance,
            location: Location {
                path: "a".into(),
                start_line: 1,
                start_column: 1,
                end_line: 1,
                end_column: 1,
            },
            tool: None,
            message: String::new(),
            evidence: Vec::new(),
            fix: String::new(),
            fingerprint: Fingerprint("x".into()),
            suppressed: None,
        }
    }

    #[test]
    fn one_critical_fails_its_axis_and_caps_overall() {
        let g = grade(
            &[finding("r", Severity::Critical, Confidence::High)],
            Axis::ALL,
        );
        let inj = &g.axes[0];
        assert_eq!(inj.score, Some(55));
        assert_eq!(inj.grade, Some(Grade::F));
        assert_eq!(g.overall_score, 75);
    }

    #[test]
    fn repeats_of_one_rule_are_capped() {
        let many: Vec<Finding> = (0..50)
            .map(|_| finding("r", Severity::Medium, Confidence::High))
            .collect();
        let g = grade(&many, Axis::ALL);
        assert_eq!(g.axes[0].score, Some(85));
    }

    #[test]
    fn not_applicable_axis_is_left_out() {
        let g = grade(&[], &[Axis::InjectionResistance]);
        assert_eq!(g.axes[5].score, None);
        assert_eq!(g.overall, Grade::A);
    }
}
