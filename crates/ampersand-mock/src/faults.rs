//! Fault injection for resilience tests: added latency, error statuses, `429` with
//! `Retry-After`, and dropped connections, per operation or path prefix.
//!
//! Rules are checked in the order they were added; the first rule that matches a request and
//! still has budget fires. Probabilistic rules draw from a seeded RNG, so a run is repeatable.
//!
//! ```
//! use std::time::Duration;
//! use ampersand_mock::{FaultRule, Faults};
//!
//! let faults = Faults::default();
//! // The next two getProject calls fail with 503, then the real answer comes back.
//! faults.push(FaultRule::status(503).operation("getProject").times(2));
//! // Every second call under /api/v1/projects is rate limited, on average.
//! faults.push(FaultRule::rate_limit(Duration::from_secs(1)).path_prefix("/api/v1/projects").probability(0.5));
//! ```

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which requests a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultTarget {
    /// Every request.
    Any,
    /// Requests for one operation, by the spec's operationId (`getProject`).
    Operation(String),
    /// Requests whose path starts with this prefix (`/api/v1/projects`).
    PathPrefix(String),
}

/// What a rule does to a request it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultAction {
    /// Answers with this status and an `application/problem+json` body.
    Status(u16),
    /// Answers `429 Too Many Requests` with a `Retry-After` of this many seconds.
    RateLimit(Duration),
    /// Closes the connection without answering.
    Drop,
    /// Waits this long, then serves the request normally.
    Delay(Duration),
}

/// How often a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FaultBudget {
    /// For every matching request.
    Always,
    /// For the next `n` matching requests, then never again.
    Times(u32),
    /// For each matching request with this probability (0.0 to 1.0), from the seeded RNG.
    Probability(f64),
}

/// One fault injection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    target: FaultTarget,
    action: FaultAction,
    budget: FaultBudget,
}

impl FaultRule {
    /// A rule answering with `status` (e.g. 503), for every request until narrowed.
    pub fn status(status: u16) -> FaultRule {
        FaultRule::new(FaultAction::Status(status))
    }

    /// A rule answering `429` with `Retry-After: <retry_after in whole seconds>`.
    pub fn rate_limit(retry_after: Duration) -> FaultRule {
        FaultRule::new(FaultAction::RateLimit(retry_after))
    }

    /// A rule that closes the connection without an answer.
    pub fn drop_connection() -> FaultRule {
        FaultRule::new(FaultAction::Drop)
    }

    /// A rule that delays matching requests.
    pub fn delay(delay: Duration) -> FaultRule {
        FaultRule::new(FaultAction::Delay(delay))
    }

    /// A rule with any action.
    pub fn new(action: FaultAction) -> FaultRule {
        FaultRule {
            target: FaultTarget::Any,
            action,
            budget: FaultBudget::Always,
        }
    }

    /// Applies the rule to one operation only, by operationId.
    pub fn operation(mut self, operation_id: impl Into<String>) -> FaultRule {
        self.target = FaultTarget::Operation(operation_id.into());
        self
    }

    /// Applies the rule to paths starting with `prefix` (including the host prefix, e.g.
    /// `/api/v1/projects` or `/read/v1`).
    pub fn path_prefix(mut self, prefix: impl Into<String>) -> FaultRule {
        self.target = FaultTarget::PathPrefix(prefix.into());
        self
    }

    /// Fires for the next `n` matching requests only.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.budget = FaultBudget::Times(n);
        self
    }

    /// Fires for each matching request with probability `p`, clamped to 0.0..=1.0.
    pub fn probability(mut self, p: f64) -> FaultRule {
        self.budget = FaultBudget::Probability(p.clamp(0.0, 1.0));
        self
    }

    /// What the rule applies to.
    pub fn target(&self) -> &FaultTarget {
        &self.target
    }

    /// What the rule does.
    pub fn action(&self) -> &FaultAction {
        &self.action
    }

    /// How often the rule fires.
    pub fn budget(&self) -> FaultBudget {
        self.budget
    }

    fn matches(&self, operation_id: Option<&str>, path: &str) -> bool {
        match &self.target {
            FaultTarget::Any => true,
            FaultTarget::Operation(id) => operation_id == Some(id.as_str()),
            FaultTarget::PathPrefix(prefix) => path.starts_with(prefix.as_str()),
        }
    }
}

/// The error of parsing a command-line fault rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseFaultError(String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault rule: {}", self.0)
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for FaultRule {
    type Err = ParseFaultError;

    /// Parses `TARGET=ACTION[xN|@P]`, the command-line form:
    ///
    /// - TARGET: `*` (any request), an operationId (`getProject`) or a path prefix starting
    ///   with `/` (`/api/v1/projects`);
    /// - ACTION: a status code (`503`), `429` or `429:SECS` (rate limit with `Retry-After`,
    ///   1 s by default), `drop`, or `delay:MS`;
    /// - then `xN` to fire for the next N requests, or `@P` to fire with probability P.
    ///
    /// For example `getProject=503x2`, `/read/v1=429:2@0.5`, `*=drop x1` (spaces ignored).
    fn from_str(text: &str) -> Result<FaultRule, ParseFaultError> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let err = || ParseFaultError(text.clone());
        let (target, rest) = text.split_once('=').ok_or_else(err)?;
        let (action, budget) = match rest.find(['x', '@']) {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let action = if action == "drop" {
            FaultAction::Drop
        } else if let Some(ms) = action.strip_prefix("delay:") {
            FaultAction::Delay(Duration::from_millis(ms.parse().map_err(|_| err())?))
        } else if let Some(secs) = action.strip_prefix("429:") {
            FaultAction::RateLimit(Duration::from_secs(secs.parse().map_err(|_| err())?))
        } else if action == "429" {
            FaultAction::RateLimit(Duration::from_secs(1))
        } else {
            let status: u16 = action.parse().map_err(|_| err())?;
            if !(400..=599).contains(&status) {
                return Err(err());
            }
            FaultAction::Status(status)
        };
        let mut rule = FaultRule::new(action);
        rule = match target {
            "*" | "" => rule,
            t if t.starts_with('/') => rule.path_prefix(t),
            t => rule.operation(t),
        };
        Ok(match budget {
            None => rule,
            Some(b) if b.starts_with('x') => rule.times(b[1..].parse().map_err(|_| err())?),
            Some(b) => {
                let p: f64 = b[1..].parse().map_err(|_| err())?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(err());
                }
                rule.probability(p)
            }
        })
    }
}

/// The fault decision for one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    /// Total latency to add before answering.
    pub(crate) delay: Duration,
    /// The fault to apply after the delay, if any.
    pub(crate) fault: Option<FaultAction>,
}

#[derive(Debug)]
struct Inner {
    latency: Duration,
    rules: Vec<FaultRule>,
    rng: fastrand::Rng,
}

/// The fault knobs of a running mock, shared with its server: cloning gives another handle to
/// the same knobs.
#[derive(Debug, Clone)]
pub struct Faults {
    inner: Arc<Mutex<Inner>>,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults::with_seed(0x616d_7065_7273_616e)
    }
}

impl Faults {
    /// Knobs whose probabilistic rules draw from an RNG seeded with `seed`.
    pub fn with_seed(seed: u64) -> Faults {
        Faults {
            inner: Arc::new(Mutex::new(Inner {
                latency: Duration::ZERO,
                rules: Vec::new(),
                rng: fastrand::Rng::with_seed(seed),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds latency to every request.
    pub fn set_latency(&self, latency: Duration) -> &Faults {
        self.lock().latency = latency;
        self
    }

    /// Reseeds the RNG of probabilistic rules.
    pub fn set_seed(&self, seed: u64) -> &Faults {
        self.lock().rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// Adds a rule after the existing ones.
    pub fn push(&self, rule: FaultRule) -> &Faults {
        self.lock().rules.push(rule);
        self
    }

    /// The rules still in force (rules whose `times` budget is spent are removed).
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().rules.clone()
    }

    /// Removes every rule and the added latency.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.rules.clear();
        inner.latency = Duration::ZERO;
    }

    /// Decides what happens to a request, spending rule budgets.
    pub(crate) fn decide(&self, operation_id: Option<&str>, path: &str) -> Decision {
        let mut inner = self.lock();
        let mut decision = Decision {
            delay: inner.latency,
            fault: None,
        };
        let mut spent = None;
        let Inner { rules, rng, .. } = &mut *inner;
        for (i, rule) in rules.iter_mut().enumerate() {
            if !rule.matches(operation_id, path) {
                continue;
            }
            let fires = match &mut rule.budget {
                FaultBudget::Always => true,
                FaultBudget::Times(0) => false,
                FaultBudget::Times(n) => {
                    *n -= 1;
                    if *n == 0 {
                        spent = Some(i);
                    }
                    true
                }
                FaultBudget::Probability(p) => rng.f64() < *p,
            };
            if !fires {
                continue;
            }
            if let FaultAction::Delay(d) = rule.action {
                decision.delay += d;
                continue;
            }
            decision.fault = Some(rule.action.clone());
            break;
        }
        if let Some(i) = spent {
            rules.remove(i);
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_budget_is_spent_then_removed() {
        let faults = Faults::default();
        faults.push(FaultRule::status(503).operation("getProject").times(2));
        let hit = Some(FaultAction::Status(503));
        assert_eq!(
            faults
                .decide(Some("listProjects"), "/api/v1/projects")
                .fault,
            None
        );
        assert_eq!(
            faults
                .decide(Some("getProject"), "/api/v1/projects/p")
                .fault,
            hit
        );
        assert_eq!(
            faults
                .decide(Some("getProject"), "/api/v1/projects/p")
                .fault,
            hit
        );
        assert_eq!(
            faults
                .decide(Some("getProject"), "/api/v1/projects/p")
                .fault,
            None
        );
        assert!(faults.rules().is_empty());
    }

    #[test]
    fn probability_is_repeatable_with_a_seed() {
        let run = || {
            let faults = Faults::with_seed(7);
            faults.push(FaultRule::status(500).probability(0.5));
            (0..64)
                .map(|_| faults.decide(None, "/x").fault.is_some())
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let hits = first.iter().filter(|h| **h).count();
        assert!(hits > 0 && hits < 64);
    }

    #[test]
    fn delays_add_up_and_later_rules_still_apply() {
        let faults = Faults::default();
        faults.set_latency(Duration::from_millis(5));
        faults.push(FaultRule::delay(Duration::from_millis(10)).path_prefix("/read/v1"));
        faults.push(FaultRule::drop_connection().path_prefix("/read"));
        let d = faults.decide(Some("triggerRead"), "/read/v1/projects");
        assert_eq!(d.delay, Duration::from_millis(15));
        assert_eq!(d.fault, Some(FaultAction::Drop));
        assert_eq!(
            faults.decide(None, "/api/v1").delay,
            Duration::from_millis(5)
        );
    }

    #[test]
    fn parses_command_line_rules() {
        let rule: FaultRule = "getProject=503x2".parse().unwrap();
        assert_eq!(
            rule,
            FaultRule::status(503).operation("getProject").times(2)
        );
        let rule: FaultRule = "/read/v1=429:2@0.5".parse().unwrap();
        assert_eq!(
            rule,
            FaultRule::rate_limit(Duration::from_secs(2))
                .path_prefix("/read/v1")
                .probability(0.5)
        );
        assert_eq!(
            "*=drop x1".parse::<FaultRule>().unwrap(),
            FaultRule::drop_connection().times(1)
        );
        assert_eq!(
            "*=delay:250".parse::<FaultRule>().unwrap(),
            FaultRule::delay(Duration::from_millis(250))
        );
        assert!("getProject".parse::<FaultRule>().is_err());
        assert!("x=200".parse::<FaultRule>().is_err());
        assert!("x=503@2".parse::<FaultRule>().is_err());
    }
}
