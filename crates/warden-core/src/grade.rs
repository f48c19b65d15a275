//! Letter grades and per-axis scores.

use crate::vocab::Axis;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A letter grade. Ordered from worst to best, so `grade < Grade::C` reads as
/// "worse than C".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Grade {
    F,
    D,
    C,
    B,
    A,
}

impl Grade {
    /// The grade a 0–100 score earns: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F.
    pub fn from_score(score: u8) -> Grade {
        match score {
            90..=u8::MAX => Grade::A,
            80..=89 => Grade::B,
            70..=79 => Grade::C,
            60..=69 => Grade::D,
            _ => Grade::F,
        }
    }

    /// The letter.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
        }
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Grade {
    type Err = crate::ParseVocabError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "A" => Ok(Grade::A),
            "B" => Ok(Grade::B),
            "C" => Ok(Grade::C),
            "D" => Ok(Grade::D),
            "F" => Ok(Grade::F),
            _ => Err(crate::ParseVocabError {
                kind: "grade",
                value: s.to_string(),
                expected: "A, B, C, D, F".to_string(),
            }),
        }
    }
}

/// One axis's result. `score` and `grade` are `None` when nothing could be judged
/// (not applicable), which is different from a perfect score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisScore {
    /// The axis.
    pub axis: Axis,
    /// 0–100, or `None` when not applicable.
    pub score: Option<u8>,
    /// The letter for `score`.
    pub grade: Option<Grade>,
    /// How the score was reached, one line per deduction or cap.
    pub explanation: Vec<String>,
}

/// The grades of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeReport {
    /// The version of the grading formula (docs/grading.md). Scores are comparable
    /// only between equal versions.
    pub spec_version: String,
    /// One entry per axis, in [`Axis::ALL`] order.
    pub axes: Vec<AxisScore>,
    /// The overall score, 0–100.
    pub overall_score: u8,
    /// The overall letter.
    pub overall: Grade,
    /// How the overall score was reached.
    pub explanation: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(Grade::from_score(100), Grade::A);
        assert_eq!(Grade::from_score(90), Grade::A);
        assert_eq!(Grade::from_score(89), Grade::B);
        assert_eq!(Grade::from_score(60), Grade::D);
        assert_eq!(Grade::from_score(59), Grade::F);
        assert!(Grade::F < Grade::C);
        assert_eq!("b".parse::<Grade>(), Ok(Grade::B));
    }
}
