//! The pages: a request (path and query) → a [`Page`] (status, type, body). No HTTP
//! here, so every page is testable without a socket; [`crate::server`] puts it on one.

use std::path::PathBuf;
use std::sync::Mutex;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::Serialize;
use serde_json::Value;
use warden_history::drift::{DriftOptions, drift};
use warden_history::model::SavedScan;
use warden_history::store::{ScanSummary, Store, StoreError};

use crate::view::{self, short_commit, utc};
use crate::{WebError, chart};

/// The hover script, served as `/static/chart.js` (a same-origin file: the CSP forbids
/// inline scripts).
pub const CHART_JS: &str = include_str!("assets/chart.js");

/// Scans loaded per target to compute drift on the overview (the default drift window
/// is 5 comparable scans; twice that leaves room for scans of another grading version).
const DRIFT_SCANS: usize = 10;

/// The templates, compiled into the binary.
const TEMPLATES: [(&str, &str); 10] = [
    ("base.html", include_str!("templates/base.html")),
    ("macros.html", include_str!("templates/macros.html")),
    ("index.html", include_str!("templates/index.html")),
    ("target.html", include_str!("templates/target.html")),
    ("scan_body.html", include_str!("templates/scan_body.html")),
    ("scan.html", include_str!("templates/scan.html")),
    ("report.html", include_str!("templates/report.html")),
    ("diff.html", include_str!("templates/diff.html")),
    ("incident.html", include_str!("templates/incident.html")),
    ("error.html", include_str!("templates/error.html")),
];

/// The template environment: every template HTML-escaped, undefined values an error
/// when printed (a typo in a template fails the tests instead of printing nothing).
pub fn environment() -> Result<Environment<'static>, WebError> {
    let mut env = Environment::new();
    // Everything rendered is HTML, whatever the template's name.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| WebError::Template(format!("{name}: {e:#}")))?;
    }
    Ok(env)
}

/// A rendered response.
#[derive(Debug, Clone)]
pub struct Page {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// A redirect target (`Location`), for 303.
    pub location: Option<String>,
}

impl Page {
    fn html(status: u16, body: String) -> Page {
        Page {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            location: None,
        }
    }
}

/// The dashboard over one store (and optionally one incident case).
pub struct Dashboard {
    env: Environment<'static>,
    // The store is synchronous (its PostgreSQL backend runs its own runtime), so it is
    // used from blocking threads, one request at a time.
    store: Mutex<Store>,
    case_dir: Option<PathBuf>,
}

/// One row of the overview.
#[derive(Serialize)]
struct TargetRow {
    key: String,
    grade: String,
    score: u8,
    scans: usize,
    latest_id: i64,
    last_time: String,
    commit: Option<String>,
    dirty: Option<bool>,
    drift: Vec<String>,
}

/// One row of a target's scan list.
#[derive(Serialize)]
struct ScanRow {
    id: i64,
    time: String,
    commit: Option<String>,
    dirty: Option<bool>,
    branch: Option<String>,
    tag: Option<String>,
    grade: String,
    score: u8,
    previous: Option<i64>,
}

/// Decodes `%XX` escapes and `+` (a form's space) in a query value.
fn percent_decode(s: &str) -> Result<String, WebError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| {
                        WebError::BadRequest(format!(
                            "the query `{s}` has a malformed %-escape; encode it as %XX"
                        ))
                    })?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map_err(|_| WebError::BadRequest(format!("the query `{s}` is not UTF-8 once decoded")))
}

/// The value of `name` in a query string (the first one), decoded.
pub fn query_param(query: Option<&str>, name: &str) -> Result<Option<String>, WebError> {
    for pair in query.unwrap_or("").split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode(k)? == name {
            return Ok(Some(percent_decode(v)?));
        }
    }
    Ok(None)
}

fn scan_id(s: &str) -> Result<i64, WebError> {
    s.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| {
        WebError::BadRequest(format!(
            "`{s}` is not a scan id; scan ids are positive whole numbers (the target pages list them)"
        ))
    })
}

/// The store's answer, with an unknown scan as a 404.
fn loaded(r: Result<SavedScan, StoreError>, id: i64) -> Result<SavedScan, WebError> {
    r.map_err(|e| match e {
        StoreError::NotFound { .. } => WebError::NotFound(format!(
            "there is no scan #{id} in the store; the overview lists the targets and their scans"
        )),
        other => WebError::Store(other),
    })
}

impl Dashboard {
    /// A dashboard over `store`, with the incident view when `case_dir` is given.
    pub fn new(store: Store, case_dir: Option<PathBuf>) -> Result<Dashboard, WebError> {
        Ok(Dashboard {
            env: environment()?,
            store: Mutex::new(store),
            case_dir,
        })
    }

    /// Answers `GET path?query`. Never panics on input: a bad request is a 400 page, an
    /// unknown scan or target a 404, a store failure a 500 — each saying why.
    pub fn get(&self, path: &str, query: Option<&str>) -> Page {
        match self.route(path, query) {
            Ok(page) => page,
            Err(e) => self.error_page(&e),
        }
    }

    fn route(&self, path: &str, query: Option<&str>) -> Result<Page, WebError> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            [""] => self.index(),
            ["target"] => {
                let key = query_param(query, "key")?.ok_or_else(|| {
                    WebError::BadRequest(
                        "/target needs ?key=<target key> (the overview links to each target)"
                            .into(),
                    )
                })?;
                self.target(&key)
            }
            ["scan", id] => self.scan(scan_id(id)?),
            ["diff"] => {
                // The form on a target page: redirect to the diff's own address, so the
                // address bar shows a link that can be shared.
                let pick = |name: &str| -> Result<i64, WebError> {
                    let v = query_param(query, name)?.ok_or_else(|| {
                        WebError::BadRequest(format!(
                            "/diff needs ?a=<scan id>&b=<scan id>; `{name}` is missing"
                        ))
                    })?;
                    scan_id(&v)
                };
                let (a, b) = (pick("a")?, pick("b")?);
                Ok(Page {
                    status: 303,
                    content_type: "text/plain; charset=utf-8",
                    body: format!("see /diff/{a}/{b}\n"),
                    location: Some(format!("/diff/{a}/{b}")),
                })
            }
            ["diff", a, b] => self.diff(scan_id(a)?, scan_id(b)?),
            ["incident"] => self.incident(),
            ["static", "chart.js"] => Ok(Page {
                status: 200,
                content_type: "text/javascript; charset=utf-8",
                body: CHART_JS.to_string(),
                location: None,
            }),
            _ => Err(WebError::NotFound(format!(
                "there is no page at `{path}`; the overview is at /"
            ))),
        }
    }

    fn store(&self) -> Result<std::sync::MutexGuard<'_, Store>, WebError> {
        // A panic while holding the lock cannot leave the read-only store half-changed,
        // so a poisoned lock is still safe to use.
        let mut store = self
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A PostgreSQL restart since the last page: connect again rather than fail.
        store.reconnect_if_lost()?;
        Ok(store)
    }

    fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, WebError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
            .map_err(|e| WebError::Template(format!("{name}: {e:#}")))
    }

    fn error_page(&self, e: &WebError) -> Page {
        let status = e.status();
        let reason = match status {
            400 => "Bad request",
            404 => "Not found",
            _ => "Error",
        };
        let body = self
            .render(
                "error.html",
                context! {
                    title => reason, serve => true, has_case => self.case_dir.is_some(),
                    version => env!("CARGO_PKG_VERSION"),
                    status, reason, message => e.to_string(),
                },
            )
            // The error page itself failing is a bug in a template; plain text still
            // says what went wrong, escaped by being text/plain.
            .unwrap_or_else(|re| {
                format!("{status} {reason}: {e}\n(and the error page failed: {re})\n")
            });
        let mut page = Page::html(status, body);
        if !page.body.starts_with("<!doctype") {
            page.content_type = "text/plain; charset=utf-8";
        }
        page
    }

    fn base(&self, title: &str) -> Value {
        serde_json::json!({
            "title": title, "serve": true, "has_case": self.case_dir.is_some(),
            "version": env!("CARGO_PKG_VERSION"), "chart_script": false,
        })
    }

    fn page<S: Serialize>(&self, template: &str, title: &str, extra: S) -> Result<Page, WebError> {
        let mut ctx = self.base(title);
        let extra = serde_json::to_value(extra)
            .map_err(|e| WebError::Template(format!("{template}: {e}")))?;
        if let (Some(c), Value::Object(x)) = (ctx.as_object_mut(), extra) {
            c.extend(x);
        }
        Ok(Page::html(200, self.render(template, ctx)?))
    }

    /// Drift reads grades only: the listing has them (loading each scan would parse its
    /// whole report, on every page view).
    fn drift_messages(summaries: &[ScanSummary]) -> Vec<String> {
        let recent = &summaries[summaries.len().saturating_sub(DRIFT_SCANS)..];
        let scans: Vec<_> = recent.iter().map(ScanSummary::to_scan).collect();
        drift(&scans, DriftOptions::default())
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    fn index(&self) -> Result<Page, WebError> {
        let store = self.store()?;
        let mut rows = Vec::new();
        for key in store.targets()? {
            let summaries = store.list(Some(&key))?;
            let Some(latest) = summaries.last() else {
                continue;
            };
            rows.push(TargetRow {
                key: key.clone(),
                grade: latest.overall_grade.clone(),
                score: latest.overall_score,
                scans: summaries.len(),
                latest_id: latest.id,
                last_time: utc(latest.time_unix_nano),
                commit: latest.commit.as_deref().map(short_commit),
                dirty: latest.dirty,
                drift: Self::drift_messages(&summaries),
            });
        }
        let name = store.name().to_string();
        drop(store);
        self.page(
            "index.html",
            "Servers",
            serde_json::json!({ "targets": rows, "store": name }),
        )
    }

    fn target(&self, key: &str) -> Result<Page, WebError> {
        let store = self.store()?;
        let summaries = store.list(Some(key))?;
        let Some(latest) = summaries.last() else {
            return Err(WebError::NotFound(format!(
                "the store holds no scans of the target `{key}`; the overview lists the targets it has"
            )));
        };
        let drift = Self::drift_messages(&summaries);
        drop(store);
        let mut rows: Vec<ScanRow> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| ScanRow {
                id: s.id,
                time: utc(s.time_unix_nano),
                commit: s.commit.as_deref().map(short_commit),
                dirty: s.dirty,
                branch: s.branch.clone(),
                tag: s.tag.clone(),
                grade: s.overall_grade.clone(),
                score: s.overall_score,
                previous: i.checked_sub(1).map(|p| summaries[p].id),
            })
            .collect();
        // Newest first in the table; the chart reads left to right, oldest first.
        rows.reverse();
        let default_a = summaries
            .len()
            .checked_sub(2)
            .map(|i| summaries[i].id)
            .unwrap_or(latest.id);
        let mut ctx = serde_json::json!({
            "key": key,
            "latest": latest,
            "latest_time": utc(latest.time_unix_nano),
            "scans": rows,
            "chart": chart::chart(&summaries),
            "drift": drift,
            "default_a": default_a,
            "default_b": latest.id,
        });
        ctx["chart_script"] = Value::Bool(true);
        self.page("target.html", key, ctx)
    }

    fn scan(&self, id: i64) -> Result<Page, WebError> {
        let store = self.store()?;
        let scan = loaded(store.load(id), id)?;
        let siblings = store.list(Some(&scan.target.key))?;
        drop(store);
        let at = siblings.iter().position(|s| s.id == id);
        let previous = at
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| siblings.get(i))
            .map(|s| s.id);
        let next = at.and_then(|i| siblings.get(i + 1)).map(|s| s.id);
        // The report kept with the scan (since store version 4) adds the evidence,
        // fixes and grade explanations.
        // Code is read from the scan's path only when that path is still the target the
        // scan was of: whoever can write the store chooses the path, and must not make
        // the dashboard show files of another directory.
        let same_target = warden_history::target::identify(std::path::Path::new(&scan.target.path))
            .is_ok_and(|t| t.key == scan.target.key);
        let view = view::scan_view(&scan, scan.report.as_ref(), same_target);
        self.page(
            "scan.html",
            &format!("Scan #{id}"),
            serde_json::json!({
                "scan": view, "previous": previous, "next": next,
                "explanations_kept": scan.report.is_some(),
            }),
        )
    }

    fn diff(&self, a: i64, b: i64) -> Result<Page, WebError> {
        if a == b {
            return Err(WebError::BadRequest(format!(
                "scan #{a} compared with itself shows nothing; pick two different scans"
            )));
        }
        let store = self.store()?;
        let first = loaded(store.load(a), a)?;
        let second = loaded(store.load(b), b)?;
        drop(store);
        // Older on the left, whatever order the address gives.
        let (older, newer) = if first.time_unix_nano <= second.time_unix_nano {
            (first, second)
        } else {
            (second, first)
        };
        let d = warden_history::diff::diff(&older, &newer)
            .map_err(|e| WebError::BadRequest(e.to_string()))?;
        self.page(
            "diff.html",
            &format!(
                "Diff #{} → #{}",
                older.id.unwrap_or(a),
                newer.id.unwrap_or(b)
            ),
            serde_json::json!({
                "diff": d,
                "older_time": utc(older.time_unix_nano),
                "newer_time": utc(newer.time_unix_nano),
                "older_commit": older.target.commit.as_deref().map(short_commit),
                "newer_commit": newer.target.commit.as_deref().map(short_commit),
            }),
        )
    }

    fn incident(&self) -> Result<Page, WebError> {
        let Some(dir) = &self.case_dir else {
            return Err(WebError::NotFound(
                "no incident case is shown: start `warden serve` with --case <case directory>"
                    .into(),
            ));
        };
        let case_err = |e: warden_incident::case::CaseError| WebError::Case {
            dir: dir.display().to_string(),
            why: e.to_string(),
        };
        let case = warden_incident::case::Case::load(dir).map_err(case_err)?;
        let entries = case.entries().map_err(case_err)?;
        let status = case.status(now_unix_nano()).map_err(case_err)?;
        let timeline: Vec<view::JournalView> = entries
            .iter()
            .enumerate()
            .map(|(i, e)| view::journal_view(i, e))
            .collect();
        self.page(
            "incident.html",
            &format!("Incident {}", case.meta.id),
            serde_json::json!({
                "status": status,
                "entries": timeline,
                "opened": utc(case.meta.opened_unix_nano),
                "opened_by": case.meta.opened_by,
                "dir": dir.display().to_string(),
            }),
        )
    }
}

/// Now, in nanoseconds since 1970 (0 if the clock is before 1970, which only makes the
/// elapsed minutes wrong, never the page fail).
fn now_unix_nano() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// `warden scan --format html`: one self-contained HTML file of a scan report (the
/// `warden scan --format json` value). `target` is what was scanned (its path is where
/// code context is read from). The same templates and CSS as the dashboard's scan page;
/// no script, no external asset, and a CSP meta tag that forbids loading anything.
pub fn render_report(
    report: &Value,
    target: warden_history::model::Target,
    time_unix_nano: u64,
) -> Result<String, WebError> {
    let scan = warden_history::convert::from_report(report, target, time_unix_nano)
        .map_err(|e| WebError::Report(e.to_string()))?;
    let view = view::scan_view(&scan, Some(report), true);
    let env = environment()?;
    env.get_template("report.html")
        .and_then(|t| {
            t.render(context! {
                title => format!("Scan of {}", scan.target.key),
                serve => false, has_case => false, chart_script => false,
                version => env!("CARGO_PKG_VERSION"),
                scan => minijinja::value::Serde(&view), explanations_kept => true,
            })
        })
        .map_err(|e| WebError::Template(format!("report.html: {e:#}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_decoded() {
        let q = Some("a=1&key=%2Ftmp%2Fmy+repo&x");
        assert_eq!(
            query_param(q, "key").ok().flatten().as_deref(),
            Some("/tmp/my repo")
        );
        assert_eq!(query_param(q, "a").ok().flatten().as_deref(), Some("1"));
        assert_eq!(query_param(q, "x").ok().flatten().as_deref(), Some(""));
        assert!(matches!(query_param(q, "b"), Ok(None)));
        for bad in ["key=%ZZ", "key=%2", "key=%FF"] {
            assert!(
                matches!(query_param(Some(bad), "key"), Err(WebError::BadRequest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_template_compiles() {
        assert!(environment().is_ok());
    }
}
