//! What was scanned: the canonical path and, for a git repository, its identity — the
//! `origin` remote, the commit checked out, the branch, a tag at that commit, and whether
//! the working tree is dirty.
//!
//! The repository being scanned is untrusted (scanning it is the point), and a git
//! repository can make `git` run its commands: filter drivers (`filter.*.clean`,
//! `smudge`, `process`), `core.fsmonitor`, hooks, external diff drivers, and config it
//! includes from elsewhere (`include`, `includeIf`). So:
//!
//! - everything but the dirty state is read from the `.git` directory's files directly
//!   (HEAD, loose refs, `packed-refs`, `config`, loose tag objects): no process at all;
//! - the dirty state needs the index and the working tree compared, which is git's job:
//!   the system `git` is run with every repository-configurable execution path turned
//!   off on its command line, the system and global config ignored, optional locks off
//!   (a read must not write the index), submodules ignored (their config is not checked
//!   here), and — because a command-line override cannot switch off every such path —
//!   **not at all** when the repository's config sets a filter driver, `core.fsmonitor`
//!   or an include, or its `.gitattributes` / `info/attributes` assign a filter. Then the
//!   dirty state is `None` (unknown) and [`Identified::notes`] says why.

#![warn(missing_docs)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::model::Target;

/// How long `git status` may take before it is stopped (the dirty state is then unknown).
const GIT_STATUS_TIMEOUT: Duration = Duration::from_secs(60);

/// How many symbolic refs are followed (a loop is a broken repository).
const MAX_REF_DEPTH: usize = 5;

/// A target and what could not be told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    /// The identity.
    pub target: Target,
    /// Why a part of it is unknown (e.g. "dirty state unknown: the repository's config
    /// sets filter.lfs.clean, which git would run"), for the CLI to show.
    pub notes: Vec<String>,
}

/// Why the target could not be identified.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The path does not exist or cannot be read.
    #[error("cannot scan {path}: {why}")]
    Path {
        /// The path given.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The repository's git metadata is malformed.
    #[error(
        "the git repository at {repo} is damaged: {why}; check it with `git status` there, or scan a clean clone"
    )]
    Git {
        /// The repository (its work tree).
        repo: String,
        /// What could not be read.
        why: String,
    },
}

/// The identity of the target at `path` (see [`identify_detailed`]; this drops the
/// notes).
pub fn identify(path: &Path) -> Result<Target, TargetError> {
    identify_detailed(path).map(|i| i.target)
}

/// The identity of the target at `path`: its canonical path and, when it is in a git
/// repository (found at `path` or above it), the git identity, with notes on what is
/// unknown.
///
/// The key scans are grouped by is the remote URL (credentials, a trailing `/` and `.git`
/// removed), followed by `//<subdirectory>` when `path` is below the repository's top;
/// without a remote, the canonical path. A directory without git history is not an
/// error: its commit is `None`.
pub fn identify_detailed(path: &Path) -> Result<Identified, TargetError> {
    let canonical = std::fs::canonicalize(path).map_err(|e| TargetError::Path {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    let path_str = canonical.display().to_string();
    let mut notes = Vec::new();
    let start = if canonical.is_dir() {
        canonical.clone()
    } else {
        canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| canonical.clone())
    };
    let Some(repo) = find_repo(&start)? else {
        notes.push(format!(
            "{path_str} is not in a git repository: no commit, branch or dirty state; the history is keyed by the path"
        ));
        return Ok(Identified {
            target: Target {
                key: path_str.clone(),
                path: path_str,
                remote: None,
                commit: None,
                dirty: None,
                branch: None,
                tag: None,
            },
            notes,
        });
    };

    let (branch, commit) = repo.head()?;
    if commit.is_none() {
        notes.push(match &branch {
            Some(b) => format!("the branch {b} has no commit yet"),
            None => "HEAD names no commit".to_string(),
        });
    }
    let config = repo.config(&mut notes);
    let remote = config
        .iter()
        .find(|e| {
            e.section == "remote" && e.subsection.as_deref() == Some("origin") && e.key == "url"
        })
        .and_then(|e| e.value.as_deref())
        .map(clean_remote);
    let tag = match &commit {
        Some(c) => repo.tag_at(c, &mut notes),
        None => None,
    };
    let dirty = match repo.unsafe_to_run_git(&config) {
        Some(why) => {
            notes.push(format!(
                "dirty state unknown: git was not run because {why}, which would make it run the repository's commands"
            ));
            None
        }
        None => repo.status(&mut notes),
    };

    let key = match &remote {
        Some(r) => match canonical.strip_prefix(&repo.work_tree) {
            Ok(rel) if !rel.as_os_str().is_empty() => format!("{r}//{}", rel.display()),
            _ => r.clone(),
        },
        None => path_str.clone(),
    };
    Ok(Identified {
        target: Target {
            key,
            path: path_str,
            remote,
            commit,
            dirty,
            branch,
            tag,
        },
        notes,
    })
}

/// A repository found on disk.
struct Repo {
    /// The top of the work tree.
    work_tree: PathBuf,
    /// The git directory of this work tree (HEAD, index, `config.worktree`).
    git_dir: PathBuf,
    /// The directory shared by all work trees (refs, packed-refs, config, objects).
    common_dir: PathBuf,
}

/// The nearest `.git` at or above `start`: a directory, or a file `gitdir: <path>` (a
/// linked work tree or a submodule).
fn find_repo(start: &Path) -> Result<Option<Repo>, TargetError> {
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::symlink_metadata(&dot_git) else {
            continue;
        };
        let damaged = |why: String| TargetError::Git {
            repo: dir.display().to_string(),
            why,
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else {
            let content =
                read_small(&dot_git).map_err(|e| damaged(format!("cannot read .git: {e}")))?;
            let target = content
                .trim()
                .strip_prefix("gitdir:")
                .map(str::trim)
                .ok_or_else(|| damaged("the .git file does not start with `gitdir:`".into()))?;
            dir.join(target)
        };
        let common_dir = match read_small(&git_dir.join("commondir")) {
            Ok(c) => git_dir.join(c.trim()),
            Err(_) => git_dir.clone(),
        };
        if !git_dir.join("HEAD").is_file() {
            return Err(damaged(format!("{} has no HEAD", git_dir.display())));
        }
        return Ok(Some(Repo {
            work_tree: dir.to_path_buf(),
            git_dir,
            common_dir,
        }));
    }
    Ok(None)
}

/// Reads a metadata file, refusing anything larger than a ref or config should be (a
/// hostile repository could point these at a huge file or a device).
fn read_small(path: &Path) -> std::io::Result<String> {
    const LIMIT: u64 = 16 << 20;
    let f = std::fs::File::open(path)?;
    let mut s = String::new();
    f.take(LIMIT).read_to_string(&mut s)?;
    Ok(s)
}

fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One `packed-refs` line: the ref, its value, and the commit it peels to (`^` line).
struct PackedRef {
    name: String,
    id: String,
    peeled: Option<String>,
}

impl Repo {
    fn damaged(&self, why: String) -> TargetError {
        TargetError::Git {
            repo: self.work_tree.display().to_string(),
            why,
        }
    }

    /// The branch (for a symbolic HEAD) and the commit checked out (`None` on a branch
    /// without commits).
    fn head(&self) -> Result<(Option<String>, Option<String>), TargetError> {
        let head = read_small(&self.git_dir.join("HEAD"))
            .map_err(|e| self.damaged(format!("cannot read HEAD: {e}")))?;
        let head = head.trim();
        if let Some(name) = head.strip_prefix("ref:") {
            let name = name.trim();
            let branch = name.strip_prefix("refs/heads/").unwrap_or(name).to_string();
            Ok((Some(branch), self.resolve_ref(name, 0)?))
        } else if is_object_id(head) {
            Ok((None, Some(head.to_ascii_lowercase())))
        } else {
            Err(self.damaged(format!("HEAD holds {head:?}: neither a ref nor a commit")))
        }
    }

    /// The object a ref names: the loose ref file, else `packed-refs`; `None` when the
    /// ref does not exist (an unborn branch).
    fn resolve_ref(&self, name: &str, depth: usize) -> Result<Option<String>, TargetError> {
        if depth > MAX_REF_DEPTH {
            return Err(self.damaged(format!("the symbolic ref {name} loops")));
        }
        // A ref name is joined to a path: one with `..` or an absolute path would read
        // outside the repository.
        if name
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
            || name.starts_with('/')
        {
            return Err(self.damaged(format!("the ref name {name:?} is malformed")));
        }
        let base = if name.starts_with("refs/") {
            &self.common_dir
        } else {
            &self.git_dir
        };
        match read_small(&base.join(name)) {
            Ok(v) => {
                let v = v.trim();
                if let Some(next) = v.strip_prefix("ref:") {
                    self.resolve_ref(next.trim(), depth + 1)
                } else if is_object_id(v) {
                    Ok(Some(v.to_ascii_lowercase()))
                } else {
                    Err(self.damaged(format!("the ref {name} holds {v:?}, not a commit")))
                }
            }
            Err(_) => Ok(self
                .packed_refs()?
                .into_iter()
                .find(|p| p.name == name)
                .map(|p| p.id)),
        }
    }

    fn packed_refs(&self) -> Result<Vec<PackedRef>, TargetError> {
        let text = match read_small(&self.common_dir.join("packed-refs")) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.damaged(format!("cannot read packed-refs: {e}"))),
        };
        let mut refs: Vec<PackedRef> = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(peeled) = line.strip_prefix('^') {
                // The commit the ref on the line above peels to (an annotated tag's).
                if let Some(last) = refs.last_mut().filter(|_| is_object_id(peeled)) {
                    last.peeled = Some(peeled.to_ascii_lowercase());
                }
                continue;
            }
            if let Some((id, name)) = line.split_once(' ')
                && is_object_id(id)
            {
                refs.push(PackedRef {
                    name: name.trim().to_string(),
                    id: id.to_ascii_lowercase(),
                    peeled: None,
                });
            }
        }
        Ok(refs)
    }

    /// A tag pointing at `commit` (lightweight, or annotated and peeled), the first by
    /// name when there are several; loose tags override packed ones of the same name.
    fn tag_at(&self, commit: &str, notes: &mut Vec<String>) -> Option<String> {
        let mut tags: std::collections::BTreeMap<String, Option<String>> = Default::default();
        match self.packed_refs() {
            Ok(refs) => {
                for p in refs {
                    if let Some(name) = p.name.strip_prefix("refs/tags/") {
                        let id = p.peeled.unwrap_or(p.id);
                        tags.insert(name.to_string(), Some(id));
                    }
                }
            }
            Err(e) => notes.push(format!("tags unknown: {e}")),
        }
        let mut unpeelable = 0usize;
        let root = self.common_dir.join("refs").join("tags");
        let mut stack = vec![root.clone()];
        // Bounded: a hostile repository could hold a huge tag tree.
        let mut budget = 10_000usize;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                budget = budget.saturating_sub(1);
                if budget == 0 {
                    notes.push("tags: more than 10000 loose tags; some were not read".into());
                    stack.clear();
                    break;
                }
                let p = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(p);
                    continue;
                }
                if !ft.is_file() {
                    continue;
                }
                let (Ok(rel), Ok(v)) = (p.strip_prefix(&root), read_small(&p)) else {
                    continue;
                };
                let v = v.trim().to_ascii_lowercase();
                if !is_object_id(&v) {
                    continue;
                }
                let peeled = if v == commit {
                    Some(v)
                } else {
                    let p = self.peel_tag(&v, 0);
                    if p.is_none() {
                        unpeelable += 1;
                    }
                    p
                };
                tags.insert(rel.display().to_string(), peeled);
            }
        }
        let found = tags
            .iter()
            .find(|(_, id)| id.as_deref() == Some(commit))
            .map(|(name, _)| name.clone());
        if found.is_none() && unpeelable > 0 {
            notes.push(format!(
                "{unpeelable} tag(s) point at objects in pack files, which are not read: a tag at this commit may be missed"
            ));
        }
        found
    }

    /// The commit an annotated tag object names, read from its loose object; `None` when
    /// the object is packed, missing or not a tag.
    fn peel_tag(&self, id: &str, depth: usize) -> Option<String> {
        if depth > MAX_REF_DEPTH || !is_object_id(id) {
            return None;
        }
        let path = self
            .common_dir
            .join("objects")
            .join(&id[..2])
            .join(&id[2..]);
        let file = std::fs::File::open(path).ok()?;
        // A tag object is small; the header and the first lines are enough.
        let mut buf = Vec::new();
        flate2::read::ZlibDecoder::new(file)
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .ok()?;
        let nul = buf.iter().position(|&b| b == 0)?;
        let header = std::str::from_utf8(&buf[..nul]).ok()?;
        if !header.starts_with("tag ") {
            return None;
        }
        let body = String::from_utf8_lossy(&buf[nul + 1..]);
        let mut object = None;
        let mut kind = None;
        for line in body.lines() {
            if line.is_empty() {
                break;
            }
            if let Some(o) = line.strip_prefix("object ") {
                object = Some(o.trim().to_ascii_lowercase());
            } else if let Some(t) = line.strip_prefix("type ") {
                kind = Some(t.trim().to_string());
            }
        }
        let object = object.filter(|o| is_object_id(o))?;
        match kind.as_deref() {
            Some("commit") => Some(object),
            Some("tag") => self.peel_tag(&object, depth + 1),
            _ => None,
        }
    }

    /// The repository's config entries (`config`, and `config.worktree` of a linked work
    /// tree). A file that cannot be parsed yields an entry that makes
    /// [`Repo::unsafe_to_run_git`] refuse (what is not understood is not trusted).
    fn config(&self, notes: &mut Vec<String>) -> Vec<ConfigEntry> {
        let mut entries = Vec::new();
        let mut files = vec![self.common_dir.join("config")];
        if self.git_dir != self.common_dir {
            files.push(self.git_dir.join("config.worktree"));
        }
        for f in files {
            match read_small(&f) {
                Ok(text) => match parse_config(&text) {
                    Ok(mut e) => entries.append(&mut e),
                    Err(why) => {
                        notes.push(format!("{} cannot be read: {why}", f.display()));
                        entries.push(ConfigEntry::unreadable(&f, &why));
                    }
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    let why = e.to_string();
                    notes.push(format!("{} cannot be read: {why}", f.display()));
                    entries.push(ConfigEntry::unreadable(&f, &why));
                }
            }
        }
        entries
    }

    /// Why running git here could run the repository's commands, if it could.
    fn unsafe_to_run_git(&self, config: &[ConfigEntry]) -> Option<String> {
        for e in config {
            let falsy = matches!(
                e.value.as_deref().map(str::to_ascii_lowercase).as_deref(),
                Some("false" | "no" | "off" | "0" | "")
            );
            match (e.section.as_str(), e.key.as_str()) {
                ("\0unreadable", _) => {
                    return Some(format!("its config {} could not be parsed", e.key));
                }
                ("filter", "clean" | "smudge" | "process") => {
                    return Some(format!(
                        "its config sets filter.{}.{}",
                        e.subsection.as_deref().unwrap_or(""),
                        e.key
                    ));
                }
                ("core", "fsmonitor") if !falsy => {
                    return Some("its config sets core.fsmonitor".into());
                }
                ("include" | "includeif", _) => {
                    return Some(format!(
                        "its config includes other config ({}.{})",
                        e.section, e.key
                    ));
                }
                _ => {}
            }
        }
        for f in [
            self.work_tree.join(".gitattributes"),
            self.common_dir.join("info").join("attributes"),
        ] {
            if let Ok(text) = read_small(&f)
                && attributes_set_filter(&text)
            {
                return Some(format!("{} assigns a filter", f.display()));
            }
        }
        None
    }

    /// `git status` with every repository-configurable execution path off: `Some(dirty)`,
    /// or `None` (with a note) when git is missing, refuses, fails or takes too long.
    fn status(&self, notes: &mut Vec<String>) -> Option<bool> {
        let out = self.git(
            &[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--ignore-submodules=all",
            ],
            "dirty state unknown",
            notes,
        )?;
        Some(!out.iter().all(u8::is_ascii_whitespace))
    }

    /// Runs git with `args` and every repository-configurable execution path off (the
    /// caller has checked the repository's config with [`Repo::unsafe_to_run_git`]);
    /// its stdout, or `None` with a note starting with `what` when git is missing,
    /// refuses, fails or takes too long.
    fn git(&self, args: &[&str], what: &str, notes: &mut Vec<String>) -> Option<Vec<u8>> {
        let mut cmd = Command::new("git");
        cmd.env_clear();
        // Only what git needs to be found and to speak plainly; no GIT_* from the caller
        // (GIT_DIR, GIT_CONFIG_PARAMETERS, … would change what runs).
        if let Some(p) = std::env::var_os("PATH") {
            cmd.env("PATH", p);
        }
        cmd.env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            // A partial clone would fetch missing objects from its promisor remote, which
            // runs transports the repository configures (core.sshCommand, uploadpack).
            .env("GIT_NO_LAZY_FETCH", "1")
            .env("LC_ALL", "C")
            .arg("--git-dir")
            .arg(&self.git_dir)
            .arg("--work-tree")
            .arg(&self.work_tree)
            .args([
                "--no-pager",
                "-c",
                "protocol.allow=never",
                "-c",
                "core.fsmonitor=false",
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "diff.external=",
                "--no-optional-locks",
            ])
            .args(args)
            .current_dir(&self.work_tree)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                notes.push(format!("{what}: cannot run git: {e}"));
                return None;
            }
        };
        // Read the pipes on threads, so a long output cannot fill a pipe and stall git.
        let out = child.stdout.take().map(|mut s| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = s.read_to_end(&mut v);
                v
            })
        });
        let err = child.stderr.take().map(|s| {
            std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = s.take(64 * 1024).read_to_end(&mut v);
                v
            })
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if started.elapsed() > GIT_STATUS_TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(_) => break None,
            }
        };
        let out = out.and_then(|h| h.join().ok()).unwrap_or_default();
        let err = err.and_then(|h| h.join().ok()).unwrap_or_default();
        match status {
            Some(s) if s.success() => Some(out),
            Some(s) => {
                let msg = String::from_utf8_lossy(&err);
                let msg = msg.lines().next().unwrap_or("").trim();
                notes.push(format!("{what}: git {} failed ({s}): {msg}", args[0]));
                None
            }
            None => {
                notes.push(format!(
                    "{what}: git {} did not finish in {} s and was stopped",
                    args[0],
                    GIT_STATUS_TIMEOUT.as_secs()
                ));
                None
            }
        }
    }
}

/// The files that differ between a commit and the work tree now.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Changes {
    /// `(status, path)`: `A` added, `M` modified, `D` deleted, `T` type changed, `U`
    /// untracked (new and not yet added); paths relative to the repository's top.
    pub files: Vec<(String, String)>,
    /// Why the list may be incomplete or absent.
    pub notes: Vec<String>,
    /// False when the changes could not be listed (no git history, the commit is not
    /// in the repository, or its config would run commands).
    pub known: bool,
    /// The scanned path relative to the repository's top (`""` at the top, else
    /// `sub/dir/`), to match the files with the scan's paths.
    pub prefix: String,
}

/// What changed in the repository holding `path` since `commit`: tracked files that
/// differ from it (committed since or not), and untracked files. git is run only as
/// for the dirty state (the repository's configured commands off, and not at all when
/// its config could run some).
pub fn changes_since(path: &Path, commit: &str) -> Result<Changes, TargetError> {
    let canonical = std::fs::canonicalize(path).map_err(|e| TargetError::Path {
        path: path.display().to_string(),
        why: e.to_string(),
    })?;
    let mut out = Changes::default();
    if !is_object_id(commit) {
        out.notes.push(format!("`{commit}` is not a commit id"));
        return Ok(out);
    }
    let start = if canonical.is_dir() {
        canonical.clone()
    } else {
        canonical
            .parent()
            .map_or_else(|| canonical.clone(), Path::to_path_buf)
    };
    let Some(repo) = find_repo(&start)? else {
        out.notes.push(format!(
            "{} is not in a git repository: the changes since the baseline cannot be listed",
            canonical.display()
        ));
        return Ok(out);
    };
    out.prefix = canonical
        .strip_prefix(&repo.work_tree)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .map_or_else(String::new, |p| format!("{p}/"));
    let config = repo.config(&mut out.notes);
    if let Some(why) = repo.unsafe_to_run_git(&config) {
        out.notes
            .push(format!("changes not listed: git was not run because {why}"));
        return Ok(out);
    }
    let what = "changes since the baseline unknown";
    let Some(tracked) = repo.git(
        &["diff", "--name-status", "--no-renames", "-z", commit, "--"],
        what,
        &mut out.notes,
    ) else {
        return Ok(out);
    };
    let mut fields = tracked.split(|b| *b == 0).filter(|f| !f.is_empty());
    while let (Some(status), Some(file)) = (fields.next(), fields.next()) {
        out.files.push((
            String::from_utf8_lossy(status).chars().take(1).collect(),
            String::from_utf8_lossy(file).into_owned(),
        ));
    }
    if let Some(untracked) = repo.git(
        &["ls-files", "--others", "--exclude-standard", "-z"],
        what,
        &mut out.notes,
    ) {
        for f in untracked.split(|b| *b == 0).filter(|f| !f.is_empty()) {
            out.files
                .push(("U".into(), String::from_utf8_lossy(f).into_owned()));
        }
    }
    out.files.sort_by(|a, b| a.1.cmp(&b.1));
    out.known = true;
    Ok(out)
}

/// Whether a gitattributes file assigns the `filter` attribute to any path (`filter=x`
/// or a bare `filter`): with a driver configured, git would run it.
fn attributes_set_filter(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| {
            l.split_whitespace()
                .skip(1)
                .any(|a| a == "filter" || a.starts_with("filter="))
        })
}

/// One `section.subsection.key = value` of a git config file. Section and key are
/// lowercase (git compares them case-insensitively); the subsection keeps its case.
#[derive(Debug, Clone)]
struct ConfigEntry {
    section: String,
    subsection: Option<String>,
    key: String,
    /// `None` for a bare key (boolean true).
    value: Option<String>,
}

impl ConfigEntry {
    /// A marker for a file that could not be read (see [`Repo::config`]).
    fn unreadable(file: &Path, why: &str) -> ConfigEntry {
        ConfigEntry {
            section: "\0unreadable".into(),
            subsection: None,
            key: file.display().to_string(),
            value: Some(why.to_string()),
        }
    }
}

/// Parses git's config syntax: `[section]`, `[section "sub"]`, `[section.sub]`, `key =
/// value` with quotes, escapes, `#`/`;` comments and `\` line continuations.
fn parse_config(text: &str) -> Result<Vec<ConfigEntry>, String> {
    let mut entries = Vec::new();
    let mut section: Option<(String, Option<String>)> = None;
    let mut lines = text.lines().enumerate();
    while let Some((n, raw)) = lines.next() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let mut rest = line;
        if rest.starts_with('[') {
            let end = rest
                .find(']')
                .ok_or_else(|| format!("line {}: a section header without ']'", n + 1))?;
            let header = &rest[1..end];
            section = Some(parse_section(header).ok_or_else(|| {
                format!("line {}: the section header [{header}] is malformed", n + 1)
            })?);
            rest = rest[end + 1..].trim_start();
            // A key may follow the header on the same line.
            if rest.is_empty() || rest.starts_with('#') || rest.starts_with(';') {
                continue;
            }
        }
        let Some((sec, sub)) = &section else {
            return Err(format!("line {}: a key before any section", n + 1));
        };
        let name_end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let key = rest[..name_end].to_ascii_lowercase();
        if key.is_empty() {
            return Err(format!("line {}: not a key", n + 1));
        }
        let after = rest[name_end..].trim_start();
        let value = if after.is_empty() || after.starts_with('#') || after.starts_with(';') {
            None
        } else if let Some(v) = after.strip_prefix('=') {
            // The value may continue on the next lines (a trailing backslash).
            let mut raw_value = v.to_string();
            while raw_value.ends_with('\\') && !raw_value.ends_with("\\\\") {
                raw_value.pop();
                match lines.next() {
                    Some((_, next)) => raw_value.push_str(next),
                    None => break,
                }
            }
            Some(parse_value(&raw_value).map_err(|why| format!("line {}: {why}", n + 1))?)
        } else {
            return Err(format!("line {}: expected `=` after {key}", n + 1));
        };
        entries.push(ConfigEntry {
            section: sec.clone(),
            subsection: sub.clone(),
            key,
            value,
        });
    }
    Ok(entries)
}

fn parse_section(header: &str) -> Option<(String, Option<String>)> {
    let header = header.trim();
    if let Some(q) = header.find('"') {
        let name = header[..q].trim().to_ascii_lowercase();
        let quoted = header[q + 1..].strip_suffix('"')?;
        let mut sub = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                sub.push(chars.next()?);
            } else {
                sub.push(c);
            }
        }
        Some((name, Some(sub)))
    } else if let Some((name, sub)) = header.split_once('.') {
        // The old `[section.sub]` form: the subsection is lowercased by git.
        Some((name.to_ascii_lowercase(), Some(sub.to_ascii_lowercase())))
    } else if header.is_empty() {
        None
    } else {
        Some((header.to_ascii_lowercase(), None))
    }
}

/// A config value: leading/trailing blanks dropped outside quotes, comments cut, quotes
/// removed, `\"` `\\` `\n` `\t` `\b` unescaped.
fn parse_value(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut in_quotes = false;
    // Blanks are kept only between other characters (pending until one comes).
    let mut pending_space = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push_str(&pending_space);
                pending_space.clear();
                in_quotes = !in_quotes;
            }
            '\\' => {
                out.push_str(&pending_space);
                pending_space.clear();
                match chars.next() {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('b') => {
                        out.pop();
                    }
                    Some(o) => return Err(format!("unknown escape \\{o}")),
                    None => {}
                }
            }
            '#' | ';' if !in_quotes => break,
            c if c.is_whitespace() && !in_quotes => {
                if !out.is_empty() {
                    pending_space.push(c);
                }
            }
            c => {
                out.push_str(&pending_space);
                pending_space.clear();
                out.push(c);
            }
        }
    }
    if in_quotes {
        return Err("an unclosed quote".into());
    }
    Ok(out)
}

/// The remote URL without credentials, query or fragment, a trailing `/` or `.git`:
///
/// - `https://user:token@host/o/r.git` and `https://token@host/o/r` → `https://host/o/r`
///   (in http(s) and ftp(s) URLs any userinfo is a credential);
/// - `ssh://git:pw@host/o/r` → `ssh://git@host/o/r` (the user stays, the password goes);
/// - `git@host:o/r.git` (scp-like, no password possible) → `git@host:o/r`.
pub fn clean_remote(url: &str) -> String {
    let url = url.trim();
    let cleaned = match url.find("://") {
        Some(i) => {
            let scheme = url[..i].to_ascii_lowercase();
            let rest = &url[i + 3..];
            let auth_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(auth_end);
            let host = match authority.rfind('@') {
                Some(at) => {
                    let userinfo = &authority[..at];
                    let hostport = &authority[at + 1..];
                    if matches!(scheme.as_str(), "http" | "https" | "ftp" | "ftps") {
                        hostport.to_string()
                    } else {
                        let user = userinfo.split(':').next().unwrap_or("");
                        if user.is_empty() {
                            hostport.to_string()
                        } else {
                            format!("{user}@{hostport}")
                        }
                    }
                }
                None => authority.to_string(),
            };
            // A query or fragment may carry a token (`?private_token=…`).
            let path = path.split(['?', '#']).next().unwrap_or("");
            format!("{}://{host}{path}", &url[..i])
        }
        None => url.to_string(),
    };
    let mut s = cleaned.trim_end_matches('/').to_string();
    if let Some(stripped) = s.strip_suffix(".git") {
        s = stripped.trim_end_matches('/').to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes() {
        assert_eq!(
            clean_remote("https://user:tok3n@github.com/o/r.git"),
            "https://github.com/o/r"
        );
        assert_eq!(
            clean_remote("https://ghp_abc@github.com/o/r/"),
            "https://github.com/o/r"
        );
        assert_eq!(
            clean_remote("https://h/o/r.git?private_token=x"),
            "https://h/o/r"
        );
        assert_eq!(
            clean_remote("ssh://git:pw@h:22/o/r.git"),
            "ssh://git@h:22/o/r"
        );
        assert_eq!(clean_remote("git@github.com:o/r.git"), "git@github.com:o/r");
        assert_eq!(clean_remote("/srv/repos/r.git/"), "/srv/repos/r");
    }

    #[test]
    fn config_syntax() {
        let text = "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = \"https://h/o/r\" # c\n[Filter \"X\"]\n\tClean = touch \\\n m\n[includeIf \"gitdir:/x/\"]\n path = /y\n[core]fsmonitor\n";
        let e = parse_config(text).unwrap_or_default();
        assert!(e.iter().any(|e| e.section == "remote"
            && e.subsection.as_deref() == Some("origin")
            && e.value.as_deref() == Some("https://h/o/r")));
        assert!(e.iter().any(|e| e.section == "filter"
            && e.subsection.as_deref() == Some("X")
            && e.key == "clean"
            && e.value.as_deref() == Some("touch  m")));
        assert!(e.iter().any(|e| e.section == "includeif"));
        assert!(
            e.iter()
                .any(|e| e.section == "core" && e.key == "fsmonitor" && e.value.is_none())
        );
        assert!(parse_config("[core\n").is_err());
        assert!(parse_config("k = v\n").is_err());
    }

    #[test]
    fn attributes() {
        assert!(attributes_set_filter("*.bin filter=lfs diff=lfs -text\n"));
        assert!(!attributes_set_filter("# filter=x\n*.rs text eol=lf\n"));
    }
}
