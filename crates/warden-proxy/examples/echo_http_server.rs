//! The echo server over Streamable HTTP (JSON responses, sessions), for measuring what
//! the HTTP proxy adds. `echo_http_server PORT`; serves `/mcp` on 127.0.0.1.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

#[path = "shared/echo.rs"]
mod echo;

static SESSIONS: AtomicU64 = AtomicU64::new(0);

async fn serve(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(status(StatusCode::BAD_REQUEST)),
    };
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return Ok(status(StatusCode::BAD_REQUEST));
    };
    let Some(reply) = echo::answer(&msg) else {
        return Ok(status(StatusCode::ACCEPTED));
    };
    let mut resp = Response::new(Full::new(Bytes::from(reply.to_string())));
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("static"));
    if msg.get("method").and_then(Value::as_str) == Some("initialize") {
        let id = SESSIONS.fetch_add(1, Ordering::Relaxed);
        if let Ok(v) = format!("echo-session-{id}").parse() {
            resp.headers_mut().insert("mcp-session-id", v);
        }
    }
    Ok(resp)
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3999);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(serve))
                    .await;
            });
        }
    })
}
