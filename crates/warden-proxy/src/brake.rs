//! The loop brake: a model stuck in a loop, or an attacker scripting calls, shows up as
//! many calls in a short window or the same call repeated. Either trips a fence of the
//! whole server. O(1) amortised per call: a queue of recent call times and a count per
//! `(tool, arguments digest)` in the window.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde::Deserialize;

/// `[brake]` in the policy file. Zero disables a limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrakeRules {
    /// Tool calls allowed in one window.
    pub max_calls: usize,
    /// Identical calls (same tool, same arguments) allowed in one window.
    pub max_identical: usize,
    pub window_ms: u64,
}

impl Default for BrakeRules {
    fn default() -> BrakeRules {
        BrakeRules {
            max_calls: 0,
            max_identical: 0,
            window_ms: 10_000,
        }
    }
}

/// The brake's state.
#[derive(Debug, Default)]
pub struct Brake {
    recent: VecDeque<(Instant, String)>,
    counts: HashMap<String, usize>,
}

impl Brake {
    /// Counts a call; `Some(reason)` when a limit is exceeded.
    pub fn observe(
        &mut self,
        rules: &BrakeRules,
        tool: &str,
        args_digest: &str,
        now: Instant,
    ) -> Option<String> {
        if rules.max_calls == 0 && rules.max_identical == 0 {
            return None;
        }
        let window = Duration::from_millis(rules.window_ms);
        while let Some((t, key)) = self.recent.front() {
            if now.duration_since(*t) < window {
                break;
            }
            if let Some(c) = self.counts.get_mut(key) {
                *c -= 1;
                if *c == 0 {
                    self.counts.remove(key);
                }
            }
            self.recent.pop_front();
        }
        let key = format!("{tool}\u{0}{args_digest}");
        let identical = {
            let c = self.counts.entry(key.clone()).or_insert(0);
            *c += 1;
            *c
        };
        self.recent.push_back((now, key));
        if rules.max_calls > 0 && self.recent.len() > rules.max_calls {
            return Some(format!(
                "loop brake: {} tool calls within {} ms (limit {})",
                self.recent.len(),
                rules.window_ms,
                rules.max_calls
            ));
        }
        if rules.max_identical > 0 && identical > rules.max_identical {
            return Some(format!(
                "loop brake: `{tool}` called {identical} times with the same arguments within {} ms (limit {})",
                rules.window_ms, rules.max_identical
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_on_rate_and_on_repeats_and_forgets_old_calls() {
        let rules = BrakeRules {
            max_calls: 5,
            max_identical: 2,
            window_ms: 1000,
        };
        let mut b = Brake::default();
        let t0 = Instant::now();
        assert!(b.observe(&rules, "read", "d1", t0).is_none());
        assert!(b.observe(&rules, "read", "d1", t0).is_none());
        let r = b
            .observe(&rules, "read", "d1", t0)
            .expect("third identical trips");
        assert!(r.contains("same arguments"), "{r}");
        let mut b = Brake::default();
        for i in 0..5 {
            assert!(b.observe(&rules, "read", &format!("d{i}"), t0).is_none());
        }
        assert!(
            b.observe(&rules, "read", "d9", t0)
                .expect("sixth call trips")
                .contains("6 tool calls")
        );
        // A window later, the old calls no longer count.
        let later = t0 + Duration::from_millis(1500);
        assert!(b.observe(&rules, "read", "d10", later).is_none());
    }

    #[test]
    fn disabled_by_default() {
        let mut b = Brake::default();
        for _ in 0..1000 {
            assert!(
                b.observe(&BrakeRules::default(), "t", "d", Instant::now())
                    .is_none()
            );
        }
    }
}
