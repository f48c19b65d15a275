//! insecure-transport: HTTP transports reachable by the wrong people.
pub mod no_origin_check;
pub mod unauthenticated_bind_all;

/// Words in a module that show an authentication layer in front of the transport.
pub(crate) fn has_auth(src: &str) -> bool {
    let l = src.to_ascii_lowercase();
    [
        "requirebearerauth",
        "bearerauth",
        "authmiddleware",
        "auth_middleware",
        "verifytoken",
        "verify_token",
        "token_verifier",
        "auth_server_provider",
        "passport.",
        "jwt.verify",
        "authorization",
        "oauth",
        "authprovider",
        "auth_provider",
        "api_key_header",
        "x-api-key",
    ]
    .iter()
    .any(|k| l.contains(k))
}

/// Whether a module validates the Host or Origin header (DNS-rebinding protection).
pub(crate) fn has_host_check(src: &str) -> bool {
    let l = src.to_ascii_lowercase();
    [
        "enablednsrebindingprotection: true",
        "enable_dns_rebinding_protection=true",
        "allowedhosts",
        "allowed_hosts",
        "allowedorigins",
        "allowed_origins",
        "trustedhostmiddleware",
        "headers.origin",
        "headers[\"origin\"]",
        "headers['origin']",
        "headers.host",
        "hostheadervalidation",
        "localhosthostvalidation",
        "dnsrebinding",
        "dns_rebinding_protection",
    ]
    .iter()
    .any(|k| l.contains(k))
        && !l.contains("enable_dns_rebinding_protection=false")
        && !l.contains("enablednsrebindingprotection: false")
}

/// Whether a module serves MCP over HTTP.
pub(crate) fn serves_http(src: &str) -> bool {
    [
        "StreamableHTTPServerTransport",
        "SSEServerTransport",
        "SseServerTransport",
        "StreamableHTTPSessionManager",
        "streamable-http",
        "streamable_http",
        "sse_app",
        "http_app",
        "run_http_async",
        "run_sse_async",
        "createMcpHandler",
        "transport=\"sse\"",
        "transport='sse'",
        "transport=\"http\"",
        "transport='http'",
    ]
    .iter()
    .any(|k| src.contains(k))
}
