//! `warden inventory` on a small server written by the test: credentials read in code
//! (TypeScript and Python), set in env files and a client config, and hard-coded; values
//! never printed, databases first, vendors and scopes right.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn warden() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("warden"))
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn inventory_finds_every_credential_and_prints_no_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("server");
    // Secret-shaped values are assembled here, not committed.
    let aws_key = format!("AKIA{}", "Q3EGRT5T2V7WXY9Z");
    let slack = format!(
        "xoxb-{}-{}-{}",
        "2401234567", "2398765432101", "Zx9Qw8Er7Ty6Ui5Op4As3Df2"
    );
    let github = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5");
    let db_password = "s3cret-Pw-for-tests";
    write(
        &root,
        "package.json",
        r#"{"dependencies": {"pg": "^8", "stripe": "^14"}}"#,
    );
    write(
        &root,
        "src/index.ts",
        "import { Pool } from \"pg\";\n\
         const pool = new Pool({ connectionString: process.env.DATABASE_URL });\n\
         const stripe = new Stripe(process.env[\"STRIPE_SECRET_KEY\"]);\n\
         const { GITHUB_TOKEN, LOG_LEVEL = \"info\" } = process.env;\n\
         const port = process.env.PORT;\n",
    );
    write(
        &root,
        "src/llm.py",
        "import os\nclient = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])\nclaude = os.getenv(\"ANTHROPIC_API_KEY\")\n",
    );
    write(
        &root,
        "src/aws.ts",
        &format!("const accessKeyId = \"{aws_key}\";\n"),
    );
    write(
        &root,
        "tests/setup.ts",
        "const t = process.env.TEST_ONLY_TOKEN;\n",
    );
    write(
        &root,
        ".env.example",
        "STRIPE_SECRET_KEY=your-stripe-key\nDATABASE_URL=\nPORT=3000\n",
    );
    write(
        &root,
        "claude_desktop_config.json",
        &format!(
            r#"{{"mcpServers": {{"shop": {{"command": "node", "env": {{"SLACK_BOT_TOKEN": "{slack}"}}}}}}}}"#
        ),
    );
    let prod = dir.path().join("prod.env");
    std::fs::write(
        &prod,
        format!(
            "DATABASE_URL=postgres://shop_app:{db_password}@db.internal:5432/shop\nGITHUB_TOKEN={github}\n"
        ),
    )
    .expect("env file");

    let out = warden()
        .args(["inventory", "--format", "json", "--env-file"])
        .arg(&prod)
        .arg(&root)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for secret in [
        aws_key.as_str(),
        slack.as_str(),
        github.as_str(),
        db_password,
    ] {
        assert!(!text.contains(secret), "a value was printed: {secret}");
    }
    let inv: Value = serde_json::from_str(&text).expect("json");
    let creds = inv["credentials"].as_array().expect("credentials");
    let by_name = |n: &str| creds.iter().find(|c| c["name"] == n);
    let names: Vec<&str> = creds.iter().filter_map(|c| c["name"].as_str()).collect();
    for expected in [
        "DATABASE_URL",
        "STRIPE_SECRET_KEY",
        "GITHUB_TOKEN",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "SLACK_BOT_TOKEN",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for absent in ["LOG_LEVEL", "PORT", "TEST_ONLY_TOKEN"] {
        assert!(
            !names.contains(&absent),
            "{absent} is not a credential: {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("hard-coded") && n.contains("AWS")),
        "{names:?}"
    );
    // Databases first; the engine from the driver in use and the env file's URL.
    assert_eq!(creds[0]["name"], "DATABASE_URL");
    let db = by_name("DATABASE_URL").expect("db");
    assert_eq!(db["vendor"], "postgresql");
    let scope = db["scope"].as_str().expect("scope");
    assert!(
        scope.contains("login `shop_app` on `db.internal:5432`, database `shop`"),
        "{scope}"
    );
    assert_eq!(db["fingerprints"].as_array().map(Vec::len), Some(1));
    let places: Vec<&str> = db["found_in"]
        .as_array()
        .expect("places")
        .iter()
        .filter_map(|p| p["how"].as_str())
        .collect();
    assert!(places.contains(&"read in code") && places.contains(&"set in an env file"));
    // The placeholder in .env.example gives no fingerprint.
    let stripe = by_name("STRIPE_SECRET_KEY").expect("stripe");
    assert_eq!(stripe["vendor"], "stripe");
    assert_eq!(stripe["fingerprints"], serde_json::json!([]));
    assert_eq!(by_name("GITHUB_TOKEN").expect("gh")["vendor"], "github");
    assert!(
        by_name("GITHUB_TOKEN").expect("gh")["scope"]
            .as_str()
            .unwrap_or("")
            .contains("classic personal access token")
    );
    assert_eq!(
        by_name("SLACK_BOT_TOKEN").expect("slack")["vendor"],
        "slack"
    );
    assert_eq!(by_name("OPENAI_API_KEY").expect("oa")["vendor"], "openai");

    // Markdown, for people.
    let md = warden().arg("inventory").arg(&root).output().expect("run");
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("| 1 | `DATABASE_URL` | PostgreSQL |"), "{md}");
    assert!(md.contains("## Rotation procedures"), "{md}");

    // A path that is not there is an error that names it.
    let missing = warden()
        .args(["inventory", "/no/such/server"])
        .output()
        .expect("run");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/server"));
}
