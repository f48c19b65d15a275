//! A minimal MCP stdio server with one `echo` tool, for measuring what the proxy adds:
//! it answers as fast as a server can, so the difference between calling it directly
//! and through `warden proxy` is the proxy's own cost.

use std::io::{BufRead, Write};

use serde_json::Value;

#[path = "shared/echo.rs"]
mod echo;

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(msg) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let Some(reply) = echo::answer(&msg) else {
            continue; // notifications
        };
        let _ = writeln!(out, "{reply}");
        let _ = out.flush();
    }
}
