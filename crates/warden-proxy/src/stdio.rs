//! The stdio proxy: the MCP server runs as a child; the proxy speaks stdio to the client
//! and forwards newline-delimited JSON-RPC both ways through the [`gate`](crate::gate).
//! Original bytes are forwarded untouched (a message is only re-serialised when the
//! proxy changes it, e.g. a filtered `tools/list`); each message is parsed once; queues
//! are bounded so a slow reader pushes back on the writer.

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use crate::audit::Audit;
use crate::gate::{self, Gate, GateOptions, Link, Session, Verdict, lock};
use crate::jsonrpc::{self, code};

pub use crate::gate::ProxyError;

/// Set by `warden proxy` when it re-executes itself with allocator options; both are
/// kept out of the server's environment.
pub const REEXEC_MARKER: &str = "WARDEN_PROXY_REEXEC";

/// Messages queued toward one side before the reader of the other side waits.
pub(crate) const QUEUE: usize = 256;

/// Stdio proxy settings.
pub struct Options {
    /// The server command and its arguments.
    pub command: Vec<String>,
    /// Largest message accepted, in bytes (a line of JSON).
    pub max_message: usize,
    /// The admin endpoints (fence, status, ...).
    pub admin: crate::admin::AdminOptions,
    /// Who the client is, when the operator says so (`--principal`); stdio has no
    /// authentication of its own.
    pub principal: Option<String>,
}

/// The two pipes of a stdio session, for the gate's own messages.
pub(crate) struct PipeLink {
    pub(crate) to_client: mpsc::Sender<Vec<u8>>,
    /// Taken (closing the server's stdin) when the client goes away.
    pub(crate) to_server: Arc<Mutex<Option<mpsc::Sender<Vec<u8>>>>>,
}

impl Link for PipeLink {
    fn to_client(&self, bytes: Vec<u8>) {
        let tx = self.to_client.clone();
        // Not awaited by the caller: a fence can be applied from inside a response
        // handler, and a peer that is not reading must not stall it.
        tokio::spawn(async move {
            let _ = tx.send(bytes).await;
        });
    }

    fn to_server(&self, _session: &Session, bytes: Vec<u8>) {
        let tx = lock(&self.to_server).clone();
        if let Some(tx) = tx {
            tokio::spawn(async move {
                let _ = tx.send(bytes).await;
            });
        }
    }
}

/// Handles each message in its own task — so the records of concurrent calls are
/// committed together instead of one `fdatasync` after another — and delivers the
/// results in arrival order, so nothing overtakes what was sent before it. At most
/// `QUEUE` messages are in hand per direction.
struct Ordered {
    jobs: mpsc::Sender<tokio::task::JoinHandle<Option<Outgoing>>>,
    forwarder: tokio::task::JoinHandle<()>,
}

/// A message ready to go, and, for a request to the server, its in-flight key: a
/// request the fence answered while it waited in line is dropped, not sent.
struct Outgoing {
    bytes: Vec<u8>,
    call: Option<String>,
}

impl Ordered {
    fn start(session: Arc<Session>, tx: mpsc::Sender<Vec<u8>>) -> Ordered {
        let (jobs, mut rx) = mpsc::channel::<tokio::task::JoinHandle<Option<Outgoing>>>(QUEUE);
        let forwarder = tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let Ok(Some(out)) = job.await else { continue };
                if let Some(key) = &out.call
                    && !session.mark_forwarded(key)
                {
                    continue;
                }
                if tx.send(out.bytes).await.is_err() {
                    break;
                }
            }
        });
        Ordered { jobs, forwarder }
    }

    /// Queues a job; `false` once the forwarder is gone.
    async fn push(&self, job: tokio::task::JoinHandle<Option<Outgoing>>) -> bool {
        self.jobs.send(job).await.is_ok()
    }

    /// Delivers what is queued, then ends.
    async fn finish(self) {
        drop(self.jobs);
        let _ = self.forwarder.await;
    }
}

/// One line read with a size bound.
pub(crate) enum Line {
    Message(Vec<u8>),
    TooLong(usize),
    Eof,
}

/// Reads one `\n`-terminated line of at most `max` bytes; a longer line is consumed and
/// reported, never buffered whole.
pub(crate) async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    max: usize,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut dropped = 0usize;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(if buf.is_empty() && dropped == 0 {
                Line::Eof
            } else if dropped > 0 {
                Line::TooLong(dropped + buf.len())
            } else {
                Line::Message(buf)
            });
        }
        let (take, done) = match memchr_newline(chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if dropped == 0 && buf.len() + take <= max + 1 {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            dropped += buf.len() + take;
            buf.clear();
        }
        reader.consume(take);
        if done {
            if dropped > 0 {
                return Ok(Line::TooLong(dropped));
            }
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            return Ok(Line::Message(buf));
        }
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'\n')
}

/// Forwards queued messages to a writer until the queue closes.
pub(crate) async fn pump<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Vec<u8>>, mut w: W) {
    while let Some(mut msg) = rx.recv().await {
        if msg.last() != Some(&b'\n') {
            msg.push(b'\n');
        }
        if w.write_all(&msg).await.is_err() {
            break;
        }
        // Flush when nothing else is waiting, so bursts go out in one write.
        if rx.is_empty() && w.flush().await.is_err() {
            break;
        }
    }
    let _ = w.shutdown().await;
}

/// Starts a stdio server with piped stdin and stdout (stderr is the proxy's), killed
/// when dropped; the re-exec marker and allocator option stay out of its environment.
pub(crate) fn spawn_server(
    cmd: &[String],
) -> Result<
    (
        tokio::process::Child,
        tokio::process::ChildStdin,
        tokio::process::ChildStdout,
    ),
    ProxyError,
> {
    let (program, args) = cmd.split_first().ok_or(ProxyError::NoCommand)?;
    let mut command = tokio::process::Command::new(program);
    if std::env::var_os(REEXEC_MARKER).is_some() {
        command
            .env_remove(REEXEC_MARKER)
            .env_remove("MIMALLOC_ARENA_EAGER_COMMIT");
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ProxyError::Spawn {
            command: cmd.join(" "),
            source,
        })?;
    let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(ProxyError::Io(std::io::Error::other("child pipes missing")));
    };
    Ok((child, stdin, stdout))
}

/// SIGTERM or SIGINT, named.
type Stop = std::pin::Pin<Box<dyn std::future::Future<Output = &'static str> + Send>>;

/// Waits, at most `grace` or until `stop` (when there is one still to come), for the
/// server to exit once its input is closed — its output read to the end first (it may
/// answer the last calls as it goes) — then kills it. Its exit status, when it has one.
async fn wind_down(
    child: &mut tokio::process::Child,
    upstream: &mut tokio::task::JoinHandle<()>,
    grace: std::time::Duration,
    stop: Option<&mut Stop>,
) -> Option<std::process::ExitStatus> {
    let exited = async {
        let _ = (&mut *upstream).await;
        child.wait().await.ok()
    };
    let stop = async {
        match stop {
            Some(stop) => stop.await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        status = tokio::time::timeout(grace, exited) => match status {
            Ok(status) => return status,
            // A server that ignores the end of its input is stopped.
            Err(_) => eprintln!(
                "warden proxy: the server did not exit within {} ms of its input closing; killing it",
                grace.as_millis()
            ),
        },
        signal = stop => eprintln!("warden proxy: {signal}: killing the server"),
    }
    let _ = child.start_kill();
    upstream.abort();
    child.wait().await.ok()
}

/// Runs the proxy until the client or the server goes away, or SIGTERM/SIGINT; returns
/// the server's exit code (or 1 if it was killed by a signal).
pub async fn run(opts: Options, gate_opts: GateOptions, audit: Audit) -> Result<i32, ProxyError> {
    if opts.command.is_empty() {
        return Err(ProxyError::NoCommand);
    }
    let gate = Gate::new(gate_opts, audit)?;
    let (mut child, child_in, child_out) = spawn_server(&opts.command)?;
    gate.add_child(child.id());
    let (to_client, client_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let (to_server, server_rx) = mpsc::channel::<Vec<u8>>(QUEUE);
    let to_server = Arc::new(Mutex::new(Some(to_server)));
    let session = gate.open_session(
        "pipe",
        None,
        opts.principal.clone(),
        Box::new(PipeLink {
            to_client: to_client.clone(),
            to_server: to_server.clone(),
        }),
    );
    let client_writer = tokio::spawn(pump(client_rx, tokio::io::stdout()));
    let server_writer = tokio::spawn(pump(server_rx, child_in));
    let admin = crate::admin::start(&opts.admin, &gate).await?;
    // A client that stops its server sends SIGTERM (the MCP SDKs do, 2 s after closing
    // its stdin); the default action would end the proxy before the log is closed and
    // signed. Ctrl-C in a terminal sends SIGINT to the server and the proxy alike.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut stop: Stop = Box::pin(async move {
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = interrupt.recv() => "SIGINT",
        }
    });
    let max = opts.max_message;
    let mut upstream = {
        let (gate, session, to_client) = (gate.clone(), session.clone(), to_client.clone());
        tokio::spawn(async move {
            let ordered = Ordered::start(session.clone(), to_client);
            let mut reader = BufReader::with_capacity(1 << 16, child_out);
            loop {
                match read_line(&mut reader, max).await {
                    Ok(Line::Message(m)) => {
                        let (g, s) = (gate.clone(), session.clone());
                        let job = tokio::spawn(async move {
                            gate::from_server(&g, &s, m)
                                .await
                                .bytes
                                .map(|bytes| Outgoing { bytes, call: None })
                        });
                        if !ordered.push(job).await {
                            break;
                        }
                    }
                    Ok(Line::TooLong(n)) => eprintln!(
                        "warden proxy: dropped a {n}-byte message from the server (limit {max})"
                    ),
                    Ok(Line::Eof) | Err(_) => break,
                }
            }
            ordered.finish().await;
        })
    };
    let mut downstream = {
        let (gate, session) = (gate.clone(), session.clone());
        let server_tx = lock(&to_server).clone();
        let to_client = to_client.clone();
        tokio::spawn(async move {
            let Some(server_tx) = server_tx else { return };
            let ordered = Ordered::start(session.clone(), server_tx);
            let mut reader = BufReader::with_capacity(1 << 16, tokio::io::stdin());
            loop {
                match read_line(&mut reader, max).await {
                    Ok(Line::Message(m)) => {
                        let (g, s, reply) = (gate.clone(), session.clone(), to_client.clone());
                        let job = tokio::spawn(async move {
                            let verdict = match gate::parse(&m) {
                                Ok(value) => gate::from_client(&g, &s, value, m).await,
                                Err(e) => Verdict::Reply(e),
                            };
                            match verdict {
                                Verdict::Forward { bytes, call } => Some(Outgoing { bytes, call }),
                                Verdict::Reply(bytes) => {
                                    let _ = reply.send(bytes).await;
                                    None
                                }
                                Verdict::Drop => None,
                            }
                        });
                        if !ordered.push(job).await {
                            break;
                        }
                    }
                    Ok(Line::TooLong(n)) => {
                        let msg =
                            format!("message of {n} bytes is over the proxy's {max}-byte limit");
                        let _ = to_client
                            .send(jsonrpc::error_response(
                                &Value::Null,
                                code::INVALID_REQUEST,
                                &msg,
                                None,
                            ))
                            .await;
                    }
                    Ok(Line::Eof) | Err(_) => break,
                }
            }
            ordered.finish().await;
        })
    };
    // Whichever side ends first ends the session.
    let status = tokio::select! {
        _ = &mut downstream => {
            // The client is gone: close the server's stdin and let it exit (a signal
            // meanwhile cuts the wait short).
            lock(&to_server).take();
            wind_down(&mut child, &mut upstream, std::time::Duration::from_secs(5), Some(&mut stop)).await
        }
        _ = &mut upstream => {
            downstream.abort();
            gate.close_session(&session, "the MCP server exited before answering").await;
            child.wait().await.ok()
        }
        signal = &mut stop => {
            // Told to stop: no more client input; the server's input is closed (the
            // client reader holds a sender too, so it goes first) and it gets a moment
            // to exit; what was recorded is closed and signed below.
            eprintln!("warden proxy: {signal}: stopping the server and closing the log");
            downstream.abort();
            let _ = (&mut downstream).await;
            lock(&to_server).take();
            wind_down(&mut child, &mut upstream, std::time::Duration::from_millis(500), None).await
        }
    };
    gate.remove_child(child.id());
    // The admin task holds the gate (and so the session's queues): stop it, so the
    // queues close and the writers flush what is left and end.
    for task in admin {
        task.abort();
        let _ = task.await;
    }
    downstream.abort();
    gate.close_session(&session, "the proxy is shutting down")
        .await;
    lock(&to_server).take();
    drop((session, gate, to_client));
    let _ = server_writer.await;
    let _ = client_writer.await;
    Ok(status.and_then(|s| s.code()).unwrap_or(1))
}
