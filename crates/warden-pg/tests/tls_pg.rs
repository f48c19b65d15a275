//! TLS against the real PostgreSQL that `scripts/start-postgres.sh` starts (ssl=on, a
//! test CA, a server certificate for `localhost` only, TLS mandatory over TCP for
//! members of `warden_tls`). Skipped without it, except under `CI=true`.

use std::sync::atomic::{AtomicU32, Ordering};

use warden_pg::{ConnectError, SslMode, TlsParams, parse};

struct Server {
    socket: String,
    port: u16,
    ca: String,
    group: String,
}

fn server() -> Option<Server> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let found = (|| {
        Some(Server {
            socket: var("WARDEN_TEST_PG_HOST")?,
            port: var("WARDEN_TEST_PG_PORT")?.parse().ok()?,
            ca: var("WARDEN_TEST_PG_TLS_CA")?,
            group: var("WARDEN_TEST_PG_TLS_GROUP")?,
        })
    })();
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but WARDEN_TEST_PG_HOST/PORT/TLS_CA/TLS_GROUP are not set: run eval \"$(bash scripts/start-postgres.sh)\" first"
        );
        eprintln!("skipped: no test PostgreSQL (eval \"$(bash scripts/start-postgres.sh)\")");
    }
    found
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

impl Server {
    async fn admin(&self) -> tokio_postgres::Client {
        let mut c = tokio_postgres::Config::new();
        c.host_path(&self.socket)
            .port(self.port)
            .user("postgres")
            .dbname("postgres");
        warden_pg::connect(&c, &TlsParams::default())
            .await
            .expect("admin over the socket")
            .0
    }

    /// A login role that must use TLS over TCP; dropped by the caller.
    async fn tls_only_role(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        // The cluster outlives test runs: the time keeps a role left by an earlier run
        // (same pid) from colliding.
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() % 1_000_000_000_000)
            .unwrap_or(0);
        let name = format!(
            "tls_{}_{micros}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        self.admin()
            .await
            .batch_execute(&format!(
                "CREATE ROLE {name} LOGIN PASSWORD 'pw-{name}' IN ROLE {}",
                self.group
            ))
            .await
            .expect("create role");
        name
    }

    async fn drop_role(&self, name: &str) {
        let _ = self
            .admin()
            .await
            .batch_execute(&format!("DROP ROLE IF EXISTS {name}"))
            .await;
    }

    async fn try_as(
        &self,
        role: &str,
        host: &str,
        query: &str,
    ) -> Result<(SslMode, bool), ConnectError> {
        let url = format!(
            "postgres://{role}:pw-{role}@{host}:{}/postgres{query}",
            self.port
        );
        let ci = parse(&url).expect("url");
        let (client, mode) = warden_pg::connect(&ci.config, &ci.tls).await?;
        Ok((mode, encrypted(&client).await))
    }
}

/// Whether the server sees this session as TLS.
async fn encrypted(client: &tokio_postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0)
}

#[test]
fn verify_full_to_the_certificates_name_with_channel_binding() {
    let Some(s) = server() else { return };
    block_on(async {
        let role = s.tls_only_role().await;
        // channel_binding=require: SCRAM-SHA-256-PLUS or nothing, so the server checked
        // the certificate hash this crate computed.
        let got = s
            .try_as(
                &role,
                "localhost",
                &format!(
                    "?sslmode=verify-full&sslrootcert={}&channel_binding=require",
                    s.ca
                ),
            )
            .await;
        s.drop_role(&role).await;
        assert_eq!(got.expect("connects"), (SslMode::VerifyFull, true));
    });
}

#[test]
fn a_name_not_in_the_certificate_fails_verify_full_and_passes_verify_ca() {
    let Some(s) = server() else { return };
    block_on(async {
        let role = s.tls_only_role().await;
        let full = s
            .try_as(
                &role,
                "127.0.0.1",
                &format!("?sslmode=verify-full&sslrootcert={}", s.ca),
            )
            .await;
        let ca = s
            .try_as(
                &role,
                "127.0.0.1",
                &format!("?sslmode=verify-ca&sslrootcert={}", s.ca),
            )
            .await;
        // libpq: require with a root certificate file checks the chain (verify-ca).
        let require_with_root = s
            .try_as(
                &role,
                "127.0.0.1",
                &format!("?sslmode=require&sslrootcert={}", s.ca),
            )
            .await;
        s.drop_role(&role).await;
        let e = full
            .expect_err("127.0.0.1 is not in the certificate")
            .to_string();
        assert!(e.contains("not issued for the host"), "{e}");
        assert_eq!(ca.expect("chain only"), (SslMode::VerifyCa, true));
        assert_eq!(
            require_with_root.expect("chain only"),
            (SslMode::VerifyCa, true)
        );
    });
}

#[test]
fn an_untrusted_certificate_is_refused_with_what_to_do() {
    let Some(s) = server() else { return };
    // The server's own certificate as the only root: not the CA that signed it.
    let wrong_root = std::path::Path::new(&s.ca).with_file_name("server.crt");
    block_on(async {
        let role = s.tls_only_role().await;
        let got = s
            .try_as(
                &role,
                "localhost",
                &format!("?sslmode=verify-full&sslrootcert={}", wrong_root.display()),
            )
            .await;
        let missing = s
            .try_as(
                &role,
                "localhost",
                "?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            )
            .await;
        s.drop_role(&role).await;
        let e = got.expect_err("untrusted").to_string();
        assert!(e.contains("sslrootcert=FILE"), "{e}");
        let e = missing.expect_err("no file").to_string();
        assert!(
            e.starts_with("cannot use /nonexistent/ca.pem as root certificates"),
            "{e}"
        );
    });
}

#[test]
fn without_sslmode_loopback_is_encrypted_when_offered_and_the_socket_is_plain() {
    let Some(s) = server() else { return };
    block_on(async {
        let role = s.tls_only_role().await;
        let default = s.try_as(&role, "127.0.0.1", "").await;
        // Unverified TLS still binds SCRAM to the certificate the client saw.
        let bound = s
            .try_as(
                &role,
                "127.0.0.1",
                "?sslmode=require&channel_binding=require",
            )
            .await;
        let plain = s.try_as(&role, "127.0.0.1", "?sslmode=disable").await;
        s.drop_role(&role).await;
        assert_eq!(default.expect("prefer"), (SslMode::Prefer, true));
        assert_eq!(bound.expect("require"), (SslMode::Require, true));
        let e = plain.expect_err("pg_hba refuses plain TCP").to_string();
        assert!(e.contains("no encryption"), "{e}");
        let admin = s.admin().await;
        let ssl: bool = admin
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .expect("query")
            .get(0);
        assert!(!ssl, "no TLS over the socket");
    });
}

/// A host list mixing the Unix socket with a TCP host, under `sslmode=prefer` (what
/// docs/postgres.md advises for such lists): the socket is tried first and answers in
/// plain text. tokio-postgres asks for a TLS connector for the socket too, with an empty
/// host name; that must not fail before the server has even been asked.
#[test]
fn a_socket_and_a_tcp_host_in_one_list_connect_under_prefer() {
    let Some(s) = server() else { return };
    block_on(async {
        let ci = parse(&format!(
            "host={},localhost port={} user={} dbname=postgres sslmode=prefer",
            s.socket, s.port, "postgres"
        ))
        .expect("conninfo");
        let got = warden_pg::connect(&ci.config, &ci.tls).await;
        let (client, mode) = got.expect("the socket host connects");
        assert_eq!(mode, SslMode::Prefer);
        assert!(!encrypted(&client).await, "a socket connection has no TLS");
    });
}
