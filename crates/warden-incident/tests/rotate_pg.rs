//! The PostgreSQL rotation against a real server: the throwaway cluster that
//! `scripts/start-postgres.sh` starts (and `.ci/run` runs). Each test makes its own roles
//! and database (unique names), so the tests run in parallel.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use tokio_postgres::{Client, NoTls};
use warden_incident::case::{Case, CaseMeta};
use warden_incident::pg::{self, AdminConn, RotateError, RotateOptions, StepKind};
use warden_incident::secret_store::{EnvFile, pct_encode};

/// The cluster (socket directory, port, admin user), or `None` to skip (only outside
/// CI: under CI a missing server is a failure, so a broken setup cannot pass silently).
fn cluster() -> Option<(String, u16, String)> {
    match std::env::var("WARDEN_TEST_PG_HOST") {
        Ok(host) => {
            let port = std::env::var("WARDEN_TEST_PG_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(5432);
            let user =
                std::env::var("WARDEN_TEST_PG_ADMIN_USER").unwrap_or_else(|_| "postgres".into());
            Some((host, port, user))
        }
        Err(_) if std::env::var_os("CI").is_some() => panic!(
            "CI is set but WARDEN_TEST_PG_HOST is not: .ci/run must start PostgreSQL (scripts/start-postgres.sh)"
        ),
        Err(_) => {
            eprintln!(
                "skipping: no PostgreSQL (eval \"$(bash scripts/start-postgres.sh)\" to run this test)"
            );
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A name no other test (or earlier run) uses.
fn unique(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000)
        .unwrap_or(0);
    format!(
        "w{tag}_{}_{t}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

async fn connect(
    host: &str,
    port: u16,
    user: &str,
    password: Option<&str>,
    db: &str,
) -> Result<Client, tokio_postgres::Error> {
    let mut c = tokio_postgres::Config::new();
    c.host_path(host).port(port).user(user).dbname(db);
    if let Some(p) = password {
        c.password(p);
    }
    let (client, conn) = c.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// One test's world: a group role, an app role with a password full of URL-special
/// characters, a database with a table the app owns (`customers`, with a serial) and
/// one it may only read (`ref`, owned by postgres), and the env file.
struct World {
    host: String,
    port: u16,
    admin_user: String,
    app: String,
    group: String,
    db: String,
    old_password: String,
    dir: tempfile::TempDir,
    env: std::path::PathBuf,
}

/// The database goes with the test: every rotation reads every database, so the
/// cluster (kept between runs) must not fill up with old ones.
impl Drop for World {
    fn drop(&mut self) {
        let rt = runtime();
        rt.block_on(async {
            if let Ok(a) = connect(&self.host, self.port, &self.admin_user, None, "postgres").await
            {
                let _ = a
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db))
                    .await;
            }
        });
    }
}

impl World {
    fn new(rt: &tokio::runtime::Runtime, tag: &str) -> Option<World> {
        let (host, port, admin_user) = cluster()?;
        let base = unique(tag);
        let app = format!("{base}_app");
        let group = format!("{base}_grp");
        let db = format!("{base}_db");
        let old_password = format!("old p@ss/w:rd%{base}");
        rt.block_on(async {
            let a = connect(&host, port, &admin_user, None, "postgres")
                .await
                .expect("admin connects (is the cluster up?)");
            a.batch_execute(&format!(
                "CREATE ROLE {group} NOLOGIN; CREATE ROLE {app} LOGIN PASSWORD '{old_password}'; GRANT {group} TO {app};"
            ))
            .await
            .expect("roles");
            // Alone: CREATE DATABASE refuses to run in a (multi-statement) transaction.
            a.batch_execute(&format!("CREATE DATABASE {db}"))
                .await
                .expect("database");
            let d = connect(&host, port, &admin_user, None, &db)
                .await
                .expect("admin connects to the test database");
            d.batch_execute(&format!(
                "CREATE TABLE public.ref (id int); INSERT INTO public.ref VALUES (1); GRANT SELECT ON public.ref TO {app};
                 GRANT USAGE ON SCHEMA public TO {app};
                 CREATE TABLE public.customers (id serial PRIMARY KEY, name text); INSERT INTO public.customers (name) VALUES ('a');
                 ALTER TABLE public.customers OWNER TO {app};
                 CREATE SCHEMA {base}_s AUTHORIZATION {app};"
            ))
            .await
            .expect("tables");
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let env = dir.path().join(".env");
        let url = format!(
            "postgres://{app}:{}@{}:{port}/{db}?application_name=svc",
            pct_encode(&old_password),
            pct_encode(&host)
        );
        std::fs::write(
            &env,
            format!("# service\nOTHER_KEY=keep-me\nDATABASE_URL={url}\nTAIL=1\n"),
        )
        .expect("env file");
        std::fs::set_permissions(&env, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        Some(World {
            host,
            port,
            admin_user,
            app,
            group,
            db,
            old_password,
            dir,
            env,
        })
    }

    fn admin(&self) -> AdminConn {
        AdminConn::socket(&self.host, self.port, &self.admin_user)
    }

    fn store(&self) -> EnvFile {
        EnvFile::new(&self.env, "DATABASE_URL")
    }

    fn env_text(&self) -> String {
        std::fs::read_to_string(&self.env).expect("read env")
    }

    /// Runs a query as the admin in the test's database; the first column of each row.
    fn admin_query(&self, rt: &tokio::runtime::Runtime, sql: &str) -> Vec<String> {
        rt.block_on(async {
            let a = connect(&self.host, self.port, &self.admin_user, None, &self.db)
                .await
                .expect("admin");
            a.query(sql, &[])
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        })
    }
}

fn no_secret_in(text: &str, secret: &str) {
    assert!(!text.contains(secret), "a secret leaked into: {text}");
    assert!(
        !text.contains(&pct_encode(secret)),
        "a secret leaked into: {text}"
    );
}

#[test]
fn rotates_for_real_drops_the_old_role_and_ends_its_session() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "drop") else {
        return;
    };
    // A live session of the old role, kept open across the rotation.
    let old_session = rt.block_on(async {
        let c = connect(&w.host, w.port, &w.app, Some(&w.old_password), &w.db)
            .await
            .expect("the old role logs in before");
        c.simple_query("SELECT 1").await.expect("old session works");
        c
    });
    let opts = RotateOptions {
        execute: true,
        keep_old_role: false,
        ..RotateOptions::default()
    };
    let done = match pg::rotate(&w.admin(), &w.store(), &opts) {
        Ok(r) => r,
        Err(RotateError::Failed(f)) => panic!("{}", f.render()),
        Err(e) => panic!("{e}"),
    };
    let new = done.new_role.clone();
    assert!(new.starts_with(&w.app) && new.contains("_r"), "{new}");
    assert_eq!(
        done.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [
            StepKind::Inspect,
            StepKind::CreateRole,
            StepKind::VerifyNewRole,
            StepKind::UpdateSecretStore,
            StepKind::DisableOldLogin,
            StepKind::TerminateSessions,
            StepKind::ReassignAndDrop
        ]
    );
    assert!(done.steps.iter().all(|s| s.result == "ok"));
    assert!(
        done.steps[3]
            .verified
            .iter()
            .any(|v| v == "the env file's credential logs in"),
        "{:?}",
        done.steps[3].verified
    );
    for s in &done.steps[5..] {
        assert!(
            s.verified
                .iter()
                .any(|v| v == "the old credential is still refused"),
            "{:?}",
            s.verified
        );
    }
    let disable = &done.steps[4];
    assert!(
        disable.verified[0].contains("not permitted to log in"),
        "{:?}",
        disable.verified
    );

    // The env file: the new credential, every other line as it was, no old password.
    let text = w.env_text();
    assert!(text.starts_with("# service\nOTHER_KEY=keep-me\nDATABASE_URL=postgres://"));
    assert!(text.ends_with("?application_name=svc\nTAIL=1\n"));
    no_secret_in(&text, &w.old_password);
    let url = w.store().read_url().expect("new url");
    assert_eq!(url.user, new);
    let mode = std::fs::metadata(&w.env)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_dir(w.dir.path()).expect("ls").count(),
        1,
        "no backup or temp file"
    );

    rt.block_on(async {
        // The new role reads what the old one could (its own table and the granted one),
        // and is in the group.
        let c = pg::app_config(&url, &url.user, url.password());
        let (client, conn) = c.connect(NoTls).await.expect("the new role logs in");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        client
            .simple_query("SELECT * FROM public.customers; SELECT * FROM public.ref; INSERT INTO public.customers (name) VALUES ('b')")
            .await
            .expect("the new role reads and writes");
        let in_group: bool = client
            .query_one(&format!("SELECT pg_has_role('{}', 'MEMBER')", w.group), &[])
            .await
            .expect("membership")
            .get(0);
        assert!(in_group);
        // The old credential is refused.
        let e = connect(&w.host, w.port, &w.app, Some(&w.old_password), &w.db)
            .await
            .expect_err("the old role must not log in");
        let text = e
            .as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string());
        assert!(
            text.contains("does not exist") || text.contains("password authentication failed"),
            "{text}"
        );
        // The old session was terminated.
        assert!(
            old_session.simple_query("SELECT 1").await.is_err(),
            "the old session still works"
        );
    });

    // The old role is gone; what it owned is the new role's.
    assert!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT rolname::text FROM pg_roles WHERE rolname = '{}'",
                w.app
            )
        )
        .is_empty()
    );
    assert_eq!(
        w.admin_query(
            &rt,
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'customers'"
        ),
        [new.as_str()]
    );
    assert_eq!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT pg_get_userbyid(nspowner)::text FROM pg_namespace WHERE nspname LIKE '{}%'",
                w.app.trim_end_matches("_app")
            )
        ),
        [new.as_str()]
    );

    // Journaled into a case, one entry per step, without any password.
    let case_dir = w.dir.path().join("case");
    let case = Case::open(
        &case_dir,
        CaseMeta {
            id: String::new(),
            title: "rotation test".into(),
            opened_unix_nano: 1,
            opened_by: "test".into(),
            ledger: None,
            repo: None,
            proxy: None,
        },
    )
    .expect("case");
    let idx = pg::journal_steps(&case, &done.steps).expect("journal");
    assert_eq!(idx.len(), 7);
    let entries = serde_json::to_string(&case.entries().expect("entries")).expect("json");
    assert!(entries.contains("app.rotate_step"));
    no_secret_in(&entries, &w.old_password);
    if let Some(p) = url.password() {
        no_secret_in(&entries, p.expose());
        no_secret_in(&serde_json::to_string(&done).expect("json"), p.expose());
        no_secret_in(&format!("{done:?}"), p.expose());
    }
    // The SQL shown has no verifier.
    let create = &done.sql[0].sql;
    assert!(
        create.starts_with("CREATE ROLE") && create.ends_with("PASSWORD '***';"),
        "{create}"
    );
    assert!(!entries.contains("SCRAM-SHA-256$"));
}

#[test]
fn keeps_the_old_role_nologin_and_inert_by_default() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "keep") else {
        return;
    };
    let opts = RotateOptions {
        execute: true,
        new_role: Some(format!("{}_v2", w.app)),
        ..RotateOptions::default()
    };
    let done = match pg::rotate(&w.admin(), &w.store(), &opts) {
        Ok(r) => r,
        Err(RotateError::Failed(f)) => panic!("{}", f.render()),
        Err(e) => panic!("{e}"),
    };
    assert!(done.keep_old_role);
    assert_eq!(done.new_role, format!("{}_v2", w.app));
    let row = w.admin_query(
        &rt,
        &format!(
            "SELECT rolcanlogin::text || ',' || (rolpassword IS NULL)::text || ',' || (SELECT count(*) FROM pg_auth_members WHERE member = a.oid)::text FROM pg_authid a WHERE rolname = '{}'",
            w.app
        ),
    );
    assert_eq!(row, ["false,true,0"]);
    assert_eq!(
        w.admin_query(
            &rt,
            "SELECT tableowner::text FROM pg_tables WHERE tablename = 'customers'"
        ),
        [done.new_role.as_str()]
    );
    assert!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT grantee::text FROM information_schema.role_table_grants WHERE grantee = '{}'",
                w.app
            )
        )
        .is_empty(),
        "the kept role holds no privileges"
    );
}

#[test]
fn dry_run_shows_the_sql_and_changes_nothing() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "dry") else {
        return;
    };
    let before = w.env_text();
    let done = pg::rotate(&w.admin(), &w.store(), &RotateOptions::default()).expect("dry run");
    assert!(done.dry_run);
    assert_eq!(w.env_text(), before);
    assert!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT rolname::text FROM pg_roles WHERE rolname = '{}'",
                done.new_role
            )
        )
        .is_empty()
    );
    let sql: Vec<&str> = done.sql.iter().map(|l| l.sql.as_str()).collect();
    let all = sql.join("\n");
    eprintln!("{all}");
    assert!(all.contains(&format!("GRANT \"{}\" TO \"{}\";", w.group, done.new_role)));
    assert!(all.contains(&format!(
        "GRANT SELECT ON TABLE \"public\".\"ref\" TO \"{}\";",
        done.new_role
    )));
    assert!(all.contains(&format!("ALTER ROLE \"{}\" NOLOGIN;", w.app)));
    assert!(all.contains("pg_terminate_backend"));
    assert!(all.contains(&format!(
        "REASSIGN OWNED BY \"{}\" TO \"{}\";",
        w.app, done.new_role
    )));
    assert!(!all.contains("SCRAM-SHA-256$"));
    no_secret_in(&all, &w.old_password);
    assert_eq!(
        done.new_url,
        format!(
            "postgres://{}:***@{}:{}/{}?application_name=svc",
            done.new_role,
            pct_encode(&w.host),
            w.port,
            w.db
        )
    );
    assert!(
        done.steps
            .iter()
            .skip(1)
            .all(|s| s.result == "planned (dry run)")
    );
    let db = done
        .inspection
        .databases
        .iter()
        .find(|d| d.name == w.db)
        .expect("the test database was inspected");
    assert!(db.owned.iter().any(|o| o == "table public.customers"));
}

#[test]
fn a_read_only_env_file_stops_the_rotation_with_the_state_and_a_working_roll_back() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "ro") else {
        return;
    };
    std::fs::set_permissions(&w.env, std::fs::Permissions::from_mode(0o400)).expect("chmod");
    let before = w.env_text();
    let opts = RotateOptions {
        execute: true,
        ..RotateOptions::default()
    };
    let f = match pg::rotate(&w.admin(), &w.store(), &opts) {
        Err(RotateError::Failed(f)) => f,
        Err(e) => panic!("expected a failure report, got {e}"),
        Ok(_) => panic!("a read-only env file must stop the rotation"),
    };
    assert_eq!(f.failed_step, StepKind::UpdateSecretStore);
    assert!(f.error.contains("read-only"), "{}", f.error);
    assert!(!f.env_file_updated);
    assert_eq!(w.env_text(), before, "the env file is untouched");
    assert_eq!(f.state.new_role.exists, Some(true));
    assert_eq!(f.state.new_role.login_works, Some(true));
    assert_eq!(f.state.old_role.exists, Some(true));
    assert_eq!(f.state.old_role.can_login, Some(true));
    assert_eq!(f.state.old_role.login_works, Some(true));
    let report = f.render();
    eprintln!("{report}");
    assert!(
        report.contains("STOPPED at step \"update the secret store\""),
        "{report}"
    );
    assert!(
        report.contains("still holds the OLD credential"),
        "{report}"
    );
    assert!(
        report.contains(&format!("new role {}: exists, LOGIN", f.new_role)),
        "{report}"
    );
    no_secret_in(&report, &w.old_password);
    assert_eq!(
        f.steps.iter().map(|s| s.step).collect::<Vec<_>>(),
        [
            StepKind::Inspect,
            StepKind::CreateRole,
            StepKind::VerifyNewRole,
            StepKind::UpdateSecretStore
        ]
    );
    // The roll-back, run as given, removes the half-made role.
    rt.block_on(async {
        for line in &f.roll_back {
            let (db, sql) = line
                .strip_prefix("-- in database ")
                .and_then(|l| l.split_once(": "))
                .expect("roll-back lines name their database");
            // Other tests drop their databases as they end: one gone holds nothing.
            let c = match connect(&w.host, w.port, &w.admin_user, None, db).await {
                Ok(c) => c,
                Err(e)
                    if e.code() == Some(&tokio_postgres::error::SqlState::INVALID_CATALOG_NAME) =>
                {
                    continue;
                }
                Err(e) => panic!("admin to {db}: {e}"),
            };
            c.batch_execute(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    });
    assert!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT rolname::text FROM pg_roles WHERE rolname = '{}'",
                f.new_role
            )
        )
        .is_empty()
    );
    // And the old credential still works, as the report said.
    rt.block_on(async {
        connect(&w.host, w.port, &w.app, Some(&w.old_password), &w.db)
            .await
            .expect("the old role still logs in");
    });
}

#[test]
fn refusals_come_before_anything_changes() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "ref") else {
        return;
    };
    let opts = RotateOptions {
        execute: true,
        ..RotateOptions::default()
    };
    // The new name is taken.
    let e = pg::rotate(
        &w.admin(),
        &w.store(),
        &RotateOptions {
            new_role: Some(w.group.clone()),
            ..opts.clone()
        },
    )
    .expect_err("collision");
    assert!(e.to_string().contains("already exists"), "{e}");
    // An admin without CREATEROLE.
    let weak = format!("{}_weak", w.app);
    let weak_pw = "weak-pw-1";
    rt.block_on(async {
        let a = connect(&w.host, w.port, &w.admin_user, None, "postgres")
            .await
            .expect("admin");
        a.batch_execute(&format!(
            "CREATE ROLE {weak} LOGIN PASSWORD '{weak_pw}'; GRANT {} TO {weak};",
            w.app
        ))
        .await
        .expect("weak admin");
    });
    let weak_admin = AdminConn::parse(&format!(
        "host={} port={} user={weak} password={weak_pw} dbname=postgres",
        w.host, w.port
    ))
    .expect("conninfo");
    let e = pg::rotate(&weak_admin, &w.store(), &opts).expect_err("no CREATEROLE");
    let text = e.to_string();
    assert!(text.contains("neither SUPERUSER nor CREATEROLE"), "{text}");
    assert!(!text.contains(weak_pw));
    // A superuser in the URL.
    let su = format!("{}_su", w.app);
    rt.block_on(async {
        let a = connect(&w.host, w.port, &w.admin_user, None, "postgres")
            .await
            .expect("admin");
        a.batch_execute(&format!("CREATE ROLE {su} SUPERUSER LOGIN PASSWORD 'x'"))
            .await
            .expect("su");
    });
    let su_env = w.dir.path().join("su.env");
    std::fs::write(
        &su_env,
        format!(
            "DATABASE_URL=postgres://{su}:x@/{}?host={}&port={}\n",
            w.db,
            pct_encode(&w.host),
            w.port
        ),
    )
    .expect("env");
    let e = pg::rotate(&w.admin(), &EnvFile::new(&su_env, "DATABASE_URL"), &opts)
        .expect_err("superuser");
    assert!(e.to_string().contains("is a superuser"), "{e}");
    // Nothing happened to the app role or the env file.
    assert!(w.env_text().contains(&pct_encode(&w.old_password)));
    assert_eq!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = '{}'",
                w.app
            )
        ),
        ["true"]
    );
    let _ = Path::new(&w.host);
}

#[test]
fn a_failure_after_the_env_file_changed_rolls_forward_only() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "fwd") else {
        return;
    };
    // The old role owns a table in a database nobody may connect to: REASSIGN OWNED
    // cannot reach it, so DROP ROLE fails at the last step, for real.
    let hidden = format!("{}_hidden", w.db);
    rt.block_on(async {
        let a = connect(&w.host, w.port, &w.admin_user, None, "postgres")
            .await
            .expect("admin");
        a.batch_execute(&format!("CREATE DATABASE {hidden}"))
            .await
            .expect("db");
        let h = connect(&w.host, w.port, &w.admin_user, None, &hidden)
            .await
            .expect("admin in hidden");
        h.batch_execute(&format!(
            "CREATE TABLE t (id int); ALTER TABLE t OWNER TO {}",
            w.app
        ))
        .await
        .expect("table");
        drop(h);
        a.batch_execute(&format!(
            "ALTER DATABASE {hidden} WITH ALLOW_CONNECTIONS false"
        ))
        .await
        .expect("no connections");
    });
    let opts = RotateOptions {
        execute: true,
        keep_old_role: false,
        ..RotateOptions::default()
    };
    let f = match pg::rotate(&w.admin(), &w.store(), &opts) {
        Err(RotateError::Failed(f)) => f,
        Err(e) => panic!("expected a failure report, got {e}"),
        Ok(_) => panic!("DROP ROLE must fail while the role owns a table elsewhere"),
    };
    let report = f.render();
    eprintln!("{report}");
    assert_eq!(f.failed_step, StepKind::ReassignAndDrop);
    assert!(f.error.contains("cannot be dropped"), "{}", f.error);
    assert!(f.error.contains(&hidden), "{}", f.error);
    assert!(f.env_file_updated);
    assert_eq!(f.state.old_role.exists, Some(true));
    assert_eq!(f.state.old_role.can_login, Some(false));
    assert_eq!(f.state.old_role.sessions, Some(0));
    assert_eq!(f.state.old_role.login_works, Some(false));
    assert_eq!(f.state.new_role.login_works, Some(true));
    assert!(report.contains("holds the NEW credential"), "{report}");
    assert!(
        f.roll_back.iter().all(|l| l.starts_with("none")),
        "{:?}",
        f.roll_back
    );
    assert!(
        f.roll_forward
            .iter()
            .any(|l| l.contains(&format!("DROP ROLE \"{}\";", w.app))),
        "{:?}",
        f.roll_forward
    );
    // Only what did not commit: the service's database runs REASSIGN/DROP OWNED and
    // DROP ROLE in one transaction (the role owns nothing elsewhere it can reach), so
    // all three were rolled back together.
    let fwd_sql: Vec<&String> = f
        .roll_forward
        .iter()
        .filter(|l| l.starts_with("-- "))
        .collect();
    let new = &f.new_role;
    assert_eq!(
        fwd_sql,
        [
            &format!(
                "-- in database {}: REASSIGN OWNED BY \"{}\" TO \"{new}\";",
                w.db, w.app
            ),
            &format!("-- in database {}: DROP OWNED BY \"{}\";", w.db, w.app),
            &format!("-- in database {}: DROP ROLE \"{}\";", w.db, w.app),
        ],
        "{report}"
    );
    no_secret_in(&report, &w.old_password);
    // The service's credential in the env file works.
    let url = w.store().read_url().expect("url");
    assert_eq!(url.user, f.new_role);
    rt.block_on(async {
        let (c, conn) = pg::app_config(&url, &url.user, url.password())
            .connect(NoTls)
            .await
            .expect("the env file's credential logs in");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        c.simple_query("SELECT * FROM public.customers")
            .await
            .expect("reads");
    });
}

/// The service reaches its database over TCP with verify-full (pg_hba refuses plain TCP
/// to members of the TLS group, and the new role inherits that membership): every login
/// the rotation checks goes through the verified TLS path, and the rewritten URL keeps its
/// TLS parameters. A URL or admin string that could reach a network host in plain text,
/// or without checking its certificate, is refused first.
#[test]
fn rotates_over_verified_tls_and_refuses_an_unchecked_server_over_a_network() {
    let rt = runtime();
    let Some(w) = World::new(&rt, "tls") else {
        return;
    };
    let (Ok(ca), Ok(tls_group)) = (
        std::env::var("WARDEN_TEST_PG_TLS_CA"),
        std::env::var("WARDEN_TEST_PG_TLS_GROUP"),
    ) else {
        panic!(
            "WARDEN_TEST_PG_HOST is set without WARDEN_TEST_PG_TLS_CA/GROUP: restart it with scripts/start-postgres.sh"
        );
    };
    rt.block_on(async {
        connect(&w.host, w.port, &w.admin_user, None, "postgres")
            .await
            .expect("admin")
            .batch_execute(&format!("GRANT {tls_group} TO {}", w.app))
            .await
            .expect("grant");
    });
    let tls_query = format!(
        "?sslmode=verify-full&sslrootcert={}&application_name=svc",
        pct_encode(&ca)
    );
    let write_url = |host: &str, query: &str| {
        std::fs::write(
            &w.env,
            format!(
                "DATABASE_URL=postgres://{}:{}@{host}:{}/{}{query}\n",
                w.app,
                pct_encode(&w.old_password),
                w.port,
                w.db
            ),
        )
        .expect("env file");
    };
    let opts = RotateOptions {
        execute: true,
        ..RotateOptions::default()
    };
    // A network host with sslmode=prefer (plain text possible) or require (no check of
    // who answers): refused before anything runs.
    for mode in ["prefer", "require"] {
        write_url("db.example.invalid", &format!("?sslmode={mode}"));
        let e = pg::rotate(&w.admin(), &w.store(), &opts).expect_err("unchecked server");
        let text = e.to_string();
        assert!(
            text.contains(&format!("db.example.invalid (sslmode={mode}) would be reached over the network without checking the server's certificate")),
            "{text}"
        );
        no_secret_in(&text, &w.old_password);
    }
    // An admin string whose hostaddr is on the network, whatever its host name says.
    write_url("localhost", "");
    let sneaky = AdminConn::parse(&format!(
        "host=localhost hostaddr=192.0.2.1 port={} user=postgres sslmode=prefer dbname=postgres",
        w.port
    ))
    .expect("conninfo");
    let e = pg::rotate(&sneaky, &w.store(), &opts).expect_err("hostaddr on the network");
    assert!(e.to_string().contains("192.0.2.1 (sslmode=prefer)"), "{e}");

    write_url("localhost", &tls_query);
    let done = match pg::rotate(&w.admin(), &w.store(), &opts) {
        Ok(r) => r,
        Err(RotateError::Failed(f)) => panic!("{}", f.render()),
        Err(e) => panic!("{e}"),
    };
    assert!(done.steps.iter().all(|s| s.result == "ok"));
    let text = w.env_text();
    assert!(
        text.ends_with(&format!("@localhost:{}/{}{tls_query}\n", w.port, w.db)),
        "{text}"
    );
    let url = w.store().read_url().expect("new url");
    assert_eq!(url.user, done.new_role);
    assert_eq!(
        w.admin_query(
            &rt,
            &format!(
                "SELECT string_agg(r.rolname, ',') FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '{}' AND r.rolname = '{tls_group}'",
                done.new_role
            )
        ),
        [tls_group.as_str()],
        "the new role must use TLS over TCP too"
    );
}
