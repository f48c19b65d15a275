//! Manifest and lockfile parsing on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let files: Vec<(String, String)> = ["package.json", "package-lock.json", "pyproject.toml", "uv.lock", "requirements.txt"]
        .iter()
        .map(|n| (n.to_string(), text.to_string()))
        .collect();
    let _ = warden_scan::manifest::collect(&files);
});
