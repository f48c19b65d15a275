//! Phase 4, preserve: a real ledger, a real case and a server directory go into a bag;
//! the bag verifies, and stops verifying after any one byte of any file in it changes,
//! a file is added or removed, or a custody line is edited.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};
use warden_incident::bundle::{
    self, BundleReport, CUSTODY_FILE, DEFAULT_MAX_SNAPSHOT_BYTES, PreserveRequest,
};
use warden_incident::case::{Case, CaseMeta};
use warden_ledger::Record;
use warden_ledger::ledger::{InitOptions, Ledger, OpenOptions};

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    case: Case,
    ledger: PathBuf,
    ledger_key: String,
    server: PathBuf,
}

fn record(i: u64) -> Record {
    let mut attrs = Map::new();
    attrs.insert("seq".into(), Value::from(i));
    Record {
        attributes: Some(attrs),
        tool_name: Some("read_file".into()),
        session_id: Some("s1".into()),
        ..Record::new("tool.intent", 1_764_000_000_000_000_000 + i)
    }
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let ledger = root.join("proxy-ledger");
    let ledger_key = Ledger::init(
        &ledger,
        &InitOptions {
            origin: Some("test.local/bundle".into()),
            checkpoint_interval: Duration::from_millis(10),
            ..InitOptions::default()
        },
    )
    .expect("init ledger");
    let l = Ledger::open(&ledger, OpenOptions::default()).expect("open");
    for i in 0..12 {
        l.append(&record(i)).expect("append");
    }
    l.close().expect("close");

    let server = root.join("server");
    std::fs::create_dir_all(server.join("src/lib")).expect("mkdir");
    std::fs::write(server.join("package.json"), "{\"name\":\"srv\"}\n").expect("write");
    std::fs::write(server.join("src/index.js"), "console.log('hi')\n").expect("write");
    std::fs::write(server.join("src/lib/util.js"), "module.exports = 1\n").expect("write");
    std::fs::write(server.join(".env"), "API_KEY=not-a-real-key\n").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", server.join("outside-link")).expect("symlink");

    let case = Case::open(
        &root.join("case"),
        CaseMeta {
            id: "case-test".into(),
            title: "exfiltration via read_file".into(),
            opened_unix_nano: 1_764_000_000_000_000_000,
            opened_by: "tester".into(),
            ledger: Some(ledger.display().to_string()),
            repo: None,
            proxy: None,
        },
    )
    .expect("case");
    Fixture {
        _tmp: tmp,
        root,
        case,
        ledger,
        ledger_key,
        server,
    }
}

fn preserve(f: &Fixture, dest: &Path, cited: &[u64]) -> bundle::Preserved {
    bundle::preserve(&PreserveRequest {
        case: &f.case,
        ledger: Some(&f.ledger),
        ledger_key: Some(&f.ledger_key),
        server_dir: Some(&f.server),
        cited,
        dest,
        max_snapshot_bytes: DEFAULT_MAX_SNAPSHOT_BYTES,
    })
    .expect("preserve")
}

fn seal_key(f: &Fixture) -> String {
    std::fs::read_to_string(f.case.journal_dir().join("ledger.pub")).expect("ledger.pub")
}

fn verify(f: &Fixture, bag: &Path) -> BundleReport {
    bundle::verify_bundle(bag, Some(&seal_key(f))).expect("verify runs")
}

fn failures(r: &BundleReport) -> String {
    r.failures()
        .map(|c| format!("{}: {}", c.name, c.reason))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(unix)]
fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Makes the bag writable again (for tampering, and so the temp dir can be removed).
#[cfg(unix)]
fn unlock(dir: &Path) {
    chmod(dir, 0o755);
    for e in std::fs::read_dir(dir).expect("read_dir") {
        let p = e.expect("entry").path();
        if p.is_dir() && !p.is_symlink() {
            unlock(&p);
        } else if !p.is_symlink() {
            chmod(&p, 0o644);
        }
    }
}

/// Every regular file in the bag, relative, sorted.
fn bag_files(bag: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in std::fs::read_dir(bag.join(&rel)).expect("read_dir") {
            let e = e.expect("entry");
            let child = rel.join(e.file_name());
            if e.file_type().expect("type").is_dir() {
                stack.push(child);
            } else {
                out.push(child.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_preserved_bag_verifies_and_says_what_it_holds() {
    let f = fixture();
    let bag = f.root.join("bag");
    let p = preserve(&f, &bag, &[3, 7, 7, 500]);
    assert_eq!(p.description.proofs, vec![3, 7]);
    assert_eq!(
        p.description.unproven.len(),
        1,
        "{:?}",
        p.description.unproven
    );
    assert!(p.description.unproven[0].reason.contains("not yet signed"));
    let ledger = p.description.ledger.as_ref().expect("ledger");
    assert_eq!(ledger.verdict, "verified");
    assert_eq!(ledger.tree_size, Some(ledger.records));
    assert!(ledger.records >= 12, "{ledger:?}");
    let snap = p.description.snapshot.as_ref().expect("snapshot");
    // .env is listed as skipped (live credentials), not archived.
    assert_eq!(snap.files, 3);
    assert!(
        snap.skipped.iter().any(|k| k.path == ".env"),
        "{:?}",
        snap.skipped
    );
    assert_eq!(snap.symlinks.len(), 1);
    assert_eq!(snap.symlinks[0].target, "/etc/passwd");

    assert!(p.render().contains("verified"), "{}", p.render());
    let r = verify(&f, &bag);
    assert!(r.ok, "{}", failures(&r));
    assert!(r.warnings.is_empty());
    for want in [
        "seal SEAL.sig",
        "custody.jsonl",
        "proof data/proofs/3.tlog-proof",
    ] {
        assert!(
            r.checks.iter().any(|c| c.ok && c.name == want),
            "no passing check {want}"
        );
    }

    // Without a trusted key it still verifies, but says so loudly.
    let r = bundle::verify_bundle(&bag, None).expect("verify");
    assert!(r.ok, "{}", failures(&r));
    assert!(!r.trusted_key);
    assert!(r.warnings.iter().any(|w| w.contains("NOT who made it")));
    assert!(r.render(false).contains("WARNING"));

    // The bundle is journaled into the case.
    let entries = f.case.entries().expect("entries");
    let last = entries.last().expect("an entry");
    assert_eq!(last["kind"], "app.preserve");
    assert_eq!(
        last["attributes"]["manifest_sha256"],
        p.manifest_sha256.as_str()
    );
    assert_eq!(
        last["attributes"]["ledger_size"].as_u64(),
        ledger.tree_size,
        "{last}"
    );

    // Read-only, and no secret key anywhere in it.
    #[cfg(unix)]
    {
        assert_eq!(mode(&bag), 0o555);
        assert_eq!(mode(&bag.join("data/preserve.json")), 0o444);
    }
    let files = bag_files(&bag);
    assert!(files.iter().any(|n| n.starts_with("data/ledger/segments/")));
    assert!(files.iter().any(|n| n.starts_with("data/journal/")));
    for name in &files {
        assert!(!name.contains("keys/") && !name.ends_with(".key"), "{name}");
        let bytes = std::fs::read(bag.join(name)).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE+KEY+") && !text.contains("WARDEN-ARGS-KEY+"),
            "{name} holds a secret key"
        );
    }
    let desc = &p.description;
    assert!(
        desc.ledger
            .as_ref()
            .is_some_and(|l| l.excluded.iter().any(|e| e.starts_with("keys/")))
    );
    assert!(desc.journal.excluded.iter().any(|e| e.starts_with("keys/")));
    assert_ne!(desc.journal.verdict, "FAILED", "{:?}", desc.journal);
    assert!(r.checks.iter().any(|c| c.ok && c.name == "data/journal"));
    #[cfg(unix)]
    unlock(&bag);
}

#[test]
fn every_single_byte_change_in_any_file_fails_verification() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[0, 5, 11]);
    assert!(verify(&f, &bag).ok);
    let files = bag_files(&bag);
    assert!(files.len() > 15, "{files:?}");
    #[cfg(unix)]
    unlock(&bag);
    for name in &files {
        let path = bag.join(name);
        let original = std::fs::read(&path).expect("read");
        for at in [0, original.len() / 2, original.len().saturating_sub(1)] {
            let mut changed = original.clone();
            changed[at] ^= 0x01;
            std::fs::write(&path, &changed).expect("tamper");
            let r = verify(&f, &bag);
            std::fs::write(&path, &original).expect("restore");
            assert!(!r.ok, "flipping byte {at} of {name} went unnoticed");
            let base = name.rsplit('/').next().unwrap_or(name);
            assert!(
                r.failures()
                    .any(|c| c.name.contains(base) || c.reason.contains(base)),
                "flipping byte {at} of {name}: no failure names it:\n{}",
                failures(&r)
            );
        }
    }
    assert!(verify(&f, &bag).ok, "restored bag must verify again");
}

#[test]
#[cfg(unix)]
fn added_removed_and_custody_edits_fail() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[2]);
    unlock(&bag);

    // Planted evidence, in data/ and at the top.
    for planted in [
        "data/planted.txt",
        "data/ledger/segments/extra",
        "NOTES.txt",
    ] {
        let p = bag.join(planted);
        std::fs::write(&p, "x").expect("plant");
        let r = verify(&f, &bag);
        std::fs::remove_file(&p).expect("unplant");
        assert!(!r.ok, "{planted} went unnoticed");
        assert!(r.failures().any(|c| c.name == planted), "{}", failures(&r));
    }
    // A link planted in the bag is refused, and never read through.
    std::os::unix::fs::symlink("/etc/passwd", bag.join("data/passwd")).expect("link");
    let r = verify(&f, &bag);
    std::fs::remove_file(bag.join("data/passwd")).expect("unlink");
    assert!(!r.ok);
    assert!(
        r.failures()
            .any(|c| c.name == "data/passwd" && c.reason.contains("symlink"))
    );

    // Every file removed, one at a time.
    for name in bag_files(&bag) {
        let p = bag.join(&name);
        let keep = std::fs::read(&p).expect("read");
        std::fs::remove_file(&p).expect("remove");
        let r = verify(&f, &bag);
        std::fs::write(&p, &keep).expect("restore");
        assert!(!r.ok, "removing {name} went unnoticed");
    }

    // A custody line edited (a field changed, the JSON still valid), each line in turn.
    let custody_path = bag.join(CUSTODY_FILE);
    let custody = std::fs::read_to_string(&custody_path).expect("custody");
    let lines: Vec<&str> = custody.lines().collect();
    assert!(lines.len() >= 4, "{custody}");
    for i in 0..lines.len() {
        let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        edited[i] = edited[i].replacen("\"actor\":\"", "\"actor\":\"mallory-", 1);
        std::fs::write(&custody_path, edited.join("\n") + "\n").expect("edit");
        let r = verify(&f, &bag);
        assert!(!r.ok, "editing custody line {} went unnoticed", i + 1);
        assert!(r.failures().any(|c| c.name.starts_with(CUSTODY_FILE)));
    }
    // A line removed.
    std::fs::write(&custody_path, lines[1..].join("\n") + "\n").expect("edit");
    assert!(!verify(&f, &bag).ok);
    std::fs::write(&custody_path, &custody).expect("restore");
    assert!(verify(&f, &bag).ok);
    unlock(&bag);
}

#[test]
#[cfg(unix)]
fn custody_grows_after_the_seal_and_edits_of_it_are_caught() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[]);
    let (e1, _) =
        bundle::record_custody(&bag, "copied", "backup-host:/evidence/bag").expect("copied");
    let (e2, head) = bundle::record_custody(&bag, "verified", "laptop:/tmp/bag").expect("verified");
    assert_eq!(e2.seq, e1.seq + 1);
    assert_eq!(head.len(), 64);
    assert_eq!(mode(&bag.join(CUSTODY_FILE)), 0o444, "read-only again");
    let r = verify(&f, &bag);
    assert!(r.ok, "{}", failures(&r));
    assert!(
        r.checks
            .iter()
            .any(|c| c.name == CUSTODY_FILE && c.reason.contains("unsigned")),
        "{:?}",
        r.checks
    );
    assert!(bundle::record_custody(&bag, "sealed", "x").is_err());

    // Editing an appended line that has a successor breaks the chain.
    unlock(&bag);
    let path = bag.join(CUSTODY_FILE);
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen("backup-host", "elsewhere", 1);
    assert_ne!(edited, text);
    std::fs::write(&path, edited).expect("edit");
    let r = verify(&f, &bag);
    assert!(!r.ok);
    assert!(
        r.failures().any(|c| c.reason.contains("chain breaks")),
        "{}",
        failures(&r)
    );
    std::fs::write(&path, text).expect("restore");
    unlock(&bag);
}

#[test]
fn a_wrong_trusted_key_fails() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[1]);
    // Another case's key, and the proxy ledger's key: neither sealed the bag.
    let other = Case::open(
        &f.root.join("other-case"),
        CaseMeta {
            id: "other".into(),
            title: "t".into(),
            opened_unix_nano: 1,
            opened_by: "x".into(),
            ledger: None,
            repo: None,
            proxy: None,
        },
    )
    .expect("other case");
    let other_key =
        std::fs::read_to_string(other.journal_dir().join("ledger.pub")).expect("other key");
    for key in [other_key.as_str(), f.ledger_key.as_str()] {
        let r = bundle::verify_bundle(&bag, Some(key)).expect("verify");
        assert!(!r.ok);
        assert!(
            r.failures().any(|c| c.name == "seal SEAL.sig"),
            "{}",
            failures(&r)
        );
    }
    // A wrong ledger key fails the checkpoint and the proofs.
    let r =
        bundle::verify_bundle_keys(&bag, Some(&seal_key(&f)), Some(&other_key)).expect("verify");
    assert!(!r.ok);
    assert!(
        r.failures().any(|c| c.name.starts_with("proof ")),
        "{}",
        failures(&r)
    );
    #[cfg(unix)]
    unlock(&bag);
}

#[test]
#[cfg(unix)]
fn crafted_manifest_paths_are_refused_and_never_read() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[]);
    unlock(&bag);
    let path = bag.join("manifest-sha256.txt");
    let original = std::fs::read_to_string(&path).expect("manifest");
    let zeros = "0".repeat(64);
    for evil in [
        "../../etc/passwd",
        "/etc/passwd",
        "data/../../x",
        "data/./a",
        "data//a",
    ] {
        std::fs::write(&path, format!("{original}{zeros}  {evil}\n")).expect("write");
        let r = verify(&f, &bag);
        assert!(!r.ok);
        assert!(
            r.failures()
                .any(|c| c.name == evil && c.reason.contains("unsafe path")),
            "{evil}: {}",
            failures(&r)
        );
    }
    std::fs::write(&path, original).expect("restore");
    unlock(&bag);
}

#[test]
#[cfg(unix)]
fn sha256sum_checks_the_manifests() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[4]);
    for manifest in ["manifest-sha256.txt", "tagmanifest-sha256.txt"] {
        let out = std::process::Command::new("sha256sum")
            .args(["--check", "--strict", "--quiet", manifest])
            .current_dir(&bag)
            .output();
        match out {
            Ok(o) => assert!(
                o.status.success(),
                "sha256sum -c {manifest}: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "sha256sum is needed in CI"
                );
                return;
            }
            Err(e) => panic!("sha256sum: {e}"),
        }
    }
    unlock(&bag);
}

#[test]
#[cfg(unix)]
fn the_snapshot_keeps_links_as_links_and_lists_what_it_skipped() {
    let f = fixture();
    let sock = f.server.join("app.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).expect("socket");
    // A Warden signing key kept in the server's directory stays out of the bag.
    let key = std::fs::read(f.ledger.join("keys/checkpoint.key")).expect("key");
    std::fs::write(f.server.join("signing.txt"), key).expect("write");
    let bag = f.root.join("bag");
    let p = preserve(&f, &bag, &[]);
    let rendered = p.render();
    assert!(
        rendered.contains("not in the snapshot: app.sock"),
        "{rendered}"
    );
    let snap = p.description.snapshot.expect("snapshot");
    assert_eq!(snap.skipped.len(), 3, "{:?}", snap.skipped);
    // The env file's live credential stays out; its digest goes in.
    assert_eq!(snap.skipped[0].path, ".env");
    assert!(
        snap.skipped[0].reason.contains("env file") && snap.skipped[0].reason.contains("sha256 ")
    );
    assert_eq!(snap.skipped[1].path, "app.sock");
    assert!(snap.skipped[1].reason.contains("socket"));
    assert_eq!(snap.skipped[2].path, "signing.txt");
    assert!(snap.skipped[2].reason.contains("secret key"));
    let list = std::fs::read_to_string(bag.join("data/snapshot/files-sha256.txt")).expect("list");
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|x| x.1)
        .collect();
    assert_eq!(names, ["package.json", "src/index.js", "src/lib/util.js"]);

    let archive = std::fs::File::open(bag.join(&snap.archive)).expect("archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut seen = Vec::new();
    for e in tar.entries().expect("entries") {
        let e = e.expect("entry");
        let path = e.path().expect("path").to_string_lossy().into_owned();
        if path == "outside-link" {
            assert_eq!(e.header().entry_type(), tar::EntryType::Symlink);
            let target = e.link_name().expect("link").expect("a target");
            assert_eq!(target.to_string_lossy(), "/etc/passwd");
        }
        seen.push(path);
    }
    assert_eq!(
        seen,
        [
            "outside-link",
            "package.json",
            "src",
            "src/index.js",
            "src/lib",
            "src/lib/util.js"
        ]
    );
    unlock(&bag);
}

#[test]
fn refusals_are_clear() {
    let f = fixture();
    // A destination that is not empty.
    let busy = f.root.join("busy");
    std::fs::create_dir_all(&busy).expect("mkdir");
    std::fs::write(busy.join("x"), "x").expect("write");
    let req = |dest: &Path, limit: u64| {
        bundle::preserve(&PreserveRequest {
            case: &f.case,
            ledger: Some(&f.ledger),
            ledger_key: Some(&f.ledger_key),
            server_dir: Some(&f.server),
            cited: &[],
            dest,
            max_snapshot_bytes: limit,
        })
    };
    let e = req(&busy, DEFAULT_MAX_SNAPSHOT_BYTES).expect_err("refused");
    assert!(e.to_string().contains("not empty"), "{e}");
    // Inside the server directory.
    let e = req(&f.server.join("bag"), DEFAULT_MAX_SNAPSHOT_BYTES).expect_err("refused");
    assert!(e.to_string().contains("inside the server directory"), "{e}");
    // Over the size limit.
    let e = req(&f.root.join("small"), 10).expect_err("refused");
    assert!(e.to_string().contains("over the limit of 10"), "{e}");
    // A refused bag leaves nothing behind (an empty destination stays, empty).
    assert!(!f.root.join("small").exists());
    assert!(!f.server.join("bag").exists());
    let empty = f.root.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    req(&empty, 10).expect_err("refused");
    assert_eq!(std::fs::read_dir(&empty).expect("empty").count(), 0);
    // Not a bag.
    assert!(bundle::verify_bundle(&f.root.join("nothing"), None).is_err());
    let r = bundle::verify_bundle(&f.server, None).expect("a directory");
    assert!(!r.ok);
}

#[test]
fn a_damaged_ledger_is_preserved_as_it_is_with_the_verdict_failed() {
    let f = fixture();
    // Damage a record in the middle of the proxy's ledger.
    let seg = std::fs::read_dir(f.ledger.join("segments"))
        .expect("segments")
        .map(|e| e.expect("entry").path())
        .min()
        .expect("a segment");
    let mut bytes = std::fs::read(&seg).expect("read");
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&seg, &bytes).expect("damage");
    let bag = f.root.join("bag");
    let p = preserve(&f, &bag, &[1]);
    let ledger = p.description.ledger.as_ref().expect("ledger");
    assert_eq!(ledger.verdict, "FAILED");
    // The damaged bytes are in the bag, unchanged.
    let name = seg
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let copied = std::fs::read(bag.join("data/ledger/segments").join(&name)).expect("copy");
    assert_eq!(copied, bytes);
    // The bag itself verifies: it faithfully holds a ledger that fails.
    let r = verify(&f, &bag);
    assert!(r.ok, "{}", failures(&r));
    assert!(
        r.checks
            .iter()
            .any(|c| c.name == "data/ledger" && c.reason.contains("FAILED"))
    );
    #[cfg(unix)]
    unlock(&bag);
}

/// The by-hand check of docs/playbook.md, with the ordinary tools.
#[test]
#[cfg(unix)]
fn the_by_hand_check_in_the_playbook_works() {
    let f = fixture();
    let bag = f.root.join("bag");
    preserve(&f, &bag, &[1]);
    let snap = f.root.join("snap");
    std::fs::create_dir_all(&snap).expect("mkdir");
    let script = format!(
        r#"set -eu
sha256sum -c --quiet tagmanifest-sha256.txt
sha256sum -c --quiet manifest-sha256.txt
diff <(find data -type f | sort) <(cut -c67- manifest-sha256.txt | sort)
grep -q "^tagmanifest-sha256 $(sha256sum tagmanifest-sha256.txt | cut -c1-64)$" SEAL.sig
tar -xzf data/snapshot/server-*.tar.gz -C {snap}
(cd {snap} && sha256sum -c --quiet "$OLDPWD/data/snapshot/files-sha256.txt")
"#,
        snap = snap.display()
    );
    match std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(&bag)
        .output()
    {
        Ok(o) => assert!(
            o.status.success(),
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => assert!(std::env::var_os("CI").is_none(), "bash: {e}"),
    }
    unlock(&bag);
}

#[test]
fn a_ledger_being_written_is_copied_then_verified() {
    let f = fixture();
    // A live writer holds the ledger (its LOCK) and has records not yet signed.
    let writer = Ledger::open(&f.ledger, OpenOptions::default()).expect("open");
    for i in 100..103 {
        writer.append(&record(i)).expect("append");
    }
    let bag = f.root.join("bag");
    let p = preserve(&f, &bag, &[2]);
    let ledger = p.description.ledger.as_ref().expect("ledger");
    assert_ne!(ledger.verdict, "FAILED", "{ledger:?}");
    assert!(
        ledger.excluded.iter().any(|e| e.starts_with("LOCK")),
        "{ledger:?}"
    );
    assert_eq!(p.description.proofs, vec![2]);
    writer.close().expect("close");
    let r = verify(&f, &bag);
    assert!(r.ok, "{}", failures(&r));
    #[cfg(unix)]
    unlock(&bag);
}

#[test]
fn a_ledger_whose_key_was_rotated_verifies_with_both_keys() {
    let f = fixture();
    let new_key = f.root.join("new.key");
    let key = warden_ledger::keys::SigningKeyFile::generate("test.local/bundle").expect("key");
    warden_ledger::keys::write_secret(&new_key, &key.encode()).expect("write");
    Ledger::rotate_key(&f.ledger, &new_key, "test").expect("rotate");
    let l = Ledger::open(&f.ledger, OpenOptions::default()).expect("open");
    l.append(&record(50)).expect("append");
    l.close().expect("close");
    let bag = f.root.join("bag");
    // No key given: the ledger's own (current and previous) keys, said to be self-declared.
    let p = bundle::preserve(&PreserveRequest {
        case: &f.case,
        ledger: Some(&f.ledger),
        ledger_key: None,
        server_dir: None,
        cited: &[1, 12],
        dest: &bag,
        max_snapshot_bytes: DEFAULT_MAX_SNAPSHOT_BYTES,
    })
    .expect("preserve");
    let ledger = p.description.ledger.as_ref().expect("ledger");
    assert_eq!(ledger.verdict, "verified", "{ledger:?}");
    assert_eq!(ledger.verifier_keys.len(), 2);
    assert!(ledger.key_source.contains("self-declared"));
    assert_eq!(p.description.proofs, vec![1, 12]);
    let r = verify(&f, &bag);
    assert!(r.ok, "{}", failures(&r));
    #[cfg(unix)]
    unlock(&bag);
}
