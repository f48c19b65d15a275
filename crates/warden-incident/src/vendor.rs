//! Which vendor a credential belongs to, from its name and (when known) its value, and
//! how that vendor's credentials are rotated: a new credential first, then the old one
//! revoked, so the service never runs without one.

use serde::Serialize;

/// A credential's vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    PostgreSQL,
    MySQL,
    MongoDB,
    Redis,
    /// A database URL whose engine the code does not tell.
    Database,
    Stripe,
    GitHub,
    Aws,
    Anthropic,
    OpenAI,
    Slack,
    Google,
    /// Anything else that is credential-shaped.
    Other,
}

impl Vendor {
    /// Databases come first in a rotation plan: they hold the data.
    pub fn is_database(self) -> bool {
        matches!(
            self,
            Vendor::PostgreSQL | Vendor::MySQL | Vendor::MongoDB | Vendor::Redis | Vendor::Database
        )
    }

    /// The vendor's name for people.
    pub fn label(self) -> &'static str {
        match self {
            Vendor::PostgreSQL => "PostgreSQL",
            Vendor::MySQL => "MySQL",
            Vendor::MongoDB => "MongoDB",
            Vendor::Redis => "Redis",
            Vendor::Database => "database (engine not visible from code)",
            Vendor::Stripe => "Stripe",
            Vendor::GitHub => "GitHub",
            Vendor::Aws => "AWS",
            Vendor::Anthropic => "Anthropic",
            Vendor::OpenAI => "OpenAI",
            Vendor::Slack => "Slack",
            Vendor::Google => "Google",
            Vendor::Other => "other",
        }
    }

    /// The rotate-then-revoke procedure.
    pub fn rotation(self) -> &'static str {
        match self {
            Vendor::PostgreSQL => {
                "Create a new login role with the old role's memberships and privileges; update the secret store; ALTER ROLE old NOLOGIN; end its sessions (pg_terminate_backend); REASSIGN OWNED BY old TO new; DROP OWNED BY old; DROP ROLE old. `warden incident rotate --execute` does this."
            }
            Vendor::MySQL => {
                "CREATE USER new with the grants of the old one (SHOW GRANTS); update the secret store; ALTER USER old ACCOUNT LOCK; KILL its connections (information_schema.PROCESSLIST); DROP USER old."
            }
            Vendor::MongoDB => {
                "db.createUser() a new user with the old one's roles; update the secret store; db.revokeRolesFromUser() / db.dropUser() the old one; check db.currentOp() for its sessions."
            }
            Vendor::Redis => {
                "ACL SETUSER a new user with the old one's rules (ACL GETUSER); update the secret store; ACL SETUSER old off, then ACL DELUSER old; CLIENT KILL USER old. With requirepass only: set the new password in both places, then restart clients."
            }
            Vendor::Database => {
                "Find the engine from the deployment, then: a new login with the same privileges, the secret store updated, the old login disabled, its sessions ended, the old login dropped."
            }
            Vendor::Stripe => {
                "Dashboard → Developers → API keys → Roll key (give the old key a short expiry); update the secret store; check that the old key has expired; review the API request log for the exposure window."
            }
            Vendor::GitHub => {
                "Create a new fine-grained token (or GitHub App key) with the same repository access and permissions; update the secret store; delete the old token (Settings → Developer settings); review the organisation audit log."
            }
            Vendor::Aws => {
                "aws iam create-access-key for the same user (or role); update the secret store; aws iam update-access-key --status Inactive on the old key; after a quiet period, aws iam delete-access-key; review CloudTrail for the old key id."
            }
            Vendor::Anthropic => {
                "Console → API keys: create a new key in the same workspace; update the secret store; disable, then delete the old key; review usage for the exposure window."
            }
            Vendor::OpenAI => {
                "Platform → API keys: create a new key with the same project and permissions; update the secret store; revoke the old key; review usage for the exposure window."
            }
            Vendor::Slack => {
                "Regenerate the token in the app's settings (or rotate with token rotation); update the secret store; revoke the old token (auth.revoke); review the workspace access logs."
            }
            Vendor::Google => {
                "Create a new API key or service-account key with the same restrictions; update the secret store; delete the old key (gcloud iam service-accounts keys delete); review Cloud Audit Logs."
            }
            Vendor::Other => {
                "Issue a new credential at its provider with the same scope; update the secret store; revoke the old one; confirm nothing still uses it."
            }
        }
    }
}

/// The words of an environment variable name (`STRIPE_SECRET_KEY` → STRIPE, SECRET, KEY;
/// `apiKey` → API, KEY).
pub fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

const CREDENTIAL_WORDS: &[&str] = &[
    "KEY",
    "APIKEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PWD",
    "PASS",
    "CREDENTIAL",
    "CREDENTIALS",
    "DSN",
    "PAT",
];

/// Words that make a credential-sounding name a setting about credentials.
const SETTING_WORDS: &[&str] = &[
    "LIMIT",
    "LIMITS",
    "MAX",
    "MIN",
    "COUNT",
    "SIZE",
    "LENGTH",
    "LEN",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "PREFIX",
    "HEADER",
    "NAME",
    "FIELD",
    "TYPE",
    "ALGORITHM",
    "ALG",
    "TOKENS",
];

/// Words before `KEY` that make it an identifier of something, not a secret.
const NAMING_KEY_WORDS: &[&str] = &[
    "FILE",
    "CACHE",
    "PRIMARY",
    "SORT",
    "PARTITION",
    "IDEMPOTENCY",
    "ROUTING",
    "OBJECT",
    "BUCKET",
    "STORAGE",
    "LOOKUP",
    "MAP",
    "ROW",
];

const DATABASE_WORDS: &[&str] = &[
    "DATABASE",
    "DB",
    "POSTGRES",
    "POSTGRESQL",
    "PG",
    "MYSQL",
    "MARIADB",
    "MONGO",
    "MONGODB",
    "REDIS",
];

/// Whether an environment variable name is a credential's: it says key, token, secret,
/// password, ... (as a word, so MONKEY is not one), or it is a database URL/connection
/// string (which carries the password).
pub fn is_credential_name(name: &str) -> bool {
    let w = words(name);
    let has = |list: &[&str]| w.iter().any(|x| list.contains(&x.as_str()));
    if has(CREDENTIAL_WORDS) {
        // Public keys are not secrets; `AWS_ACCESS_KEY_ID` is half of one and is kept.
        // Settings about credentials are not credentials either: `MAX_TOKENS`,
        // `RESPONSE_TOKEN_LIMIT`, `JWT_EXPIRY`, `API_KEY_HEADER`; nor are keys that name
        // things: `FIGMA_FILE_KEY`, `CACHE_KEY`, `IDEMPOTENCY_KEY`.
        let public = w.iter().any(|x| x == "PUBLIC" || x == "PUBLISHABLE");
        let setting = has(SETTING_WORDS);
        let naming = w
            .windows(2)
            .any(|p| p[1] == "KEY" && NAMING_KEY_WORDS.contains(&p[0].as_str()));
        return !public && !setting && !naming;
    }
    let connection = w
        .iter()
        .any(|x| matches!(x.as_str(), "URL" | "URI" | "CONNECTION" | "CONN" | "DSN"));
    (connection && has(DATABASE_WORDS)) || name == "PGPASSWORD"
}

/// The vendor a name and an optional value point to.
pub fn classify(name: &str, value: Option<&str>) -> Vendor {
    if let Some(v) = value {
        let v = v.trim();
        let by_value = [
            ("postgres://", Vendor::PostgreSQL),
            ("postgresql://", Vendor::PostgreSQL),
            ("mysql://", Vendor::MySQL),
            ("mariadb://", Vendor::MySQL),
            ("mongodb://", Vendor::MongoDB),
            ("mongodb+srv://", Vendor::MongoDB),
            ("redis://", Vendor::Redis),
            ("rediss://", Vendor::Redis),
            ("sk_live_", Vendor::Stripe),
            ("sk_test_", Vendor::Stripe),
            ("rk_live_", Vendor::Stripe),
            ("ghp_", Vendor::GitHub),
            ("gho_", Vendor::GitHub),
            ("ghs_", Vendor::GitHub),
            ("github_pat_", Vendor::GitHub),
            ("AKIA", Vendor::Aws),
            ("ASIA", Vendor::Aws),
            ("sk-ant-", Vendor::Anthropic),
            ("xoxb-", Vendor::Slack),
            ("xoxp-", Vendor::Slack),
            ("AIza", Vendor::Google),
        ];
        if let Some((_, vendor)) = by_value.iter().find(|(p, _)| v.starts_with(p)) {
            return *vendor;
        }
        if v.starts_with("sk-") && !v.starts_with("sk-ant-") {
            return Vendor::OpenAI;
        }
    }
    let w = words(name);
    let has = |x: &str| w.iter().any(|y| y == x);
    if has("PG") || has("POSTGRES") || has("POSTGRESQL") || name.starts_with("PG") {
        Vendor::PostgreSQL
    } else if has("MYSQL") || has("MARIADB") {
        Vendor::MySQL
    } else if has("MONGO") || has("MONGODB") {
        Vendor::MongoDB
    } else if has("REDIS") {
        Vendor::Redis
    } else if has("DATABASE") || has("DB") {
        Vendor::Database
    } else if has("STRIPE") {
        Vendor::Stripe
    } else if has("GITHUB") || has("GH") {
        Vendor::GitHub
    } else if has("AWS") {
        Vendor::Aws
    } else if has("ANTHROPIC") || has("CLAUDE") {
        Vendor::Anthropic
    } else if has("OPENAI") {
        Vendor::OpenAI
    } else if has("SLACK") {
        Vendor::Slack
    } else if has("GOOGLE") || has("GCP") || has("GEMINI") || has("FIREBASE") {
        Vendor::Google
    } else {
        Vendor::Other
    }
}

/// The vendor of a credential the secret scanner found by its format.
pub fn of_secret_kind(kind: &str) -> Vendor {
    let k = kind.to_ascii_lowercase();
    if k.contains("postgres") {
        Vendor::PostgreSQL
    } else if k.contains("mysql") {
        Vendor::MySQL
    } else if k.contains("mongo") {
        Vendor::MongoDB
    } else if k.contains("redis") {
        Vendor::Redis
    } else if k.contains("database") {
        Vendor::Database
    } else if k.contains("stripe") {
        Vendor::Stripe
    } else if k.contains("github") {
        Vendor::GitHub
    } else if k.contains("aws") {
        Vendor::Aws
    } else if k.contains("anthropic") {
        Vendor::Anthropic
    } else if k.contains("openai") {
        Vendor::OpenAI
    } else if k.contains("slack") {
        Vendor::Slack
    } else if k.contains("google") || k.contains("gcp") {
        Vendor::Google
    } else {
        Vendor::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_into_words() {
        assert_eq!(words("STRIPE_SECRET_KEY"), ["STRIPE", "SECRET", "KEY"]);
        assert_eq!(words("openaiApiKey"), ["OPENAI", "API", "KEY"]);
        assert_eq!(words("NEO4J_PASSWORD"), ["NEO4J", "PASSWORD"]);
    }

    #[test]
    fn credential_names() {
        for yes in [
            "STRIPE_SECRET_KEY",
            "GITHUB_TOKEN",
            "DATABASE_URL",
            "PGPASSWORD",
            "AWS_ACCESS_KEY_ID",
            "MONGO_URI",
            "slackBotToken",
            "GRAFANA_SERVICE_ACCOUNT_TOKEN",
            "GRAFANA_SERVICE_ACCOUNT_TOKEN_FILE",
            "NEO4J_PASSWORD",
            "JWT_SECRET",
        ] {
            assert!(is_credential_name(yes), "{yes}");
        }
        for no in [
            "LOG_LEVEL",
            "PORT",
            "MONKEY_MODE",
            "STRIPE_PUBLISHABLE_KEY",
            "API_URL",
        ] {
            assert!(!is_credential_name(no), "{no}");
        }
    }

    #[test]
    fn vendors_from_names_and_values() {
        assert_eq!(classify("DATABASE_URL", None), Vendor::Database);
        assert_eq!(
            classify("DATABASE_URL", Some("postgres://app@db/shop")),
            Vendor::PostgreSQL
        );
        assert_eq!(classify("STRIPE_SECRET_KEY", None), Vendor::Stripe);
        assert_eq!(
            classify("API_KEY", Some("sk-ant-api03-x")),
            Vendor::Anthropic
        );
        assert_eq!(classify("API_KEY", Some("sk-proj-x")), Vendor::OpenAI);
        assert_eq!(classify("PGPASSWORD", None), Vendor::PostgreSQL);
        assert_eq!(classify("SENTRY_AUTH_TOKEN", None), Vendor::Other);
    }
}
