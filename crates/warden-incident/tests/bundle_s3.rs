//! The evidence bundle uploaded with Object Lock to a real S3-compatible server (moto,
//! started by `scripts/start-moto.sh`). Skipped without `WARDEN_TEST_S3_ENDPOINT`, except
//! under CI, where a missing server is a failure.

use std::path::{Path, PathBuf};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::DateTime;
use warden_incident::bundle::{self, CUSTODY_FILE, LockMode, PreserveRequest};
use warden_incident::case::{Case, CaseMeta};
use warden_ledger::Record;
use warden_ledger::ledger::{InitOptions, Ledger, OpenOptions};

fn endpoint() -> Option<String> {
    match std::env::var("WARDEN_TEST_S3_ENDPOINT") {
        Ok(e) => Some(e),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("CI is set but WARDEN_TEST_S3_ENDPOINT is not: .ci/run must start moto")
        }
        Err(_) => {
            eprintln!(
                "skipping: no S3 server (eval \"$(bash scripts/start-moto.sh)\" to run this test)"
            );
            None
        }
    }
}

fn unlock(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            unlock(&p);
        } else {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644));
        }
    }
}

#[test]
fn the_bag_is_uploaded_locked_and_the_upload_is_in_its_custody() {
    let Some(endpoint) = endpoint() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let ledger = tmp.path().join("ledger");
    Ledger::init(&ledger, &InitOptions::default()).expect("init");
    let l = Ledger::open(&ledger, OpenOptions::default()).expect("open");
    for i in 0..5 {
        l.append(&Record::new("tool.intent", 1_764_000_000_000_000_000 + i))
            .expect("append");
    }
    l.close().expect("close");
    let case = Case::open(
        &tmp.path().join("case"),
        CaseMeta {
            id: "case-s3".into(),
            title: "upload".into(),
            opened_unix_nano: 1,
            opened_by: "t".into(),
            ledger: None,
            repo: None,
            proxy: None,
        },
    )
    .expect("case");
    let bag: PathBuf = tmp.path().join("bag-case-s3");
    bundle::preserve(&PreserveRequest {
        case: &case,
        ledger: Some(&ledger),
        ledger_key: None,
        server_dir: None,
        cited: &[2],
        dest: &bag,
        max_snapshot_bytes: bundle::DEFAULT_MAX_SNAPSHOT_BYTES,
    })
    .expect("preserve");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let c = rt.block_on(async {
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .load()
            .await;
        Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(true)
                .build(),
        )
    });
    let bucket = format!(
        "warden-bag-{}-{}",
        std::process::id(),
        warden_ledger::ledger::now_unix_nano() % 1_000_000_000
    );
    rt.block_on(
        c.create_bucket()
            .bucket(&bucket)
            .object_lock_enabled_for_bucket(true)
            .send(),
    )
    .expect("create bucket with Object Lock");

    let target =
        bundle::s3_target(&format!("s3://{bucket}/evidence/"), Some(&endpoint)).expect("target");
    let up = bundle::upload(&bag, &target, LockMode::Governance, 1).expect("upload");
    assert_eq!(
        up.destination,
        format!("s3://{bucket}/evidence/bag-case-s3/")
    );
    assert!(up.keys.iter().any(|k| k == "evidence/bag-case-s3/SEAL.sig"));
    assert!(
        up.keys
            .iter()
            .any(|k| k.ends_with("data/proofs/2.tlog-proof"))
    );
    for key in &up.keys {
        let h = rt
            .block_on(c.head_object().bucket(&bucket).key(key).send())
            .expect("head");
        assert_eq!(h.object_lock_mode().map(|m| m.as_str()), Some("GOVERNANCE"));
        assert_eq!(
            h.object_lock_retain_until_date().map(DateTime::secs),
            Some(up.retain_until_unix)
        );
    }
    // The local bag records the upload and still verifies.
    assert_eq!(up.custody.action, "uploaded");
    let custody = std::fs::read_to_string(bag.join(CUSTODY_FILE)).expect("custody");
    assert!(custody.contains(&up.destination), "{custody}");
    let key = std::fs::read_to_string(case.journal_dir().join("ledger.pub")).expect("key");
    let r = bundle::verify_bundle(&bag, Some(&key)).expect("verify");
    assert!(r.ok, "{:?}", r.failures().collect::<Vec<_>>());
    // Uploading again finds the same bytes (kept) but a longer custody file: refused,
    // never overwritten.
    let again = bundle::upload(&bag, &target, LockMode::Governance, 1).expect_err("refused");
    assert!(
        again.to_string().contains("custody.jsonl already exists"),
        "{again}"
    );
    // A bad URL is refused before any request.
    assert!(bundle::s3_target("https://x/y", None).is_err());
    assert!(bundle::s3_target("s3:///x", None).is_err());
    unlock(&bag);
}
