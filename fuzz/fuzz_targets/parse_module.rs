//! Any bytes, as any language: lowering, discovery, flow and rules must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use warden_scan::lang::Lang;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for (lang, path) in [(Lang::Python, "a.py"), (Lang::TypeScript, "a.ts"), (Lang::JavaScript, "a.js")] {
        let _ = warden_scan::lower::parse_module(path, lang, text);
    }
    // The whole pipeline on one file, through a temporary directory.
    if let Ok(dir) = tempdir() {
        let _ = std::fs::write(dir.join("server.ts"), text);
        let _ = std::fs::write(dir.join("server.py"), text);
        let _ = warden_scan::scan(&dir, &warden_scan::ScanOptions::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
});

fn tempdir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("warden-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
