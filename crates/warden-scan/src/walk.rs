//! Finds the files to scan and gives each a role. Honors `.gitignore` (also outside
//! a git checkout), never follows symbolic links, and reports what it skipped.

use crate::lang::Lang;
use std::path::{Path, PathBuf};

/// What a path is for. Only `Shipped` is graded by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Shipped,
    Test,
    Example,
    Docs,
    Vendored,
}

impl Role {
    /// The role of a `/`-separated path relative to the scanned root.
    pub fn of(rel: &str) -> Role {
        let lower = rel.to_ascii_lowercase();
        let segs: Vec<&str> = lower.split('/').collect();
        let dirs = &segs[..segs.len().saturating_sub(1)];
        let file = segs.last().copied().unwrap_or("");
        let any_dir = |names: &[&str]| dirs.iter().any(|d| names.contains(d));
        if any_dir(&[
            "node_modules",
            "vendor",
            "vendored",
            "third_party",
            "third-party",
            "site-packages",
            ".venv",
            "venv",
            "dist",
            "build",
            "out",
            "__generated__",
            "generated",
            ".next",
        ]) || file.ends_with(".min.js")
            || file.ends_with(".bundle.js")
            || file.ends_with(".d.ts")
        {
            return Role::Vendored;
        }
        if any_dir(&[
            "test",
            "tests",
            "__tests__",
            "spec",
            "specs",
            "fixtures",
            "__fixtures__",
            "testdata",
            "test_data",
            "e2e",
            "__mocks__",
            "mocks",
        ]) || file.contains(".test.")
            || file.contains(".spec.")
            || file.starts_with("test_")
            || file.ends_with("_test.py")
            || file == "conftest.py"
        {
            return Role::Test;
        }
        if any_dir(&[
            "example",
            "examples",
            "demo",
            "demos",
            "sample",
            "samples",
            "playground",
            "tutorial",
            "tutorials",
        ]) {
            return Role::Example;
        }
        if any_dir(&["docs", "doc", "documentation", "site"]) {
            return Role::Docs;
        }
        Role::Shipped
    }
}

/// What the scanner does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Parsed and analysed.
    Source(Lang),
    /// Dependency manifest or lockfile.
    Manifest,
    /// Other text read for credentials only (configs, `.env`).
    Text,
}

/// A file to scan.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Relative to the root, `/`-separated.
    pub rel: String,
    pub abs: PathBuf,
    pub role: Role,
    pub kind: Kind,
}

/// A file or directory that was passed over, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Files larger than this are skipped and reported (generated bundles, data dumps).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

const TEXT_EXTENSIONS: &[&str] = &[
    "json",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "properties",
    "env",
    "sh",
    "tf",
    "xml",
];

fn kind_of(rel: &str) -> Option<Kind> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if crate::manifest::is_manifest_or_lock(name) {
        return Some(Kind::Manifest);
    }
    if let Some(lang) = Lang::from_path(name) {
        return Some(Kind::Source(lang));
    }
    if name.starts_with(".env") || crate::secrets::is_client_config(rel) {
        return Some(Kind::Text);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    TEXT_EXTENSIONS
        .contains(&ext.as_str())
        .then_some(Kind::Text)
}

/// The directory walk every reader of a server's tree uses: honours `.gitignore` (also
/// outside a git checkout), reads hidden files (`.env`), never follows links, and skips
/// version-control, dependency and build directories.
pub fn walker(root: &Path) -> ignore::Walk {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            let n = e.file_name().to_string_lossy();
            !(e.file_type().is_some_and(|t| t.is_dir())
                && matches!(
                    n.as_ref(),
                    ".git"
                        | "node_modules"
                        | ".venv"
                        | "venv"
                        | "__pycache__"
                        | ".mypy_cache"
                        | ".pytest_cache"
                        | ".tox"
                        | "target"
                        | ".hg"
                        | ".svn"
                ))
        })
        .build()
}

/// `path` relative to `root`, `/`-separated (empty for the root itself).
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Walks `root` (a directory or a single file).
pub fn walk(root: &Path) -> (Vec<Entry>, Vec<Skipped>) {
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    if root.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match kind_of(&name) {
            Some(kind) => entries.push(Entry {
                rel: name.clone(),
                abs: root.to_path_buf(),
                role: Role::Shipped,
                kind,
            }),
            None => skipped.push(Skipped {
                path: name,
                reason: "not a file type the scanner reads".into(),
            }),
        }
        return (entries, skipped);
    }
    let walker = walker(root);
    for result in walker {
        let entry = match result {
            Ok(e) => e,
            Err(err) => {
                skipped.push(Skipped {
                    path: String::new(),
                    reason: format!("could not read: {err}"),
                });
                continue;
            }
        };
        let path = entry.path();
        let rel = relative(root, path);
        if rel.is_empty() {
            continue;
        }
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_symlink() {
            if kind_of(&rel).is_some() {
                skipped.push(Skipped {
                    path: rel,
                    reason: "symbolic link not followed".into(),
                });
            }
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let Some(kind) = kind_of(&rel) else { continue };
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES {
            skipped.push(Skipped {
                path: rel,
                reason: format!(
                    "larger than {} MiB ({} bytes)",
                    MAX_FILE_BYTES / (1024 * 1024),
                    size
                ),
            });
            continue;
        }
        entries.push(Entry {
            role: Role::of(&rel),
            rel,
            abs: path.to_path_buf(),
            kind,
        });
    }
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    (entries, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(Role::of("src/server.ts"), Role::Shipped);
        assert_eq!(Role::of("tests/test_server.py"), Role::Test);
        assert_eq!(Role::of("src/server.test.ts"), Role::Test);
        assert_eq!(Role::of("examples/demo.py"), Role::Example);
        assert_eq!(Role::of("node_modules/x/index.js"), Role::Vendored);
        assert_eq!(Role::of("docs/guide.py"), Role::Docs);
    }
}
