//! Exports against a real S3-compatible server with Object Lock: moto in server mode,
//! started by `scripts/start-moto.sh` (which `.ci/run` runs). moto accepts shortening a
//! COMPLIANCE retention, so these tests also prove that Warden's own guard refuses it.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::DateTime;
use base64::Engine;
use sha2::Digest;
use warden_ledger::export::{self, LockMode};
use warden_ledger::ledger::{InitOptions, Ledger};
use warden_ledger::{OpenOptions, Record};
use warden_s3::{S3Error, Target};

/// The moto endpoint, or `None` to skip (only outside CI: under CI a missing server is
/// a failure, so a broken setup cannot pass silently).
pub fn endpoint() -> Option<String> {
    match std::env::var("WARDEN_TEST_S3_ENDPOINT") {
        Ok(e) => Some(e),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but WARDEN_TEST_S3_ENDPOINT is not: .ci/run must start moto (scripts/start-moto.sh)"
            )
        }
        Err(_) => {
            eprintln!(
                "skipping: no S3 server (eval \"$(bash scripts/start-moto.sh)\" to run this test)"
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

async fn client(endpoint: &str) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    )
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        warden_ledger::ledger::now_unix_nano() % 1_000_000_000
    )
}

fn bundle() -> (tempfile::TempDir, export::Bundle) {
    let dir = tempfile::tempdir().expect("tempdir");
    Ledger::init(dir.path(), &InitOptions::default()).expect("init");
    let ledger = Ledger::open(dir.path(), OpenOptions::default()).expect("open");
    for i in 0..50u64 {
        ledger
            .append(&Record::new("tool.intent", 1_764_000_000_000_000_000 + i))
            .expect("append");
    }
    ledger.close().expect("close");
    let b = export::build(dir.path(), None).expect("bundle");
    (dir, b)
}

#[test]
fn object_lock_export_round_trip_and_retention_guard() {
    let Some(endpoint) = endpoint() else { return };
    let rt = runtime();
    let c = rt.block_on(client(&endpoint));
    let bucket = unique("warden-lock");
    rt.block_on(
        c.create_bucket()
            .bucket(&bucket)
            .object_lock_enabled_for_bucket(true)
            .send(),
    )
    .expect("create bucket with Object Lock");
    let (_dir, b) = bundle();
    let target = Target {
        bucket: bucket.clone(),
        prefix: "ledgers/prod".into(),
        endpoint: Some(endpoint.clone()),
    };
    let now = i64::try_from(warden_ledger::ledger::now_unix_nano() / 1_000_000_000).expect("now");
    let until = now + 86_400;
    let keys = warden_s3::upload(&target, &b, LockMode::Compliance, until).expect("upload");
    assert_eq!(keys.len(), b.files.len());

    // Lock mode, retain-until and the SHA-256 checksum round-trip.
    for ((rel, bytes), key) in b.files.iter().zip(&keys) {
        assert!(key.starts_with("ledgers/prod/") && key.ends_with(rel.as_str()));
        let h = rt
            .block_on(
                c.head_object()
                    .bucket(&bucket)
                    .key(key)
                    .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
                    .send(),
            )
            .expect("head");
        assert_eq!(h.object_lock_mode().map(|m| m.as_str()), Some("COMPLIANCE"));
        assert_eq!(
            h.object_lock_retain_until_date().map(DateTime::secs),
            Some(until)
        );
        let want = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes));
        assert_eq!(h.checksum_sha256(), Some(want.as_str()), "{key}");
        let got = rt
            .block_on(async {
                let o = c.get_object().bucket(&bucket).key(key).send().await?;
                Ok::<_, Box<dyn std::error::Error>>(o.body.collect().await?.into_bytes())
            })
            .expect("get");
        assert_eq!(got.as_ref(), bytes.as_slice());
    }

    // A locked version cannot be deleted.
    let key = &keys[0];
    let versions = rt
        .block_on(c.list_object_versions().bucket(&bucket).prefix(key).send())
        .expect("versions");
    let version = versions
        .versions()
        .first()
        .and_then(|v| v.version_id())
        .expect("a version id")
        .to_string();
    let del = rt.block_on(
        c.delete_object()
            .bucket(&bucket)
            .key(key)
            .version_id(&version)
            .send(),
    );
    assert!(
        del.is_err(),
        "deleting a COMPLIANCE-locked version must fail"
    );

    // Our guard refuses to shorten or downgrade, before any request is made...
    let shorter = warden_s3::set_retention(&target, key, LockMode::Compliance, until - 3_600);
    assert!(
        matches!(shorter, Err(S3Error::Refused(ref m)) if m.contains("shorten")),
        "{shorter:?}"
    );
    let weaker = warden_s3::set_retention(&target, key, LockMode::Governance, until + 3_600);
    assert!(
        matches!(weaker, Err(S3Error::Refused(ref m)) if m.contains("downgrade")),
        "{weaker:?}"
    );
    let lock = warden_s3::head_lock(&target, key).expect("head");
    assert_eq!(
        lock,
        Some(Some((LockMode::Compliance, until))),
        "retention unchanged"
    );
    // ...and extending works.
    warden_s3::set_retention(&target, key, LockMode::Compliance, until + 3_600).expect("extend");
    assert_eq!(
        warden_s3::head_lock(&target, key).expect("head"),
        Some(Some((LockMode::Compliance, until + 3_600)))
    );

    // Re-running the same export (as after a crash half-way) keeps the objects...
    let again = warden_s3::upload(&target, &b, LockMode::Compliance, until);
    assert_eq!(again.ok().map(|k| k.len()), Some(b.files.len()));
    // ...but other content under the same keys is refused, never overwritten.
    let (_dir2, mut other) = bundle();
    other.name = b.name.clone();
    let clash = warden_s3::upload(&target, &other, LockMode::Compliance, until);
    assert!(matches!(clash, Err(S3Error::Exists { .. })), "{clash:?}");
    let _ = rt.block_on(c.delete_bucket().bucket(&bucket).send());
}

#[test]
fn a_bucket_without_object_lock_is_refused() {
    let Some(endpoint) = endpoint() else { return };
    let rt = runtime();
    let c = rt.block_on(client(&endpoint));
    let bucket = unique("warden-nolock");
    rt.block_on(c.create_bucket().bucket(&bucket).send())
        .expect("bucket");
    let (_dir, b) = bundle();
    let target = Target {
        bucket,
        prefix: String::new(),
        endpoint: Some(endpoint),
    };
    let r = warden_s3::upload(&target, &b, LockMode::Compliance, 4_000_000_000);
    let err = r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        err.contains("PutObject failed"),
        "a PUT with lock headers into a bucket without Object Lock must fail: {err}"
    );
}
