//! Dependency manifests and lockfiles: what the Maintenance axis judges.

use std::collections::HashMap;

/// One declared dependency.
#[derive(Debug, Clone)]
pub struct Dependency {
    pub name: String,
    /// The version requirement as written (`^1.2.0`, `>=2`, `==1.0`, `*`).
    pub requirement: String,
    /// 1-based line in the manifest.
    pub line: u32,
}

/// A dependency manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// Path relative to the scanned root.
    pub path: String,
    /// `npm` or `python`.
    pub ecosystem: &'static str,
    pub dependencies: Vec<Dependency>,
    /// The lockfile that covers it, if any (same folder or an ancestor).
    pub lockfile: Option<String>,
    /// Versions resolved by the lockfile, by package name, with the lockfile line of
    /// the package's entry.
    pub locked: HashMap<String, (String, u32)>,
}

/// Every manifest in the repository.
#[derive(Debug, Default)]
pub struct Manifests {
    pub manifests: Vec<Manifest>,
}

const NPM_LOCKS: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
];
const PY_LOCKS: &[&str] = &[
    "uv.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "pylock.toml",
];

/// Whether a file name is a manifest or lockfile the scanner reads.
pub fn is_manifest_or_lock(name: &str) -> bool {
    name == "package.json"
        || name == "pyproject.toml"
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        || NPM_LOCKS.contains(&name)
        || PY_LOCKS.contains(&name)
}

/// Builds the manifest list from `(path, text)` pairs of manifests and lockfiles.
pub fn collect(files: &[(String, String)]) -> Manifests {
    let by_path: HashMap<&str, &str> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let find_lock = |dir: &str, names: &[&str]| -> Option<String> {
        let mut d = dir.to_string();
        loop {
            for n in names {
                let cand = if d.is_empty() {
                    n.to_string()
                } else {
                    format!("{d}/{n}")
                };
                if by_path.contains_key(cand.as_str()) {
                    return Some(cand);
                }
            }
            if d.is_empty() {
                return None;
            }
            d = d
                .rsplit_once('/')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default();
        }
    };
    let mut out = Manifests::default();
    for (path, text) in files {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let manifest = match name {
            "package.json" => {
                let deps = package_json_deps(text);
                let lockfile = find_lock(dir, NPM_LOCKS);
                let locked = lockfile
                    .as_deref()
                    .filter(|l| l.ends_with("package-lock.json"))
                    .and_then(|l| by_path.get(l))
                    .map(|t| package_lock_versions(t))
                    .unwrap_or_default();
                Manifest {
                    path: path.clone(),
                    ecosystem: "npm",
                    dependencies: deps,
                    lockfile,
                    locked,
                }
            }
            "pyproject.toml" => {
                let lockfile = find_lock(dir, PY_LOCKS);
                let locked = lockfile
                    .as_deref()
                    .filter(|l| l.ends_with("uv.lock") || l.ends_with("poetry.lock"))
                    .and_then(|l| by_path.get(l))
                    .map(|t| toml_lock_versions(t))
                    .unwrap_or_default();
                Manifest {
                    path: path.clone(),
                    ecosystem: "python",
                    dependencies: pyproject_deps(text),
                    lockfile,
                    locked,
                }
            }
            n if n.starts_with("requirements") && n.ends_with(".txt") => {
                let deps = requirements_deps(text);
                // A fully pinned requirements file is itself a lock.
                let pinned =
                    !deps.is_empty() && deps.iter().all(|d| d.requirement.starts_with("=="));
                let lockfile = if pinned {
                    Some(path.clone())
                } else {
                    find_lock(dir, PY_LOCKS)
                };
                Manifest {
                    path: path.clone(),
                    ecosystem: "python",
                    dependencies: deps,
                    lockfile,
                    locked: HashMap::new(),
                }
            }
            _ => continue,
        };
        out.manifests.push(manifest);
    }
    out
}

fn line_of(text: &str, needle: &str) -> u32 {
    text.find(needle)
        .map(|i| text[..i].matches('\n').count() as u32 + 1)
        .unwrap_or(1)
}

fn package_json_deps(text: &str) -> Vec<Dependency> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        let Some(obj) = v.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        let sec_start = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, req) in obj {
            let req = req.as_str().unwrap_or("").to_string();
            let needle = format!("\"{name}\"");
            let line = text[sec_start..]
                .find(&needle)
                .map(|i| text[..sec_start + i].matches('\n').count() as u32 + 1)
                .unwrap_or_else(|| line_of(text, &needle));
            out.push(Dependency {
                name: name.clone(),
                requirement: req,
                line,
            });
        }
    }
    out.sort_by_key(|d| d.line);
    out
}

fn package_lock_versions(text: &str) -> HashMap<String, (String, u32)> {
    let mut out = HashMap::new();
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return out;
    };
    if let Some(pkgs) = v.get("packages").and_then(|p| p.as_object()) {
        for (k, meta) in pkgs {
            // Only direct dependencies (`node_modules/x`), not nested copies.
            if let (Some(name), Some(ver)) = (
                k.strip_prefix("node_modules/"),
                meta.get("version").and_then(|x| x.as_str()),
            ) && !name.contains("node_modules/")
            {
                let line = line_of(text, &format!("\"{k}\""));
                out.entry(name.to_string())
                    .or_insert_with(|| (ver.to_string(), line));
            }
        }
    }
    if let Some(deps) = v.get("dependencies").and_then(|p| p.as_object()) {
        for (k, meta) in deps {
            if let Some(ver) = meta.get("version").and_then(|x| x.as_str()) {
                let line = line_of(text, &format!("\"{k}\""));
                out.entry(k.clone())
                    .or_insert_with(|| (ver.to_string(), line));
            }
        }
    }
    out
}

/// `[[package]] name = "x" version = "1.2.3"` blocks of uv.lock and poetry.lock.
fn toml_lock_versions(text: &str) -> HashMap<String, (String, u32)> {
    let mut out = HashMap::new();
    let mut name: Option<(String, u32)> = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l == "[[package]]" {
            name = None;
        } else if let Some(v) = l.strip_prefix("name = ") {
            name = Some((v.trim_matches('"').to_string(), i as u32 + 1));
        } else if let Some(v) = l.strip_prefix("version = ")
            && let Some((n, at)) = name.take()
        {
            out.insert(n, (v.trim_matches('"').to_string(), at));
        }
    }
    out
}

/// Splits a PEP 508 requirement into name and version specifier.
fn split_requirement(req: &str) -> Option<(String, String)> {
    let req = req.split(';').next()?.trim();
    if req.is_empty() || req.starts_with('#') || req.starts_with('-') {
        return None;
    }
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(req.len());
    let name = req[..end].to_string();
    let mut rest = req[end..].trim();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map(|(_, r)| r.trim()).unwrap_or("");
    }
    if name.is_empty() {
        return None;
    }
    Some((
        name,
        rest.trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .to_string(),
    ))
}

fn requirements_deps(text: &str) -> Vec<Dependency> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l
                .split(" #")
                .next()
                .unwrap_or(l)
                .split("--hash")
                .next()
                .unwrap_or(l)
                .trim()
                .trim_end_matches('\\')
                .trim();
            let (name, requirement) = split_requirement(l)?;
            Some(Dependency {
                name,
                requirement,
                line: i as u32 + 1,
            })
        })
        .collect()
}

/// PEP 621 `dependencies = [...]` and `[tool.poetry.dependencies]` entries.
fn pyproject_deps(text: &str) -> Vec<Dependency> {
    let mut out = Vec::new();
    let mut in_array = false;
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') && !in_array {
            section = line.to_string();
            continue;
        }
        let line_no = i as u32 + 1;
        if section == "[project]" && (line.starts_with("dependencies") && line.contains('[')) {
            in_array = !line.contains(']');
            let inner = line.split_once('[').map(|(_, r)| r).unwrap_or("");
            for item in inner.trim_end_matches(']').split(',') {
                if let Some((name, requirement)) =
                    split_requirement(item.trim().trim_matches(['"', '\'']))
                {
                    out.push(Dependency {
                        name,
                        requirement,
                        line: line_no,
                    });
                }
            }
            continue;
        }
        if in_array {
            if line.starts_with(']') {
                in_array = false;
                continue;
            }
            for item in line.trim_end_matches(',').split("\",") {
                if let Some((name, requirement)) =
                    split_requirement(item.trim().trim_matches([',', '"', '\'']))
                {
                    out.push(Dependency {
                        name,
                        requirement,
                        line: line_no,
                    });
                }
            }
            continue;
        }
        if section == "[tool.poetry.dependencies]"
            && let Some((k, v)) = line.split_once('=')
        {
            let name = k.trim().to_string();
            if name != "python" && !name.is_empty() {
                let v = v.trim();
                let req = if v.starts_with('{') {
                    v.split("version")
                        .nth(1)
                        .and_then(|r| r.split('"').nth(1))
                        .unwrap_or("")
                        .to_string()
                } else {
                    v.trim_matches('"').to_string()
                };
                out.push(Dependency {
                    name,
                    requirement: req,
                    line: line_no,
                });
            }
        }
    }
    out
}

/// A parsed `major.minor.patch` (missing parts are 0).
pub fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let v = v
        .trim()
        .trim_start_matches(['^', '~', '=', '>', '<', 'v', ' ']);
    let core = v
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = it.next()??;
    let minor = it.next().flatten().unwrap_or(0);
    let patch = it.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// The lowest version a requirement allows, when it has a lower bound.
pub fn minimum_version(req: &str) -> Option<(u64, u64, u64)> {
    req.split(',')
        .map(str::trim)
        .filter(|r| !r.starts_with('<') && !r.starts_with("!="))
        .find_map(parse_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(parse_version("^1.24.0"), Some((1, 24, 0)));
        assert_eq!(minimum_version(">=1.2,<2"), Some((1, 2, 0)));
        assert_eq!(minimum_version("<2"), None);
        assert_eq!(
            split_requirement("mcp[cli]>=1.9.0").map(|x| x.1),
            Some(">=1.9.0".into())
        );
    }

    #[test]
    fn pyproject_array() {
        let t = "[project]\nname = \"x\"\ndependencies = [\n  \"mcp>=1.2.0\",\n  \"httpx\",\n]\n";
        let d = pyproject_deps(t);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].name, "mcp");
        assert_eq!(d[0].line, 4);
    }
}
