//! Secret detection on arbitrary text, as source and as an MCP client config.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = warden_scan::secrets::scan_text("a.ts", text);
    let _ = warden_scan::secrets::scan_text(".mcp.json", text);
});
