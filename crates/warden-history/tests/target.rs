//! The target identity, on real repositories built with the `git` CLI in temporary
//! directories.

use std::path::{Path, PathBuf};
use std::process::Command;

use warden_history::target::{identify, identify_detailed};

/// Runs git in `dir` without the user's or the system's config, so the tests see only
/// what they set up.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with one commit on `main`, an annotated tag `v1.0` at it, and an
/// `origin` whose URL carries a token.
fn repo() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = dir.path().join("repo");
    std::fs::create_dir(&r).expect("mkdir");
    git(&r, &["init", "-q", "-b", "main"]);
    std::fs::write(r.join("server.py"), "print('hi')\n").expect("write");
    git(&r, &["add", "server.py"]);
    git(&r, &["commit", "-q", "-m", "one"]);
    git(&r, &["tag", "-a", "v1.0", "-m", "release"]);
    git(
        &r,
        &[
            "remote",
            "add",
            "origin",
            "https://oauth2:ghp_S3CRETtoken@github.com/acme/mcp-server.git",
        ],
    );
    let head = git(&r, &["rev-parse", "HEAD"]);
    (dir, r, head)
}

#[test]
fn identity_of_a_repository() {
    let (_d, r, head) = repo();
    let t = identify(&r).expect("identify");
    assert_eq!(t.commit.as_deref(), Some(head.as_str()));
    assert_eq!(t.branch.as_deref(), Some("main"));
    assert_eq!(t.tag.as_deref(), Some("v1.0"));
    assert_eq!(
        t.remote.as_deref(),
        Some("https://github.com/acme/mcp-server")
    );
    assert_eq!(t.key, "https://github.com/acme/mcp-server");
    assert_eq!(t.dirty, Some(false));
    let canonical = std::fs::canonicalize(&r).expect("canonical");
    assert_eq!(t.path, canonical.display().to_string());
    let all = format!("{t:?}");
    assert!(!all.contains("S3CRET") && !all.contains("oauth2"), "{all}");

    // A change to a tracked file: dirty. Untracked files do not count.
    std::fs::write(r.join("new.txt"), "x").expect("write");
    assert_eq!(identify(&r).expect("identify").dirty, Some(false));
    std::fs::write(r.join("server.py"), "print('changed')\n").expect("write");
    assert_eq!(identify(&r).expect("identify").dirty, Some(true));

    // A subdirectory: the same repository, its own key.
    std::fs::create_dir(r.join("sub")).expect("mkdir");
    let t = identify(&r.join("sub")).expect("identify");
    assert_eq!(t.commit.as_deref(), Some(head.as_str()));
    assert_eq!(t.key, "https://github.com/acme/mcp-server//sub");
}

#[test]
fn packed_refs_tags_and_detached_head() {
    let (_d, r, head) = repo();
    // A lightweight tag on a second commit; then everything packed.
    std::fs::write(r.join("b.txt"), "b").expect("write");
    git(&r, &["add", "b.txt"]);
    git(&r, &["commit", "-q", "-m", "two"]);
    git(&r, &["tag", "light"]);
    let second = git(&r, &["rev-parse", "HEAD"]);
    git(&r, &["pack-refs", "--all"]);
    assert!(!r.join(".git/refs/heads/main").exists(), "main is packed");
    assert!(!r.join(".git/refs/tags/v1.0").exists(), "the tag is packed");
    let packed = std::fs::read_to_string(r.join(".git/packed-refs")).expect("packed-refs");
    assert!(
        packed.contains("\n^"),
        "an annotated tag has its peeled line: {packed}"
    );

    let t = identify(&r).expect("identify");
    assert_eq!(t.commit.as_deref(), Some(second.as_str()));
    assert_eq!(t.branch.as_deref(), Some("main"));
    assert_eq!(t.tag.as_deref(), Some("light"));

    // Detached at the first commit: the annotated tag, peeled from packed-refs.
    git(&r, &["checkout", "-q", "--detach", &head]);
    let t = identify(&r).expect("identify");
    assert_eq!(t.commit.as_deref(), Some(head.as_str()));
    assert_eq!(t.branch, None);
    assert_eq!(t.tag.as_deref(), Some("v1.0"));
    assert_eq!(t.dirty, Some(false));
}

#[test]
fn linked_worktree() {
    let (d, r, head) = repo();
    let wt = d.path().join("wt");
    git(
        &r,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "feature",
            wt.to_str().expect("utf-8"),
        ],
    );
    let t = identify(&wt).expect("identify");
    assert_eq!(t.branch.as_deref(), Some("feature"));
    assert_eq!(t.commit.as_deref(), Some(head.as_str()));
    assert_eq!(
        t.remote.as_deref(),
        Some("https://github.com/acme/mcp-server")
    );
    assert_eq!(t.tag.as_deref(), Some("v1.0"));
    assert_eq!(t.dirty, Some(false));
}

#[test]
fn a_filter_driver_keeps_git_from_running() {
    let (_d, r, _) = repo();
    let marker = r.parent().expect("parent").join("filter-ran");
    // Set up after the commit (adding files would run the filter itself).
    git(
        &r,
        &[
            "config",
            "filter.x.clean",
            &format!("touch {}; cat", marker.display()),
        ],
    );
    std::fs::write(r.join(".git/info/attributes"), "* filter=x\n").expect("attributes");
    // The same size, new content: git must hash the file again, through the filter.
    std::fs::write(r.join("server.py"), "print('HI')\n").expect("write");

    let i = identify_detailed(&r).expect("identify");
    assert_eq!(i.target.dirty, None);
    assert!(i.target.commit.is_some());
    let notes = i.notes.join("\n");
    assert!(notes.contains("filter.x.clean"), "{notes}");
    assert!(!marker.exists(), "git ran the repository's filter");

    // The control: git itself would have run it.
    git(&r, &["status", "--porcelain"]);
    assert!(
        marker.exists(),
        "the test's filter never runs: the test proves nothing"
    );
}

#[test]
fn fsmonitor_and_includes_keep_git_from_running() {
    let (_d, r, _) = repo();
    let marker = r.parent().expect("parent").join("fsmonitor-ran");
    let hook = r.parent().expect("parent").join("hook.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch {}\n", marker.display())).expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    git(
        &r,
        &["config", "core.fsmonitor", hook.to_str().expect("utf-8")],
    );
    let i = identify_detailed(&r).expect("identify");
    assert_eq!(i.target.dirty, None);
    assert!(
        i.notes.join("\n").contains("core.fsmonitor"),
        "{:?}",
        i.notes
    );
    assert!(!marker.exists(), "git ran the repository's fsmonitor hook");
    // The control: git itself would have run it.
    git(&r, &["status", "--porcelain"]);
    assert!(
        marker.exists(),
        "the test's hook never runs: the test proves nothing"
    );
    git(&r, &["config", "--unset", "core.fsmonitor"]);

    git(&r, &["config", "include.path", "/dev/null"]);
    let i = identify_detailed(&r).expect("identify");
    assert_eq!(i.target.dirty, None);
    assert!(i.notes.join("\n").contains("include"), "{:?}", i.notes);
}

#[test]
fn a_directory_without_git() {
    let dir = tempfile::tempdir().expect("tempdir");
    let i = identify_detailed(dir.path()).expect("identify");
    let canonical = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(i.target.key, canonical.display().to_string());
    assert_eq!(i.target.path, i.target.key);
    assert_eq!(i.target.commit, None);
    assert_eq!(i.target.dirty, None);
    assert_eq!(i.target.remote, None);
    assert!(
        i.notes.join("\n").contains("not in a git repository"),
        "{:?}",
        i.notes
    );
}

#[test]
fn errors_name_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let e = identify(&missing).expect_err("missing");
    assert!(e.to_string().contains("nope"), "{e}");

    // A broken HEAD is a clear error, not a panic.
    let r = dir.path().join("broken");
    std::fs::create_dir_all(r.join(".git")).expect("mkdir");
    std::fs::write(r.join(".git/HEAD"), "garbage\n").expect("write");
    let e = identify(&r).expect_err("broken");
    assert!(e.to_string().contains("HEAD"), "{e}");

    // A ref that tries to leave the repository.
    std::fs::write(r.join(".git/HEAD"), "ref: refs/../../../etc/passwd\n").expect("write");
    let e = identify(&r).expect_err("escape");
    assert!(e.to_string().contains("malformed"), "{e}");
}
