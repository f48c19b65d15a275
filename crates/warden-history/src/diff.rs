//! What changed between two scans of one target: findings new, fixed, persisting (and
//! moved) or newly suppressed; grades per axis; tools added, removed or changed.
//!
//! # Matching findings
//!
//! 1. **By fingerprint.** A fingerprint covers the rule, the scope (the tool, or the
//!    file name outside tools), the flagged line's text with whitespace collapsed and an
//!    occurrence number, and leaves out line numbers and directories: a finding whose
//!    code moved, or whose file was renamed or moved, keeps it.
//! 2. **Fallback, for findings left unmatched:** same rule, same tool, and the same
//!    message once normalised (case folded, whitespace collapsed, digit runs replaced),
//!    and only when exactly one unmatched finding on each side has that key. This catches
//!    a flagged line that was edited (a reformatted query, a renamed variable) so the
//!    fingerprint changed but the finding did not.
//!
//!    Limits: when a tool loses one finding and gains another of the same rule with the
//!    same message, the two are paired and shown as one persisting finding; when two or
//!    more unmatched findings share a key on either side, none of them is paired (an
//!    ambiguous guess would hide a real new finding), so they show as new and fixed.
//!    Findings outside any tool have no tool to anchor the fallback and only match when
//!    their message is unique in the rule.
//!
//! # Suppressions
//!
//! A finding silenced by `warden-ignore` in the newer scan and not silenced (or absent)
//! in the older one is listed under `newly_suppressed`, never under `fixed`: silencing is
//! not fixing. A suppressed finding that is gone is `fixed`; one whose suppression was
//! removed is `persisting`; findings suppressed in both stay `persisting` with
//! `suppressed` set.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use serde::Serialize;

use crate::model::{SavedScan, StoredFinding, StoredTool};
use crate::text;

/// Why two scans cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// The scans are of different targets.
    #[error(
        "the scans are of different targets: {older_scan} is of `{older}` and {newer_scan} \
         of `{newer}`; a diff compares two scans of one target — pass `--target` to pick \
         one, or pick two scans of the same target"
    )]
    DifferentTargets {
        /// The older scan, as `scan #ID` (or `the older scan` when not saved).
        older_scan: String,
        /// The older scan's target key.
        older: String,
        /// The newer scan, as `scan #ID` (or `the newer scan`).
        newer_scan: String,
        /// The newer scan's target key.
        newer: String,
    },
}

/// A place in the scanned tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Loc {
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// How a finding in the newer scan was paired with one in the older scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// Equal fingerprints.
    Fingerprint,
    /// The fallback: same rule, tool and normalised message (see the module docs).
    RuleToolMessage,
}

/// One finding in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingChange {
    /// The rule id.
    pub rule: String,
    /// `critical` … `info`.
    pub severity: String,
    /// The tool whose handler it is in.
    pub tool: Option<String>,
    /// The finding's message (from the newer scan when in both).
    pub message: String,
    /// The fingerprint (the newer scan's when in both; the older scan's for a fixed one).
    pub fingerprint: String,
    /// The older scan's fingerprint, when the fallback paired different fingerprints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_fingerprint: Option<String>,
    /// Where it is (in the newer scan; in the older for a fixed one).
    pub location: Loc,
    /// Where it was in the older scan, when that differs (moved code, renamed file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Loc>,
    /// How it was paired with the older scan; `None` when it is not in the older scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_by: Option<MatchedBy>,
    /// Silenced by `warden-ignore` (in the newer scan; in the older for a fixed one).
    pub suppressed: bool,
    /// For a new finding: the commit range that introduced it (`older..newer`), when
    /// both scans have commits. See [`commit_range`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced_in: Option<String>,
}

/// One axis's scores in the two scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AxisChange {
    /// The axis name.
    pub axis: String,
    /// Score in the older scan (`None`: not applicable or absent).
    pub before: Option<u8>,
    /// Score in the newer scan.
    pub after: Option<u8>,
    /// `after - before` when both are scored and the grading versions are equal.
    pub delta: Option<i16>,
    /// Letter in the older scan.
    pub grade_before: Option<String>,
    /// Letter in the newer scan.
    pub grade_after: Option<String>,
}

/// The overall grade in the two scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverallChange {
    /// Score in the older scan.
    pub before: u8,
    /// Score in the newer scan.
    pub after: u8,
    /// `after - before`; `None` when the grading versions differ.
    pub delta: Option<i16>,
    /// Letter in the older scan.
    pub grade_before: String,
    /// Letter in the newer scan.
    pub grade_after: String,
}

/// A tool present in only one of the scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolRef {
    /// The tool's name.
    pub name: String,
    /// Its description.
    pub description: Option<String>,
    /// `sha256:` of its canonical definition.
    pub definition_hash: String,
}

/// Whether a tool's schema changed. `Unknown` when the description changed too and a
/// scan lacks the schema hash (saved before it existed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemaChange {
    /// Name, parameters and annotations are the same.
    Unchanged,
    /// They differ.
    Changed,
    /// Cannot be told from the saved scans.
    Unknown,
}

/// A tool whose definition changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolChange {
    /// The tool's name.
    pub name: String,
    /// The model-facing description changed.
    pub description_changed: bool,
    /// Whether the parameters or annotations changed.
    pub schema: SchemaChange,
    /// The description in the older scan.
    pub description_before: Option<String>,
    /// The description in the newer scan.
    pub description_after: Option<String>,
    /// Definition hash in the older scan.
    pub hash_before: String,
    /// Definition hash in the newer scan.
    pub hash_after: String,
    /// Always `true`: a definition that changes under the same name is what a rug pull
    /// looks like (reviewed once, different later), so every change is flagged for a
    /// human to review, however benign it may be.
    pub possible_rug_pull: bool,
}

/// Which scan a side of the diff is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanRef {
    /// The store's id.
    pub id: Option<i64>,
    /// When it ran.
    pub time_unix_nano: u64,
    /// The commit scanned.
    pub commit: Option<String>,
    /// Whether the working tree was dirty.
    pub dirty: Option<bool>,
}

/// What changed between two scans of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The target key both scans share.
    pub target: String,
    /// The older scan.
    pub older: ScanRef,
    /// The newer scan.
    pub newer: ScanRef,
    /// Whether scores are comparable (equal grading versions).
    pub comparable: bool,
    /// Things the reader must know (grading versions differ, scans out of order).
    pub warnings: Vec<String>,
    /// `older..newer` commits, when both scans have commits that differ.
    pub commit_range: Option<String>,
    /// In the newer scan only, not suppressed.
    pub new: Vec<FindingChange>,
    /// In the older scan only.
    pub fixed: Vec<FindingChange>,
    /// In both (with `moved_from` when the location changed).
    pub persisting: Vec<FindingChange>,
    /// Suppressed in the newer scan and not suppressed in (or absent from) the older.
    pub newly_suppressed: Vec<FindingChange>,
    /// Per axis, in the older scan's order, then axes only the newer scan has.
    pub axes: Vec<AxisChange>,
    /// The overall grade.
    pub overall: OverallChange,
    /// Tools only in the newer scan.
    pub tools_added: Vec<ToolRef>,
    /// Tools only in the older scan.
    pub tools_removed: Vec<ToolRef>,
    /// Tools in both whose definition changed.
    pub tools_changed: Vec<ToolChange>,
}

/// The commit range `older..newer` (full hashes, as `git log` takes them) when both
/// scans have commits and they differ. A finding new in the newer scan was introduced
/// by a commit in this range — or by uncommitted changes when the newer scan is dirty.
pub fn commit_range(a: &SavedScan, b: &SavedScan) -> Option<String> {
    match (&a.target.commit, &b.target.commit) {
        (Some(x), Some(y)) if x != y => Some(format!("{x}..{y}")),
        _ => None,
    }
}

fn scan_name(s: &SavedScan, fallback: &str) -> String {
    match s.id {
        Some(id) => format!("scan #{id}"),
        None => fallback.to_string(),
    }
}

/// Compares two scans of one target; `a` is the older, `b` the newer.
///
/// Errors when the targets differ. When the grading versions differ the diff is still
/// made, with `comparable: false`, a warning and no score deltas.
pub fn diff(a: &SavedScan, b: &SavedScan) -> Result<Diff, DiffError> {
    if a.target.key != b.target.key {
        return Err(DiffError::DifferentTargets {
            older_scan: scan_name(a, "the older scan"),
            older: a.target.key.clone(),
            newer_scan: scan_name(b, "the newer scan"),
            newer: b.target.key.clone(),
        });
    }
    let mut warnings = Vec::new();
    let comparable = a.grading_version == b.grading_version;
    if !comparable {
        warnings.push(format!(
            "the scans were graded with different formulas ({} and {}): scores are not \
             comparable, so no score changes are shown; rescan both with one version to \
             compare grades",
            a.grading_version, b.grading_version
        ));
    }
    if a.time_unix_nano > b.time_unix_nano {
        warnings.push(format!(
            "the older side ({}, {} UTC) ran after the newer side ({}, {} UTC): new and \
             fixed are relative to the order given",
            scan_name(a, "first"),
            text::utc(a.time_unix_nano),
            scan_name(b, "second"),
            text::utc(b.time_unix_nano)
        ));
    }
    let range = commit_range(a, b);

    let pairs = match_findings(&a.findings, &b.findings);
    let mut new = Vec::new();
    let mut fixed = Vec::new();
    let mut persisting = Vec::new();
    let mut newly_suppressed = Vec::new();
    for (j, fb) in b.findings.iter().enumerate() {
        match pairs.b_to_a.get(&j) {
            Some(&(i, how)) => {
                let fa = &a.findings[i];
                let change = paired(fa, fb, how);
                if fb.suppressed && !fa.suppressed {
                    newly_suppressed.push(change);
                } else {
                    persisting.push(change);
                }
            }
            None => {
                let mut change = single(fb);
                if fb.suppressed {
                    newly_suppressed.push(change);
                } else {
                    change.introduced_in = range.clone();
                    new.push(change);
                }
            }
        }
    }
    for (i, fa) in a.findings.iter().enumerate() {
        if !pairs.a_matched.contains(&i) {
            fixed.push(single(fa));
        }
    }
    for list in [&mut new, &mut fixed, &mut persisting, &mut newly_suppressed] {
        list.sort_by(|x, y| {
            severity_rank(&x.severity)
                .cmp(&severity_rank(&y.severity))
                .then_with(|| x.location.cmp(&y.location))
                .then_with(|| x.rule.cmp(&y.rule))
        });
    }

    let (tools_added, tools_removed, tools_changed) = diff_tools(&a.tools, &b.tools);

    Ok(Diff {
        target: b.target.key.clone(),
        older: scan_ref(a),
        newer: scan_ref(b),
        comparable,
        warnings,
        commit_range: range,
        new,
        fixed,
        persisting,
        newly_suppressed,
        axes: diff_axes(a, b, comparable),
        overall: OverallChange {
            before: a.overall_score,
            after: b.overall_score,
            delta: comparable.then(|| i16::from(b.overall_score) - i16::from(a.overall_score)),
            grade_before: a.overall_grade.clone(),
            grade_after: b.overall_grade.clone(),
        },
        tools_added,
        tools_removed,
        tools_changed,
    })
}

fn scan_ref(s: &SavedScan) -> ScanRef {
    ScanRef {
        id: s.id,
        time_unix_nano: s.time_unix_nano,
        commit: s.target.commit.clone(),
        dirty: s.target.dirty,
    }
}

/// Worst first; unknown severities last.
fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        "info" => 4,
        _ => 5,
    }
}

struct Pairs {
    /// Index in the newer scan → (index in the older scan, how).
    b_to_a: HashMap<usize, (usize, MatchedBy)>,
    a_matched: BTreeSet<usize>,
}

fn match_findings(a: &[StoredFinding], b: &[StoredFinding]) -> Pairs {
    let mut pairs = Pairs {
        b_to_a: HashMap::new(),
        a_matched: BTreeSet::new(),
    };
    // 1. Fingerprints. They are unique within a scan in practice, but two files with
    // the same name in different directories can share a scope; pair those in order of
    // location so the result does not depend on report order.
    let mut by_fp: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut a_order: Vec<usize> = (0..a.len()).collect();
    a_order.sort_by(|&x, &y| (&a[x].path, a[x].line).cmp(&(&a[y].path, a[y].line)));
    for &i in a_order.iter().rev() {
        // Reversed so that `pop` yields the earliest location first.
        by_fp.entry(a[i].fingerprint.as_str()).or_default().push(i);
    }
    let mut b_order: Vec<usize> = (0..b.len()).collect();
    b_order.sort_by(|&x, &y| (&b[x].path, b[x].line).cmp(&(&b[y].path, b[y].line)));
    for &j in &b_order {
        if let Some(i) = by_fp.get_mut(b[j].fingerprint.as_str()).and_then(Vec::pop) {
            pairs.b_to_a.insert(j, (i, MatchedBy::Fingerprint));
            pairs.a_matched.insert(i);
        }
    }

    // 2. The fallback over what is left: a key must be unique on both sides.
    let mut a_keys: HashMap<(String, Option<String>, String), Vec<usize>> = HashMap::new();
    for (i, f) in a.iter().enumerate() {
        if !pairs.a_matched.contains(&i) {
            a_keys.entry(fallback_key(f)).or_default().push(i);
        }
    }
    let mut b_keys: HashMap<(String, Option<String>, String), Vec<usize>> = HashMap::new();
    for (j, f) in b.iter().enumerate() {
        if !pairs.b_to_a.contains_key(&j) {
            b_keys.entry(fallback_key(f)).or_default().push(j);
        }
    }
    for (key, js) in &b_keys {
        if let ([j], Some([i])) = (js.as_slice(), a_keys.get(key).map(Vec::as_slice)) {
            pairs.b_to_a.insert(*j, (*i, MatchedBy::RuleToolMessage));
            pairs.a_matched.insert(*i);
        }
    }
    pairs
}

fn fallback_key(f: &StoredFinding) -> (String, Option<String>, String) {
    (
        f.rule.clone(),
        f.tool.clone(),
        normalize_message(&f.message),
    )
}

/// Case folded, whitespace collapsed, each run of digits replaced by `#` (messages can
/// quote line numbers or counts that move with the code).
pub(crate) fn normalize_message(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    let mut in_digits = false;
    let mut in_space = false;
    for c in m.trim().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
            in_space = false;
        } else if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
            in_digits = false;
        } else {
            out.extend(c.to_lowercase());
            in_digits = false;
            in_space = false;
        }
    }
    out
}

fn loc(f: &StoredFinding) -> Loc {
    Loc {
        path: f.path.clone(),
        line: f.line,
    }
}

fn single(f: &StoredFinding) -> FindingChange {
    FindingChange {
        rule: f.rule.clone(),
        severity: f.severity.clone(),
        tool: f.tool.clone(),
        message: f.message.clone(),
        fingerprint: f.fingerprint.clone(),
        previous_fingerprint: None,
        location: loc(f),
        moved_from: None,
        matched_by: None,
        suppressed: f.suppressed,
        introduced_in: None,
    }
}

fn paired(fa: &StoredFinding, fb: &StoredFinding, how: MatchedBy) -> FindingChange {
    let mut c = single(fb);
    let (la, lb) = (loc(fa), loc(fb));
    if la != lb {
        c.moved_from = Some(la);
    }
    if fa.fingerprint != fb.fingerprint {
        c.previous_fingerprint = Some(fa.fingerprint.clone());
    }
    c.matched_by = Some(how);
    c
}

fn diff_axes(a: &SavedScan, b: &SavedScan, comparable: bool) -> Vec<AxisChange> {
    let mut names: Vec<&str> = Vec::new();
    for s in a.axes.iter().chain(&b.axes) {
        if !names.contains(&s.axis.as_str()) {
            names.push(&s.axis);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let x = a.axes.iter().find(|s| s.axis == name);
            let y = b.axes.iter().find(|s| s.axis == name);
            let before = x.and_then(|s| s.score);
            let after = y.and_then(|s| s.score);
            AxisChange {
                axis: name.to_string(),
                before,
                after,
                delta: match (before, after, comparable) {
                    (Some(p), Some(q), true) => Some(i16::from(q) - i16::from(p)),
                    _ => None,
                },
                grade_before: x.and_then(|s| s.grade.clone()),
                grade_after: y.and_then(|s| s.grade.clone()),
            }
        })
        .collect()
}

fn tool_ref(t: &StoredTool) -> ToolRef {
    ToolRef {
        name: t.name.clone(),
        description: t.description.clone(),
        definition_hash: t.definition_hash.clone(),
    }
}

/// Tools are keyed by name. A report can hold two tools of one name (a tool and a
/// resource template); they are compared as a group, by their first entry's
/// description and the sorted set of hashes, so report order does not matter.
fn diff_tools(a: &[StoredTool], b: &[StoredTool]) -> (Vec<ToolRef>, Vec<ToolRef>, Vec<ToolChange>) {
    let group = |ts: &[StoredTool]| {
        let mut m: BTreeMap<String, Vec<StoredTool>> = BTreeMap::new();
        for t in ts {
            m.entry(t.name.clone()).or_default().push(t.clone());
        }
        for v in m.values_mut() {
            v.sort_by(|x, y| x.definition_hash.cmp(&y.definition_hash));
        }
        m
    };
    let (ga, gb) = (group(a), group(b));
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for (name, tb) in &gb {
        let Some(ta) = ga.get(name) else {
            added.extend(tb.iter().map(tool_ref));
            continue;
        };
        let hashes = |ts: &[StoredTool]| -> Vec<String> {
            ts.iter().map(|t| t.definition_hash.clone()).collect()
        };
        if hashes(ta) == hashes(tb) {
            continue;
        }
        let (Some(x), Some(y)) = (ta.first(), tb.first()) else {
            continue;
        };
        let descs = |ts: &[StoredTool]| -> Vec<Option<String>> {
            ts.iter().map(|t| t.description.clone()).collect()
        };
        let description_changed = descs(ta) != descs(tb);
        let schemas = |ts: &[StoredTool]| -> Option<Vec<String>> {
            ts.iter().map(|t| t.schema_hash.clone()).collect()
        };
        let schema = match (schemas(ta), schemas(tb)) {
            (Some(p), Some(q)) if p == q => SchemaChange::Unchanged,
            (Some(_), Some(_)) => SchemaChange::Changed,
            // Without schema hashes: the definition changed, so if the description did
            // not, the schema must have.
            _ if !description_changed => SchemaChange::Changed,
            _ => SchemaChange::Unknown,
        };
        changed.push(ToolChange {
            name: name.clone(),
            description_changed,
            schema,
            description_before: x.description.clone(),
            description_after: y.description.clone(),
            hash_before: x.definition_hash.clone(),
            hash_after: y.definition_hash.clone(),
            possible_rug_pull: true,
        });
    }
    for (name, ta) in &ga {
        if !gb.contains_key(name) {
            removed.extend(ta.iter().map(tool_ref));
        }
    }
    (added, removed, changed)
}

impl Diff {
    /// Whether anything a reviewer should look at changed: new or newly suppressed
    /// findings, changed or added tools, or a lower score on any axis.
    pub fn has_regressions(&self) -> bool {
        !self.new.is_empty()
            || !self.newly_suppressed.is_empty()
            || !self.tools_changed.is_empty()
            || !self.tools_added.is_empty()
            || self.axes.iter().any(|a| a.delta.is_some_and(|d| d < 0))
            || self.overall.delta.is_some_and(|d| d < 0)
    }

    /// Plain text for a terminal: aligned columns, no colour.
    /// For a terminal (text from the repository made printable: see
    /// [`crate::text::printable`]).
    pub fn render_text(&self) -> String {
        crate::text::printable(&self.text_body())
    }

    fn text_body(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!("diff of {}\n", self.target));
        out.push_str(&format!("  older: {}\n", describe(&self.older)));
        out.push_str(&format!("  newer: {}\n", describe(&self.newer)));
        if let Some(r) = &self.commit_range {
            out.push_str(&format!("  commits: {r}\n"));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }

        out.push_str("\nGrades\n");
        let mut rows = vec![vec![
            "axis".to_string(),
            "before".to_string(),
            "after".to_string(),
            "change".to_string(),
        ]];
        for a in &self.axes {
            rows.push(vec![
                a.axis.clone(),
                score_cell(a.before, a.grade_before.as_deref()),
                score_cell(a.after, a.grade_after.as_deref()),
                delta_cell(a.delta),
            ]);
        }
        rows.push(vec![
            "overall".to_string(),
            score_cell(Some(self.overall.before), Some(&self.overall.grade_before)),
            score_cell(Some(self.overall.after), Some(&self.overall.grade_after)),
            delta_cell(self.overall.delta),
        ]);
        out.push_str(&text::table(&rows, &[false, true, true, true], "  "));

        for (title, list) in [
            ("New findings", &self.new),
            ("Fixed findings", &self.fixed),
            ("Newly suppressed", &self.newly_suppressed),
            ("Persisting findings", &self.persisting),
        ] {
            let note = if title == "Newly suppressed" {
                " — silencing is not fixing"
            } else {
                ""
            };
            out.push_str(&format!("\n{title} ({}){note}\n", list.len()));
            if list.is_empty() {
                out.push_str("  none\n");
                continue;
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|f| {
                    vec![
                        f.severity.clone(),
                        f.rule.clone(),
                        f.location.to_string(),
                        f.tool.clone().unwrap_or_else(|| "-".to_string()),
                        notes(f),
                    ]
                })
                .collect();
            out.push_str(&text::table(&rows, &[], "  "));
        }

        let n = self.tools_added.len() + self.tools_removed.len() + self.tools_changed.len();
        out.push_str(&format!("\nTools ({n} changed)\n"));
        if n == 0 {
            out.push_str("  none\n");
        }
        for t in &self.tools_added {
            out.push_str(&format!("  + {} (added)\n", t.name));
        }
        for t in &self.tools_removed {
            out.push_str(&format!("  - {} (removed)\n", t.name));
        }
        for t in &self.tools_changed {
            out.push_str(&format!(
                "  ~ {} ({} changed) — possible rug pull: review the new definition\n",
                t.name,
                changed_parts(t)
            ));
            if t.description_changed {
                out.push_str(&format!(
                    "      before: {}\n      after:  {}\n",
                    quoted(t.description_before.as_deref()),
                    quoted(t.description_after.as_deref())
                ));
            }
        }
        out
    }

    /// Markdown for a pull-request comment. Text from the scans (messages, paths,
    /// descriptions) is escaped so it cannot format or link.
    /// For a pull-request comment (text from the repository escaped for Markdown and
    /// made printable).
    pub fn render_markdown(&self) -> String {
        crate::text::printable(&self.markdown_body())
    }

    fn markdown_body(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "### Warden diff: {}\n\n",
            text::md_escape(&self.target)
        ));
        out.push_str(&format!(
            "{} → {}",
            text::md_escape(&describe(&self.older)),
            text::md_escape(&describe(&self.newer))
        ));
        if let Some(r) = &self.commit_range {
            out.push_str(&format!(" (commits `{r}`)"));
        }
        out.push_str("\n\n");
        for w in &self.warnings {
            out.push_str(&format!("> **Warning:** {}\n\n", text::md_escape(w)));
        }
        out.push_str(&format!(
            "**{} new**, {} fixed, {} newly suppressed, {} persisting · tools: {} added, {} removed, {} changed\n\n",
            self.new.len(),
            self.fixed.len(),
            self.newly_suppressed.len(),
            self.persisting.len(),
            self.tools_added.len(),
            self.tools_removed.len(),
            self.tools_changed.len()
        ));
        out.push_str("| axis | before | after | change |\n|---|--:|--:|--:|\n");
        for a in &self.axes {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                text::md_escape(&a.axis),
                score_cell(a.before, a.grade_before.as_deref()),
                score_cell(a.after, a.grade_after.as_deref()),
                delta_cell(a.delta)
            ));
        }
        out.push_str(&format!(
            "| **overall** | {} | {} | {} |\n",
            score_cell(Some(self.overall.before), Some(&self.overall.grade_before)),
            score_cell(Some(self.overall.after), Some(&self.overall.grade_after)),
            delta_cell(self.overall.delta)
        ));
        for (title, list) in [
            ("New findings", &self.new),
            ("Fixed findings", &self.fixed),
            (
                "Newly suppressed — silencing is not fixing",
                &self.newly_suppressed,
            ),
        ] {
            if list.is_empty() {
                continue;
            }
            out.push_str(&format!("\n#### {title} ({})\n\n", list.len()));
            out.push_str(
                "| severity | rule | location | tool | message |\n|---|---|---|---|---|\n",
            );
            for f in list {
                let mut msg = text::md_escape(&f.message);
                let extra = notes(f);
                if !extra.is_empty() {
                    msg.push_str(&format!(" ({})", text::md_escape(&extra)));
                }
                out.push_str(&format!(
                    "| {} | `{}` | `{}` | {} | {} |\n",
                    text::md_escape(&f.severity),
                    code_safe(&f.rule),
                    code_safe(&f.location.to_string()),
                    text::md_escape(f.tool.as_deref().unwrap_or("-")),
                    msg
                ));
            }
        }
        let moved: Vec<&FindingChange> = self
            .persisting
            .iter()
            .filter(|f| f.moved_from.is_some())
            .collect();
        if !moved.is_empty() {
            out.push_str(&format!(
                "\n<details><summary>{} persisting finding(s) moved</summary>\n\n",
                moved.len()
            ));
            for f in moved {
                if let Some(from) = &f.moved_from {
                    out.push_str(&format!(
                        "- `{}` `{}` → `{}`\n",
                        code_safe(&f.rule),
                        code_safe(&from.to_string()),
                        code_safe(&f.location.to_string())
                    ));
                }
            }
            out.push_str("\n</details>\n");
        }
        if !self.tools_added.is_empty()
            || !self.tools_removed.is_empty()
            || !self.tools_changed.is_empty()
        {
            out.push_str("\n#### Tools\n\n");
            for t in &self.tools_added {
                out.push_str(&format!("- added `{}`\n", code_safe(&t.name)));
            }
            for t in &self.tools_removed {
                out.push_str(&format!("- removed `{}`\n", code_safe(&t.name)));
            }
            for t in &self.tools_changed {
                out.push_str(&format!(
                    "- **possible rug pull:** `{}` changed ({})\n",
                    code_safe(&t.name),
                    changed_parts(t)
                ));
                if t.description_changed {
                    out.push_str(&format!(
                        "  - before: {}\n  - after: {}\n",
                        text::md_escape(&quoted(t.description_before.as_deref())),
                        text::md_escape(&quoted(t.description_after.as_deref()))
                    ));
                }
            }
        }
        out
    }
}

/// Inline code cannot hold a backtick; replace it rather than break the span.
fn code_safe(s: &str) -> String {
    s.replace('`', "'").replace(['\n', '\r'], " ")
}

fn quoted(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("{s:?}"),
        None => "(none)".to_string(),
    }
}

fn changed_parts(t: &ToolChange) -> String {
    match (t.description_changed, t.schema) {
        (true, SchemaChange::Changed) => "description and schema".to_string(),
        (true, SchemaChange::Unchanged) => "description".to_string(),
        (true, SchemaChange::Unknown) => "description; schema unknown".to_string(),
        (false, _) => "schema".to_string(),
    }
}

fn describe(s: &ScanRef) -> String {
    let id =
        s.id.map_or_else(|| "unsaved scan".to_string(), |i| format!("scan #{i}"));
    let commit = match &s.commit {
        Some(c) => {
            let short: String = c.chars().take(7).collect();
            let dirty = if s.dirty == Some(true) { "*" } else { "" };
            format!(" at {short}{dirty}")
        }
        None => String::new(),
    };
    format!("{id}, {} UTC{commit}", text::utc(s.time_unix_nano))
}

fn score_cell(score: Option<u8>, grade: Option<&str>) -> String {
    match (score, grade) {
        (Some(s), Some(g)) => format!("{s} {g}"),
        (Some(s), None) => s.to_string(),
        (None, _) => "n/a".to_string(),
    }
}

fn delta_cell(d: Option<i16>) -> String {
    match d {
        Some(0) => "=".to_string(),
        Some(d) if d > 0 => format!("+{d}"),
        Some(d) => d.to_string(),
        None => "-".to_string(),
    }
}

fn notes(f: &FindingChange) -> String {
    let mut parts = Vec::new();
    if let Some(from) = &f.moved_from {
        parts.push(format!("moved from {from}"));
    }
    if f.matched_by == Some(MatchedBy::RuleToolMessage) {
        parts.push("matched by rule, tool and message".to_string());
    }
    if f.suppressed {
        parts.push("suppressed".to_string());
    }
    if let Some(r) = &f.introduced_in {
        // Short hashes in a row; the full range is in the header and the JSON.
        let short: Vec<String> = r.split("..").map(|c| c.chars().take(7).collect()).collect();
        parts.push(format!("introduced in {}", short.join("..")));
    }
    parts.join("; ")
}
