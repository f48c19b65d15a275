//! `warden serve` and `warden scan --format html`: a store built by `warden scan --save`
//! over three commits of a fixture server (plus one crafted scan whose finding carries
//! markup, and an incident case), served on a free loopback port.
//!
//! - `dashboard_over_raw_http`: statuses (200/303/400/403/404/405), the CSP on every
//!   response, HEAD, the Host check, the bearer token, escaping — over a plain TcpStream;
//! - `html_report_is_self_contained`: no script, no external reference, no secret value;
//! - `dashboard_on_postgres`: the pages over a PostgreSQL store;
//! - `dashboard_in_a_browser`: Debian's chromium through playwright-core
//!   (`tests/browser/dashboard.mjs`): no console errors, the chart drawn, the links and
//!   the diff form followed, the report file opened from disk; screenshots are kept in
//!   `target/dashboard-screenshots/`. Skipped without `WARDEN_TEST_CHROMIUM` (run
//!   `eval "$(bash scripts/setup-browser.sh)"`), and failing when `CI` is set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::{commit, copy_dir, fixture, git, text};
mod support;

use warden_history::model::{AxisScore, SavedScan, StoredFinding, StoredTool, Target};

/// What a finding in the crafted scan says: it must show as text and never run.
const XSS: &str = "<script>window.__xss=1</script>";
/// A file name with both quote characters.
const QUOTED: &str = "it's \"quoted\".py";

fn warden() -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("warden"));
    c.env("NO_COLOR", "1").env_remove("WARDEN_STORE");
    c
}

/// The history, the repository, the crafted scan's id and the case directory.
struct Fixture {
    dir: tempfile::TempDir,
    /// A SQLite path or a postgres:// URL.
    store: String,
    repo: PathBuf,
    evil_scan: i64,
    case: PathBuf,
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("history.sqlite").display().to_string();
    build_fixture_in(dir, store)
}

fn build_fixture_in(dir: tempfile::TempDir, store: String) -> Fixture {
    let repo = dir.path().join("notes");
    let save = |repo: &Path| {
        let out = warden()
            .arg("scan")
            .arg(repo)
            .args(["--save", "-o", "/dev/null", "--store"])
            .arg(&store)
            .output()
            .expect("warden scan");
        assert!(out.status.success(), "{}", text(&out));
    };
    // 1: clean; 2: vulnerabilities arrive; 3: a tool's description changes (with
    // markup in it, as a malicious repository would write it).
    copy_dir(&fixture("notes-py-clean"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    commit(&repo, "clean");
    save(&repo);
    copy_dir(&fixture("notes-py-vulnerable"), &repo);
    commit(&repo, "add features");
    save(&repo);
    let server = repo.join("notes_server/server.py");
    let body = std::fs::read_to_string(&server).expect("read");
    std::fs::write(
        &server,
        body.replace(
            "\"\"\"Read a note.\"\"\"",
            "\"\"\"Read a note <img src=x onerror=alert(1)>.\"\"\"",
        ),
    )
    .expect("write");
    commit(&repo, "describe");
    save(&repo);

    // 4: a crafted scan of another target, saved straight into the store (the store is
    // as untrusted as the repository: whoever writes it chooses every string).
    let evil = dir.path().join("evil");
    std::fs::create_dir_all(&evil).expect("mkdir");
    std::fs::write(evil.join(QUOTED), "line one\nrun(x)  # here\nline three\n").expect("write");
    std::fs::write(dir.path().join("outside.txt"), "TOPSECRET-OUTSIDE\n").expect("write");
    let finding = |path: &str, line: u32, message: &str, fp: &str| StoredFinding {
        fingerprint: fp.into(),
        rule: "cmd-shell-injection".into(),
        severity: "high".into(),
        path: path.into(),
        line,
        tool: Some("<b>tool</b>".into()),
        message: message.into(),
        suppressed: false,
    };
    let crafted = SavedScan {
        id: None,
        target: Target {
            key: "evil \"target\" <b>bold</b>".into(),
            path: evil.display().to_string(),
            remote: None,
            commit: None,
            dirty: None,
            branch: None,
            tag: None,
        },
        time_unix_nano: 1_796_419_456_000_000_000,
        tool_version: "0.1.0".into(),
        grading_version: "warden-grading/1".into(),
        overall_score: 40,
        overall_grade: "F".into(),
        axes: vec![AxisScore {
            axis: "injection-resistance".into(),
            score: Some(40),
            grade: Some("F".into()),
        }],
        findings: vec![
            finding(QUOTED, 2, XSS, "00000000000000000000000000000001"),
            finding(
                "../outside.txt",
                1,
                "reaches out",
                "00000000000000000000000000000002",
            ),
        ],
        tools: vec![StoredTool {
            name: "x\"><script>alert(2)</script>".into(),
            definition_hash: "sha256:00".into(),
            description: Some("<img src=x onerror=alert(3)>".into()),
            schema_hash: None,
        }],
        report: None,
    };
    let spec = warden_history::store::StoreSpec::parse(Some(&store)).expect("store spec");
    let mut s = warden_history::store::Store::open(&spec).expect("open store");
    let evil_scan = s.save(&crafted).expect("save crafted scan");
    drop(s);

    // An incident case with a journal (its note carries markup too).
    let case = dir.path().join("case");
    for args in [
        vec![
            "incident",
            "open",
            "--title",
            "tokens read by an injected agent",
        ],
        vec!["incident", "note", "<i>fenced</i> the proxy by hand"],
    ] {
        let out = warden()
            .env("WARDEN_CASE", &case)
            .env("USER", "responder")
            .args(&args)
            .output()
            .expect("warden incident");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    }
    Fixture {
        dir,
        store,
        repo,
        evil_scan,
        case,
    }
}

/// A running `warden serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(f: &Fixture, extra: &[&str]) -> Server {
    let mut child = warden()
        .arg("serve")
        .arg("--store")
        .arg(&f.store)
        .args(["--listen", "127.0.0.1:0", "--case"])
        .arg(&f.case)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("warden serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the URL line");
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no URL in `{line}`"));
    Server { child, port }
}

/// One HTTP/1.1 exchange on a fresh connection.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn request(port: u16, method: &str, target: &str, headers: &[(&str, &str)]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut req = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(port: u16, target: &str) -> Reply {
    request(port, "GET", target, &[])
}

/// The target key of the repository as the store has it (its canonical path).
fn repo_key(f: &Fixture) -> String {
    f.repo
        .canonicalize()
        .expect("canonical")
        .display()
        .to_string()
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'";

#[test]
fn dashboard_over_raw_http() {
    let f = build_fixture();
    let srv = serve(&f, &[]);
    let p = srv.port;
    let key = encode(&repo_key(&f));
    let evil = f.evil_scan;
    for (target, status) in [
        ("/".to_string(), 200),
        (format!("/target?key={key}"), 200),
        ("/target".to_string(), 400),
        ("/target?key=%ZZ".to_string(), 400),
        ("/target?key=nothing-here".to_string(), 404),
        ("/scan/1".to_string(), 200),
        ("/scan/3".to_string(), 200),
        (format!("/scan/{evil}"), 200),
        ("/scan/999".to_string(), 404),
        ("/scan/abc".to_string(), 400),
        ("/scan/-1".to_string(), 400),
        ("/diff/1/3".to_string(), 200),
        ("/diff/3/1".to_string(), 200),
        ("/diff/2/2".to_string(), 400),
        (format!("/diff/1/{evil}"), 400),
        ("/diff/1/999".to_string(), 404),
        ("/diff?a=1".to_string(), 400),
        ("/diff?a=1&b=3".to_string(), 303),
        ("/incident".to_string(), 200),
        ("/static/chart.js".to_string(), 200),
        ("/nothing".to_string(), 404),
        ("/scan/1/extra".to_string(), 404),
    ] {
        let r = get(p, &target);
        assert_eq!(r.status, status, "GET {target}: {}", r.body);
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.starts_with(CSP), "GET {target}: CSP `{csp}`");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        if status == 404 || status == 400 {
            assert!(r.body.contains("id=\"error\""), "an error page: {}", r.body);
        }
    }
    assert_eq!(
        get(p, "/diff?a=1&b=3").header("location"),
        Some("/diff/1/3")
    );
    assert!(
        get(p, "/static/chart.js")
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/javascript"))
    );
    assert!(get(p, "/scan/999").body.contains("no scan #999"));

    // Read-only: anything but GET and HEAD is 405, with Allow.
    for m in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = request(p, m, "/", &[("Content-Length", "0")]);
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
        assert!(r.header("content-security-policy").is_some());
    }
    let head = request(p, "HEAD", "/", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    // DNS rebinding: a foreign Host is refused; loopback names pass.
    let foreign = request(p, "GET", "/", &[("Host", "evil.example:8765")]);
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert!(foreign.header("content-security-policy").is_some());
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        let h = format!("{host}:{p}");
        assert_eq!(request(p, "GET", "/", &[("Host", &h)]).status, 200, "{h}");
    }

    // Escaping: the crafted scan's strings come back as text.
    let page = get(p, &format!("/scan/{evil}")).body;
    assert!(!page.contains(XSS), "a raw script in the page");
    assert!(page.contains("&lt;script&gt;window.__xss=1&lt;"), "{page}");
    assert!(!page.contains("<img src=x"));
    assert!(!page.contains("\"quoted\""));
    assert!(page.contains("&quot;quoted&quot;"));
    assert!(!page.contains("<b>"));
    // Its path is not the target it claims to be (anyone who can write the store
    // chooses both): no code is read from it at all (the traversal checks of code
    // context have unit tests in warden-web).
    assert!(
        page.contains("is not the scanned target any more"),
        "{page}"
    );
    assert!(!page.contains("run(x)  # here"));
    assert!(!page.contains("TOPSECRET"));
    let index = get(p, "/").body;
    assert!(index.contains("evil &quot;target&quot; &lt;b&gt;bold&lt;&#x2f;b&gt;"));
    // The real scan's tool description with markup, in the scan and in the diff.
    for target in ["/scan/3", "/diff/2/3"] {
        let body = get(p, target).body;
        assert!(!body.contains("<img src=x"), "{target}");
        assert!(
            body.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{target}"
        );
    }
    // A hardcoded secret's line is never shown in code context.
    let scan2 = get(p, "/scan/2").body;
    assert!(scan2.contains("secret-hardcoded"));
    // The report kept with a saved scan gives the evidence, the fixes and the grade
    // explanations.
    assert!(
        scan2.contains("<strong>Evidence</strong>"),
        "no evidence on the scan page"
    );
    assert!(
        scan2.contains("<strong>Fix:</strong>"),
        "no fix on the scan page"
    );
    assert!(!scan2.contains("not kept in the history"));
    assert!(!scan2.contains("xoxb-"), "a secret value in the page");
    // The incident timeline, with the note escaped.
    let incident = get(p, "/incident").body;
    assert!(
        incident.contains("app.note") || incident.contains("note"),
        "{incident}"
    );
    assert!(
        incident.contains("&lt;i&gt;fenced&lt;&#x2f;i&gt;"),
        "{incident}"
    );
    drop(srv);

    // A token, when given, is required on every request (compared by digest).
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    let token = "t".repeat(48);
    std::fs::write(&token_file, format!("{token}\n")).expect("write");
    let tf = token_file.display().to_string();
    let srv = serve(&f, &["--token-file", &tf]);
    assert_eq!(get(srv.port, "/").status, 401);
    let bearer = format!("Bearer {token}");
    assert_eq!(
        request(srv.port, "GET", "/", &[("Authorization", &bearer)]).status,
        200
    );
    assert_eq!(
        request(srv.port, "GET", "/", &[("Authorization", "Bearer wrong")]).status,
        401
    );
    drop(srv);

    // A non-loopback address is refused without --allow-remote and a token.
    let out = warden()
        .arg("serve")
        .arg("--store")
        .arg(&f.store)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("warden serve");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("not a loopback address"),
        "{}",
        text(&out)
    );
    // A missing store is not created.
    let missing = dir.path().join("none.sqlite");
    let out = warden()
        .arg("serve")
        .arg("--store")
        .arg(&missing)
        .output()
        .expect("warden serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no scan store"), "{}", text(&out));
    assert!(!missing.exists());
}

fn html_report(f: &Fixture) -> (PathBuf, String) {
    let out_file = f.dir.path().join("report.html");
    let out = warden()
        .arg("scan")
        .arg(&f.repo)
        .args(["--format", "html", "-o"])
        .arg(&out_file)
        .output()
        .expect("warden scan");
    assert!(out.status.success(), "{}", text(&out));
    let html = std::fs::read_to_string(&out_file).expect("read report");
    (out_file, html)
}

#[test]
fn html_report_is_self_contained() {
    let f = build_fixture();
    let (_, html) = html_report(&f);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("http-equiv=\"Content-Security-Policy\""));
    assert!(!html.contains("<script"), "the report has a script");
    for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(external),
            "an external reference: {external}"
        );
    }
    // The stylesheet loads nothing either (no url(), no @import).
    let css = html
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(css, _)| css)
        .expect("an inline stylesheet");
    assert!(!css.contains("url(") && !css.contains("@import"));
    // Grades, evidence, fixes and code context from the report; the tool with markup
    // in its description escaped; the secret's value absent.
    assert!(html.contains("id=\"axis-bars\""));
    assert!(html.contains("Evidence"));
    assert!(html.contains("<strong>Fix:</strong>"));
    assert!(html.contains("class=\"code\""));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("xoxb-"), "a secret value in the report");
}

fn screenshots_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("dashboard-screenshots")
}

#[test]
fn dashboard_in_a_browser() {
    let (Some(chromium), Some(playwright)) = (
        std::env::var_os("WARDEN_TEST_CHROMIUM"),
        std::env::var_os("WARDEN_TEST_PLAYWRIGHT"),
    ) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set but WARDEN_TEST_CHROMIUM / WARDEN_TEST_PLAYWRIGHT are not: .ci/run must run scripts/setup-browser.sh"
            );
        }
        eprintln!("skipping: eval \"$(bash scripts/setup-browser.sh)\" to run the browser test");
        return;
    };
    let f = build_fixture();
    let (report, _) = html_report(&f);
    let srv = serve(&f, &[]);
    let shots = screenshots_dir();
    let _ = std::fs::remove_dir_all(&shots);
    let config = f.dir.path().join("browser.json");
    std::fs::write(
        &config,
        serde_json::json!({
            "base": format!("http://127.0.0.1:{}", srv.port),
            "report": report,
            "out": shots,
            "evil_scan": f.evil_scan,
            "incident": true,
        })
        .to_string(),
    )
    .expect("write config");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser/dashboard.mjs");
    let out = Command::new("node")
        .arg(&script)
        .arg(&config)
        .env("WARDEN_TEST_CHROMIUM", chromium)
        .env("WARDEN_TEST_PLAYWRIGHT", playwright)
        .output()
        .expect("node (on PATH)");
    assert!(out.status.success(), "{}", text(&out));
    let s: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}): {}", text(&out)));
    let all = format!("{s:#}");

    for p in s["pages"].as_array().expect("pages") {
        assert_eq!(p["status"], 200, "{p}\n{all}");
    }
    let names: Vec<&str> = s["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for n in [
        "home",
        "target",
        "scan",
        "diff",
        "diff-form",
        "evil-scan",
        "incident",
    ] {
        assert!(names.contains(&n), "page {n} not visited: {all}");
    }
    for list in [
        "console_errors",
        "page_errors",
        "failed_requests",
        "foreign_requests",
    ] {
        assert_eq!(s[list], serde_json::json!([]), "{list}: {all}");
    }
    // The chart: one line per axis plus the overall score, three points on each.
    let chart = &s["chart"];
    assert!(chart["overall_points"].as_u64() >= Some(3), "{all}");
    assert!(chart["nonempty_paths"].as_u64() >= Some(2), "{all}");
    assert_eq!(chart["paths"], chart["nonempty_paths"], "{all}");
    assert!(chart["width"].as_f64() > Some(300.0), "{all}");
    // The same-origin script ran under the CSP and shows the hovered value.
    assert_eq!(chart["script_ready"], chart["points"].to_string(), "{all}");
    assert!(
        chart["readout"]
            .as_str()
            .is_some_and(|r| r.starts_with("overall: ")),
        "{all}"
    );
    // The links: home → target → scan → diff, and the form.
    let links = &s["links"];
    assert!(
        links["home_to_target"]
            .as_str()
            .is_some_and(|u| u.contains("/target?key="))
    );
    assert!(
        links["target_to_scan"]
            .as_str()
            .is_some_and(|u| u.ends_with("/scan/3")),
        "{all}"
    );
    assert_eq!(links["scan_heading"], "Scan #3");
    assert!(links["scan_code_lines"].as_u64() > Some(0), "{all}");
    assert!(
        links["scan_to_diff"]
            .as_str()
            .is_some_and(|u| u.ends_with("/diff/2/3")),
        "{all}"
    );
    assert!(
        links["diff_form"]
            .as_str()
            .is_some_and(|u| u.ends_with("/diff/1/3")),
        "{all}"
    );
    assert!(links["diff_form_rug_pull"].as_u64() >= Some(1), "{all}");
    assert!(links["incident_rows"].as_u64() >= Some(2), "{all}");
    // Markup from the store is text, never a script.
    assert_eq!(s["xss"]["ran"], false, "{all}");
    assert_eq!(s["xss"]["scripts"], 0, "{all}");
    assert_eq!(s["xss"]["message_shown"], true, "{all}");
    assert_eq!(s["not_found"]["status"], 404, "{all}");
    assert_eq!(
        s["not_found"]["page_errors"],
        serde_json::json!([]),
        "{all}"
    );
    // The report from disk: no errors, no request, no script; findings and bars drawn.
    let r = &s["report"];
    for list in [
        "console_errors",
        "page_errors",
        "failed_requests",
        "foreign_requests",
    ] {
        assert_eq!(r[list], serde_json::json!([]), "report {list}: {all}");
    }
    assert_eq!(r["scripts"], 0);
    assert!(r["findings"].as_u64() >= Some(5), "{all}");
    assert!(r["bars"].as_u64() >= Some(5), "{all}");
    // The screenshots are there to look at.
    let shots_taken = s["screenshots"].as_array().expect("screenshots");
    assert!(shots_taken.len() >= 8, "{all}");
    for p in shots_taken {
        let p = PathBuf::from(p.as_str().expect("path"));
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "screenshot {} missing or empty", p.display());
    }
}

/// The same pages over a PostgreSQL store (its backend blocks on its own runtime, which
/// the server must call from its blocking pool). Needs `scripts/start-postgres.sh`.
#[test]
fn dashboard_on_postgres() {
    let Some(pg) = support::pg() else {
        return;
    };
    let f = build_fixture_in(
        tempfile::tempdir().expect("tempdir"),
        pg.scratch_store("web"),
    );
    let srv = serve(&f, &[]);
    let key = encode(&repo_key(&f));
    for (target, status) in [
        ("/".to_string(), 200),
        (format!("/target?key={key}"), 200),
        ("/scan/2".to_string(), 200),
        ("/diff/1/3".to_string(), 200),
        ("/scan/999".to_string(), 404),
        ("/incident".to_string(), 200),
    ] {
        // Twice: the second request reuses the store after the first.
        for _ in 0..2 {
            let r = get(srv.port, &target);
            assert_eq!(r.status, status, "GET {target}: {}", r.body);
        }
    }
    let page = get(srv.port, &format!("/scan/{}", f.evil_scan)).body;
    assert!(!page.contains(XSS));
}
