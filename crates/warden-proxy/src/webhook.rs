//! The alert webhook: each alert is POSTed as JSON to `[alerts] webhook` (an `http://`
//! URL; put a local relay in front of an https endpoint). Best effort and bounded: a
//! slow or dead receiver costs a background task for at most two seconds and never
//! holds up a call.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::policy::AlertRules;

/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Sends `alert` in the background if a webhook is configured.
pub(crate) fn send(rules: &AlertRules, alert: Value) {
    let Some(url) = rules.webhook.clone() else {
        return;
    };
    // Only inside the proxy's runtime; a unit test without one simply skips delivery.
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    handle.spawn(async move {
        match tokio::time::timeout(TIMEOUT, post(&url, &alert)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warden proxy: alert webhook {url}: {e}"),
            Err(_) => eprintln!("warden proxy: alert webhook {url}: no answer within 2 s"),
        }
    });
}

/// Splits `http://host[:port]/path`.
fn split(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// URLs are supported".to_string())?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err("the URL needs a host (and no user info)".into());
    }
    Ok((authority.to_string(), path.to_string()))
}

async fn post(url: &str, alert: &Value) -> Result<(), String> {
    let body = serde_json::to_vec(alert).map_err(|e| e.to_string())?;
    let (status, _) = post_json(url, None, &body).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("answered HTTP {status}"))
    }
}

/// POSTs a JSON body to an `http://` URL over one connection (`Connection: close`);
/// returns the status and the body (read to the end, at most 1 MiB). Small on purpose:
/// the webhook and the admin client need nothing more.
pub(crate) async fn post_json(
    url: &str,
    bearer: Option<&str>,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let (authority, path) = split(url)?;
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.clone()
    } else {
        format!("{authority}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let auth = bearer.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nUser-Agent: warden-proxy\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.write_all(body).await.map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    (&mut stream)
        .take(1 << 20)
        .read_to_end(&mut reply)
        .await
        .map_err(|e| e.to_string())?;
    let text_end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| "no HTTP response".to_string())?;
    let status = std::str::from_utf8(&reply[..text_end])
        .ok()
        .and_then(|s| s.split(' ').nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| "no HTTP status line".to_string())?;
    Ok((status, reply[text_end + 4..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_or_refused() {
        assert_eq!(
            split("http://127.0.0.1:9/hook").expect("url"),
            ("127.0.0.1:9".into(), "/hook".into())
        );
        assert_eq!(split("http://relay").expect("url").1, "/");
        assert!(split("https://x").is_err());
        assert!(split("http://u:p@x/").is_err());
    }

    #[tokio::test]
    async fn posts_the_alert_as_json() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/alerts", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") || !got.ends_with(b"}") {
                let n = s.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                .await
                .expect("write");
            String::from_utf8(got).expect("utf8")
        });
        post(&url, &serde_json::json!({"rule": "bulk_enumeration"}))
            .await
            .expect("delivered");
        let req = server.await.expect("server");
        assert!(req.starts_with("POST /alerts HTTP/1.1\r\n"), "{req}");
        assert!(req.ends_with("{\"rule\":\"bulk_enumeration\"}"), "{req}");
    }
}
