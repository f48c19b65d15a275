//! `warden serve`: the dashboard on hyper 1 (no framework; the proxy does the same).
//!
//! Read-only and small on purpose: GET and HEAD only (anything else is 405), a strict
//! Content-Security-Policy and no-sniff on every response, a loopback address by default
//! with the Host header checked (a DNS-rebinding page cannot read the dashboard through
//! the victim's browser), and a non-loopback address only with `--allow-remote` and a
//! bearer token, compared by SHA-256 digest.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::Digest;

use crate::{Dashboard, Page, WebError};

/// The policy on every response: nothing from another origin, no inline script (the one
/// script is a same-origin file), styles inline (the CSS is in the page), images only
/// same-origin or `data:`, no framing, forms only to this origin.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 64;
/// A client must send its request headers within this time.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Who may connect.
#[derive(Clone)]
pub struct Access {
    /// Bound to a loopback address: the Host header must name loopback.
    loopback: bool,
    /// SHA-256 of the bearer token every request must present, when one is required.
    token_digest: Option<[u8; 32]>,
}

/// SHA-256 of a token: comparing digests takes the same time however much of a guess
/// matches.
fn digest(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.trim().as_bytes()).into()
}

impl Access {
    /// The access rules for `listen`. A non-loopback address is refused unless
    /// `allow_remote` is set and a `token` (at least 32 characters) is given: the
    /// dashboard shows findings and code, and speaks plain HTTP.
    pub fn new(
        listen: SocketAddr,
        allow_remote: bool,
        token: Option<&str>,
    ) -> Result<Access, WebError> {
        let loopback = listen.ip().is_loopback();
        if let Some(t) = token
            && t.trim().len() < 32
        {
            return Err(WebError::Listen(
                "the bearer token is shorter than 32 characters; use a long random token (e.g. `openssl rand -hex 32`)".into(),
            ));
        }
        if !loopback {
            if !allow_remote {
                return Err(WebError::Listen(format!(
                    "{listen} is not a loopback address: the dashboard shows findings and source code, so it listens on 127.0.0.1 or [::1] unless --allow-remote is given (with --token-file; put TLS in front of it)"
                )));
            }
            if token.is_none() {
                return Err(WebError::Listen(format!(
                    "--allow-remote on {listen} needs --token-file: every request must then carry `Authorization: Bearer <token>`"
                )));
            }
        }
        Ok(Access {
            loopback,
            token_digest: token.map(digest),
        })
    }

    /// `None` when the request may proceed, else the refusal's status and message.
    fn refuse(&self, req: &Request<hyper::body::Incoming>) -> Option<(StatusCode, String)> {
        let header = |name: HeaderName| req.headers().get(name).and_then(|v| v.to_str().ok());
        if self.loopback {
            // Fail closed: a request without a readable Host is refused too.
            match header(hyper::header::HOST) {
                Some(host) if is_loopback_host(strip_port(host)) => {}
                Some(host) => {
                    return Some((
                        StatusCode::FORBIDDEN,
                        format!(
                            "Host `{host}` is not accepted on a loopback dashboard (DNS rebinding protection); open it as http://127.0.0.1:PORT/ or http://localhost:PORT/"
                        ),
                    ));
                }
                None => {
                    return Some((
                        StatusCode::FORBIDDEN,
                        "a request without a readable Host header is not accepted on a loopback dashboard (DNS rebinding protection)".to_string(),
                    ));
                }
            }
        }
        if let Some(expected) = self.token_digest {
            let presented = header(hyper::header::AUTHORIZATION)
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(digest);
            if presented != Some(expected) {
                return Some((
                    StatusCode::UNAUTHORIZED,
                    "a valid bearer token is required (`Authorization: Bearer <token>`, the one in --token-file)".into(),
                ));
            }
        }
        None
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    matches!(host.as_str(), "localhost" | "[::1]")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host:port` → `host` (an IPv6 literal keeps its brackets).
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

fn set(r: &mut Response<Full<Bytes>>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

/// The headers every response carries.
fn respond(
    status: StatusCode,
    content_type: &str,
    body: String,
    head: bool,
) -> Response<Full<Bytes>> {
    let len = body.len();
    let mut r = Response::new(Full::new(if head {
        Bytes::new()
    } else {
        Bytes::from(body)
    }));
    *r.status_mut() = status;
    set(&mut r, "content-type", content_type);
    set(&mut r, "content-length", &len.to_string());
    set(&mut r, "content-security-policy", CSP);
    set(&mut r, "x-content-type-options", "nosniff");
    set(&mut r, "referrer-policy", "no-referrer");
    set(&mut r, "x-frame-options", "DENY");
    // Scan pages show code; nothing should keep a copy.
    set(&mut r, "cache-control", "no-store");
    r
}

fn plain(status: StatusCode, message: String, head: bool) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", message + "\n", head)
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    dashboard: Arc<Dashboard>,
    access: Arc<Access>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let head = req.method() == Method::HEAD;
    if req.method() != Method::GET && !head {
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "{} is not allowed: the dashboard is read-only (GET and HEAD only)",
                req.method()
            ),
            false,
        );
        set(&mut r, "allow", "GET, HEAD");
        return Ok(r);
    }
    if let Some((status, message)) = access.refuse(&req) {
        let mut r = plain(status, message, head);
        if status == StatusCode::UNAUTHORIZED {
            set(&mut r, "www-authenticate", "Bearer");
        }
        return Ok(r);
    }
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    // The store is synchronous (and its PostgreSQL backend blocks on its own runtime):
    // pages are built on the blocking pool.
    let page = tokio::task::spawn_blocking(move || dashboard.get(&path, query.as_deref())).await;
    let page = match page {
        Ok(p) => p,
        Err(e) => Page {
            status: 500,
            content_type: "text/plain; charset=utf-8",
            body: format!("the page failed: {e}\n"),
            location: None,
        },
    };
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = respond(status, page.content_type, page.body, head);
    if let Some(loc) = &page.location {
        set(&mut r, "location", loc);
    }
    Ok(r)
}

/// Serves `dashboard` on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, dashboard: Arc<Dashboard>, access: Access) {
    let access = Arc::new(access);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Usually out of file descriptors: wait a little rather than spin.
                eprintln!("warden serve: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let (dashboard, access) = (dashboard.clone(), access.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                handle(req, dashboard.clone(), access.clone())
            });
            // A client that drops the connection is not an error worth reporting.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

/// Binds `listen`, calls `ready` with the bound address (the port is chosen by the
/// system when 0), and serves until Ctrl-C.
pub fn run(
    dashboard: Dashboard,
    listen: SocketAddr,
    access: Access,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), WebError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| WebError::Listen(format!("cannot start the server's runtime: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            WebError::Listen(format!(
                "cannot listen on {listen}: {e}; pick another port with --listen 127.0.0.1:PORT"
            ))
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| WebError::Listen(format!("cannot read the bound address: {e}")))?;
        ready(bound);
        tokio::select! {
            () = serve(listener, Arc::new(dashboard), access) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(strip_port("127.0.0.1:8765"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:8765"), "[::1]");
        assert_eq!(strip_port("localhost"), "localhost");
        assert!(is_loopback_host("LOCALHOST"));
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("evil.example"));
        assert!(!is_loopback_host("127.0.0.1.evil.example"));
    }

    #[test]
    fn remote_needs_both_flags() {
        let remote: SocketAddr = "0.0.0.0:8765".parse().expect("addr");
        let local: SocketAddr = "127.0.0.1:8765".parse().expect("addr");
        let token = "x".repeat(40);
        assert!(Access::new(remote, false, None).is_err());
        assert!(Access::new(remote, true, None).is_err());
        assert!(Access::new(remote, false, Some(&token)).is_err());
        assert!(Access::new(remote, true, Some(&token)).is_ok());
        assert!(Access::new(remote, true, Some("short")).is_err());
        assert!(Access::new(local, false, None).is_ok());
    }
}
