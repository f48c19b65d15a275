//! Fixed vocabularies: severity, confidence, category and grading axis.
//!
//! Their string forms are part of the report format and of suppressions, so they never
//! change once published.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A string did not name a member of a fixed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`; expected one of: {expected}")]
pub struct ParseVocabError {
    /// Which vocabulary was being parsed, e.g. `severity`.
    pub kind: &'static str,
    /// The text that did not match.
    pub value: String,
    /// The accepted spellings, comma-separated.
    pub expected: String,
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable string form used in reports and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseVocabError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let lower = s.trim().to_ascii_lowercase();
                $(if lower == $text { return Ok($name::$variant); })+
                Err(ParseVocabError {
                    kind: $kind,
                    value: s.to_string(),
                    expected: [$($text),+].join(", "),
                })
            }
        }
    };
}

vocabulary! {
    /// How bad a finding is if it is real. Ordered from least to most severe.
    Severity, "severity" {
        /// Worth knowing; no direct risk.
        Info => "info",
        /// A weakness that needs other failures to matter.
        Low => "low",
        /// Exploitable under some conditions.
        Medium => "medium",
        /// Exploitable by a model following injected instructions.
        High => "high",
        /// Direct compromise of the host or its credentials.
        Critical => "critical",
    }
}

vocabulary! {
    /// How sure the scanner is that a finding is real. Ordered from least to most sure.
    Confidence, "confidence" {
        /// A shape that is often benign.
        Low => "low",
        /// Several signals agree, but a link is inferred.
        Medium => "medium",
        /// The source, the path and the sink are all seen.
        High => "high",
    }
}

vocabulary! {
    /// What kind of weakness a finding is; the fixed vocabulary of ARCHITECTURE.md.
    Category, "category" {
        CommandInjection => "command-injection",
        CodeEval => "code-eval",
        SqlInjection => "sql-injection",
        PathTraversal => "path-traversal",
        Ssrf => "ssrf",
        UnsafeDeserialization => "unsafe-deserialization",
        HardcodedSecret => "hardcoded-secret",
        SecretLeak => "secret-leak",
        MissingAuthz => "missing-authz",
        PromptInjectionExposure => "prompt-injection-exposure",
        ToolPoisoning => "tool-poisoning",
        ExcessivePermissions => "excessive-permissions",
        RugPull => "rug-pull",
        DependencyVuln => "dependency-vuln",
        InsecureTransport => "insecure-transport",
        Other => "other",
    }
}

vocabulary! {
    /// The six grading axes. Each finding counts against exactly one.
    Axis, "axis" {
        /// Shell, SQL, code and deserialization sinks reached by tool arguments.
        InjectionResistance => "injection-resistance",
        /// Paths, URLs and model-facing text: what the server accepts and returns.
        InputSafety => "input-safety",
        /// Ownership checks and transport authentication.
        AccessControl => "access-control",
        /// Hard-coded and leaked credentials.
        CredentialExposure => "credential-exposure",
        /// Declared versus used capability: annotations, roots, destructive tools.
        PermissionsHygiene => "permissions-hygiene",
        /// Lockfiles, pinning, SDK age.
        Maintenance => "maintenance",
    }
}

impl Axis {
    /// The human title of the axis, as printed in reports.
    pub fn title(self) -> &'static str {
        match self {
            Axis::InjectionResistance => "Injection Resistance",
            Axis::InputSafety => "Input Safety",
            Axis::AccessControl => "Access Control",
            Axis::CredentialExposure => "Credential Exposure",
            Axis::PermissionsHygiene => "Permissions Hygiene",
            Axis::Maintenance => "Maintenance",
        }
    }
}

impl Category {
    /// The axis findings of this category count against.
    pub fn axis(self) -> Axis {
        match self {
            Category::CommandInjection
            | Category::CodeEval
            | Category::SqlInjection
            | Category::UnsafeDeserialization => Axis::InjectionResistance,
            Category::PathTraversal
            | Category::Ssrf
            | Category::PromptInjectionExposure
            | Category::ToolPoisoning
            | Category::RugPull
            | Category::Other => Axis::InputSafety,
            Category::MissingAuthz | Category::InsecureTransport => Axis::AccessControl,
            Category::HardcodedSecret | Category::SecretLeak => Axis::CredentialExposure,
            Category::ExcessivePermissions => Axis::PermissionsHygiene,
            Category::DependencyVuln => Axis::Maintenance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_member() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(*s));
        }
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(*c));
        }
        for a in Axis::ALL {
            assert_eq!(a.as_str().parse::<Axis>(), Ok(*a));
        }
    }

    #[test]
    fn unknown_value_names_the_choices() {
        let err = "severe".parse::<Severity>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown severity `severe`; expected one of: info, low, medium, high, critical"
        );
    }

    #[test]
    fn severity_orders_by_badness() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Info < Severity::Low);
    }
}
