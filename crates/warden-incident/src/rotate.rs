//! Phase 3, rotate (`warden incident rotate`): the ordered rotation plan made from the
//! credential inventory — database credentials first (they hold the data), then every
//! third-party key, and nothing that is not in the inventory. Each step carries the
//! vendor's rotate-then-revoke procedure; PostgreSQL steps are marked executable (see
//! [`crate::pg`], which does it for real), every other vendor gets a checklist. When the
//! credentials were exposed for more than 30 minutes the plan says to notify the vendors:
//! by then a leaked key may already have been used, and most vendors' abuse teams can see
//! (and sometimes stop) what the owner cannot.

#![warn(missing_docs)]

use serde::Serialize;

use crate::inventory::{Inventory, Place};
use crate::vendor::Vendor;

/// Exposure longer than this (in minutes) adds "notify the vendor" to every step.
pub const NOTIFY_AFTER_MINUTES: u64 = 30;

/// The rotation plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The server the inventory was made of.
    pub root: String,
    /// When the plan was made.
    pub generated_unix_nano: u64,
    /// When the credentials were first exposed, when known.
    pub exposed_since_unix_nano: Option<u64>,
    /// How long they have been exposed, in whole minutes, when known.
    pub exposed_minutes: Option<u64>,
    /// True when the exposure passed [`NOTIFY_AFTER_MINUTES`].
    pub notify_vendors: bool,
    /// In the order to do them.
    pub steps: Vec<PlanStep>,
}

/// One credential to rotate.
#[derive(Debug, Clone, Serialize)]
pub struct PlanStep {
    /// 1-based position in the plan.
    pub order: usize,
    /// The environment variable (or `hard-coded <kind>`).
    pub name: String,
    /// The vendor.
    pub vendor: Vendor,
    /// The vendor for people.
    pub vendor_label: String,
    /// Where the server reads or sets it.
    pub found_in: Vec<Place>,
    /// Fingerprints of the values seen (never the values).
    pub fingerprints: Vec<String>,
    /// The scope visible from code and configuration.
    pub scope: String,
    /// The vendor's rotate-then-revoke procedure.
    pub procedure: &'static str,
    /// True when `warden incident rotate --execute` performs it (PostgreSQL); otherwise
    /// it is a checklist for a person.
    pub executable: bool,
    /// The checklist (for executable steps: what the command does, in order).
    pub checklist: Vec<String>,
    /// Set when the exposure passed 30 minutes: whom to tell and with what.
    pub notify: Option<String>,
}

impl Plan {
    /// The plan for `inv`: databases first, then the other vendors (each group by vendor,
    /// then name), one step per credential in the inventory and no other.
    /// `now_unix_nano` is the time the plan is made; `exposed_since_unix_nano` when the
    /// credentials were first exposed (the scope phase's first anomalous call, or the
    /// case's opening when nothing earlier is known).
    pub fn from_inventory(
        inv: &Inventory,
        exposed_since_unix_nano: Option<u64>,
        now_unix_nano: u64,
    ) -> Plan {
        let exposed_minutes =
            exposed_since_unix_nano.map(|t| now_unix_nano.saturating_sub(t) / 60_000_000_000);
        let notify_vendors = exposed_minutes.is_some_and(|m| m > NOTIFY_AFTER_MINUTES);
        let mut creds: Vec<_> = inv.credentials.iter().collect();
        // The inventory is sorted already; sorting again keeps the plan's promise even
        // for an inventory built by hand or read back from JSON.
        creds.sort_by(|a, b| {
            (!a.vendor.is_database(), a.vendor, &a.name).cmp(&(
                !b.vendor.is_database(),
                b.vendor,
                &b.name,
            ))
        });
        let steps = creds
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let executable = c.vendor == Vendor::PostgreSQL;
                let notify = notify_vendors.then(|| {
                    format!(
                        "Exposed for {} minutes (more than {NOTIFY_AFTER_MINUTES}): notify {} — the credential's fingerprint{} {}, the exposure window, and ask for their logs of its use.",
                        exposed_minutes.unwrap_or_default(),
                        if c.vendor.is_database() {
                            "the database's operator (and the provider, if it is a managed service)".to_string()
                        } else {
                            format!("{}'s security or support team", c.vendor_label)
                        },
                        if c.fingerprints.len() == 1 { "" } else { "s" },
                        if c.fingerprints.is_empty() {
                            "(none: the value was not seen)".to_string()
                        } else {
                            c.fingerprints.join(", ")
                        }
                    )
                });
                PlanStep {
                    order: i + 1,
                    name: c.name.clone(),
                    vendor: c.vendor,
                    vendor_label: c.vendor_label.clone(),
                    found_in: c.found_in.clone(),
                    fingerprints: c.fingerprints.clone(),
                    scope: c.scope.clone(),
                    procedure: c.rotation,
                    executable,
                    checklist: checklist(c.vendor, &c.name, executable),
                    notify,
                }
            })
            .collect();
        Plan {
            root: inv.root.clone(),
            generated_unix_nano: now_unix_nano,
            exposed_since_unix_nano,
            exposed_minutes,
            notify_vendors,
            steps,
        }
    }

    /// The plan for people, as Markdown.
    pub fn render(&self) -> String {
        let mut out = format!("# Rotation plan: `{}`\n\n", self.root);
        match self.exposed_minutes {
            Some(m) if self.notify_vendors => out.push_str(&format!(
                "Exposed for **{m} minutes** (more than {NOTIFY_AFTER_MINUTES}): notify each vendor (see each step).\n\n"
            )),
            Some(m) => out.push_str(&format!("Exposed for {m} minutes.\n\n")),
            None => out.push_str(
                "Exposure start unknown: if it was more than 30 minutes ago, notify each vendor too.\n\n",
            ),
        }
        if self.steps.is_empty() {
            out.push_str("The inventory holds no credential: nothing to rotate.\n");
            return out;
        }
        out.push_str(&format!(
            "{} credential(s), databases first. Values are never shown, only fingerprints. Each: a new credential first, the secret store updated, then the old one revoked.\n",
            self.steps.len()
        ));
        for s in &self.steps {
            out.push_str(&format!(
                "\n## {}. `{}` — {}{}\n\n",
                s.order,
                s.name,
                s.vendor_label,
                if s.executable {
                    " (executable: `warden incident rotate --execute`)"
                } else {
                    " (checklist)"
                }
            ));
            let places: Vec<String> = s
                .found_in
                .iter()
                .map(|p| format!("{}:{} ({})", p.path, p.line, p.how))
                .collect();
            out.push_str(&format!(
                "- where: {}\n- fingerprints: {}\n- scope: {}\n- procedure: {}\n",
                if places.is_empty() {
                    "-".to_string()
                } else {
                    places.join("; ")
                },
                if s.fingerprints.is_empty() {
                    "- (value not seen)".to_string()
                } else {
                    s.fingerprints.join(", ")
                },
                s.scope,
                s.procedure
            ));
            if let Some(n) = &s.notify {
                out.push_str(&format!("- **notify**: {n}\n"));
            }
            out.push('\n');
            for item in &s.checklist {
                out.push_str(&format!("- [ ] {item}\n"));
            }
        }
        out
    }
}

/// The checklist of one step: for PostgreSQL what the command does; for the others the
/// generic rotate-then-revoke order, which the procedure text details per vendor.
fn checklist(vendor: Vendor, name: &str, executable: bool) -> Vec<String> {
    if executable {
        return [
            "dry run first: `warden incident rotate` prints the SQL (passwords as ***)",
            "create the new login role with the old one's attributes, memberships and privileges (every database); verify it can read",
            "update the secret store (the env file), old value never printed",
            "ALTER ROLE old NOLOGIN; verify the old credential is refused",
            "terminate the old role's sessions; verify none remain",
            "REASSIGN OWNED / DROP OWNED in each database; keep the old role NOLOGIN (default) or DROP ROLE",
            "restart or reload the service so it reads the new value; check its connections appear in pg_stat_activity as the new role",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
    }
    let mut items = vec![
        format!(
            "issue a new {} credential with the same scope",
            vendor.label()
        ),
        format!("put it in the secret store as `{name}` and restart the service"),
        "confirm the service works with the new credential".to_string(),
        "revoke the old credential at the vendor".to_string(),
        "confirm the old credential is refused".to_string(),
        "review the vendor's logs of the old credential's use for the exposure window".to_string(),
    ];
    if vendor.is_database() {
        items.push("end the old login's open sessions".to_string());
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Credential;

    fn cred(name: &str, vendor: Vendor) -> Credential {
        Credential {
            name: name.into(),
            vendor,
            vendor_label: vendor.label().into(),
            found_in: vec![Place {
                path: ".env".into(),
                line: 1,
                how: "set in an env file",
            }],
            fingerprints: vec!["sha256:0123456789ab".into()],
            scope: "s".into(),
            rotation: vendor.rotation(),
        }
    }

    fn inv(creds: Vec<Credential>) -> Inventory {
        Inventory {
            root: "srv".into(),
            credentials: creds,
            files_read: 1,
        }
    }

    const MIN: u64 = 60_000_000_000;

    #[test]
    fn databases_first_then_the_rest_and_nothing_else() {
        let i = inv(vec![
            cred("STRIPE_KEY", Vendor::Stripe),
            cred("OPENAI_API_KEY", Vendor::OpenAI),
            cred("REDIS_URL", Vendor::Redis),
            cred("DATABASE_URL", Vendor::PostgreSQL),
        ]);
        let p = Plan::from_inventory(&i, None, 0);
        let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["DATABASE_URL", "REDIS_URL", "STRIPE_KEY", "OPENAI_API_KEY"]
        );
        assert_eq!(
            p.steps.iter().map(|s| s.order).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert!(p.steps[0].executable);
        assert!(p.steps[1..].iter().all(|s| !s.executable));
        assert_eq!(p.steps[2].procedure, Vendor::Stripe.rotation());
        assert!(!p.notify_vendors && p.steps.iter().all(|s| s.notify.is_none()));
        let md = p.render();
        assert!(md.find("DATABASE_URL") < md.find("STRIPE_KEY"));
        assert!(md.contains("sha256:0123456789ab"));
        assert!(md.contains("Exposure start unknown"));
        let json = serde_json::to_value(&p).expect("json");
        assert_eq!(json["steps"][0]["vendor"], "postgresql");
    }

    #[test]
    fn notify_vendors_only_after_thirty_minutes() {
        let i = inv(vec![cred("STRIPE_KEY", Vendor::Stripe)]);
        let at30 = Plan::from_inventory(&i, Some(100 * MIN), 130 * MIN);
        assert_eq!(at30.exposed_minutes, Some(30));
        assert!(!at30.notify_vendors);
        let at31 = Plan::from_inventory(&i, Some(100 * MIN), 131 * MIN);
        assert!(at31.notify_vendors);
        let note = at31.steps[0].notify.as_deref().unwrap_or_default();
        assert!(note.contains("31 minutes") && note.contains("Stripe"));
        assert!(at31.render().contains("**notify**"));
    }

    #[test]
    fn empty_inventory_says_so() {
        let p = Plan::from_inventory(&inv(vec![]), None, 0);
        assert!(p.steps.is_empty());
        assert!(p.render().contains("nothing to rotate"));
    }
}
