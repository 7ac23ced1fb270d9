//! Response targets and the clocks that watch them.
//!
//! Every case carries three due times, set when it opens from its priority's targets:
//! the first public response, the private follow-up, and the resolution. [`check`] is
//! called with the current time (from a [`Clock`], so tests control it) and returns the
//! breaches that happened since the last check, each exactly once, and the follow-up
//! reminders that are due.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Priority};

/// Where "now" comes from. The server uses the system clock; tests use [`ManualClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(std::sync::Mutex::new(at))
    }
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Event time: the latest `created_at` the pipeline has seen. Replays and drills run their
/// clocks on it, so that response times and timers mean the same as they would have live.
#[derive(Debug, Default)]
pub struct StreamClock(std::sync::atomic::AtomicI64);

impl StreamClock {
    pub fn new(at: DateTime<Utc>) -> StreamClock {
        StreamClock(std::sync::atomic::AtomicI64::new(at.timestamp_millis()))
    }
    /// Moves the clock forward to `at` (never back).
    pub fn observe(&self, at: DateTime<Utc>) {
        self.0
            .fetch_max(at.timestamp_millis(), std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clock for StreamClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.load(std::sync::atomic::Ordering::Relaxed))
            .unwrap_or_default()
    }
}

/// The three response targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    FirstResponse,
    PrivateFollowUp,
    Resolution,
}

impl SlaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::FirstResponse => "first_response",
            SlaKind::PrivateFollowUp => "private_follow_up",
            SlaKind::Resolution => "resolution",
        }
    }
}

/// Targets of one priority, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub first_response_min: u32,
    pub private_follow_up_min: u32,
    pub resolution_min: u32,
}

/// Targets for each priority, plus how often a user in a private conversation hears from us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    pub p1: Target,
    pub p2: Target,
    pub p3: Target,
    pub p4: Target,
    /// Remind the owner to update the user this long after the last private contact.
    pub follow_up_every_min: u32,
}

impl Default for SlaTargets {
    /// Defaults drawn from the practice: the first public answer within the hour for
    /// ordinary complaints, within 15 minutes when the risk is high.
    fn default() -> Self {
        let t = |f, p, r| Target {
            first_response_min: f,
            private_follow_up_min: p,
            resolution_min: r,
        };
        SlaTargets {
            p1: t(15, 60, 8 * 60),
            p2: t(60, 4 * 60, 24 * 60),
            p3: t(4 * 60, 24 * 60, 72 * 60),
            p4: t(24 * 60, 72 * 60, 7 * 24 * 60),
            follow_up_every_min: 24 * 60,
        }
    }
}

impl SlaTargets {
    pub fn target(&self, p: Priority) -> &Target {
        match p {
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
            Priority::P4 => &self.p4,
        }
    }

    pub fn due_for(&self, p: Priority, opened: DateTime<Utc>) -> Due {
        let t = self.target(p);
        let m = |x: u32| opened + Duration::minutes(i64::from(x));
        Due {
            first_response: m(t.first_response_min),
            private_follow_up: m(t.private_follow_up_min),
            resolution: m(t.resolution_min),
        }
    }

    pub fn follow_up(&self) -> Duration {
        Duration::minutes(i64::from(self.follow_up_every_min))
    }

    /// Checks that every target is positive and ordered (first response ≤ follow-up ≤ resolution).
    pub fn validate(&self) -> Result<(), String> {
        for p in Priority::ALL {
            let t = self.target(p);
            if t.first_response_min == 0 {
                return Err(format!(
                    "{}.first_response_min must be at least 1 minute",
                    p.as_str()
                ));
            }
            if t.first_response_min > t.private_follow_up_min
                || t.private_follow_up_min > t.resolution_min
            {
                return Err(format!(
                    "{}: targets must satisfy first_response_min <= private_follow_up_min <= resolution_min",
                    p.as_str()
                ));
            }
        }
        if self.follow_up_every_min == 0 {
            return Err("follow_up_every_min must be at least 1 minute".into());
        }
        Ok(())
    }
}

/// A case's due times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub first_response: DateTime<Utc>,
    pub private_follow_up: DateTime<Utc>,
    pub resolution: DateTime<Utc>,
}

impl Due {
    /// The earliest target `case` has not met, breached or not: what a countdown shows
    /// (negative when overdue).
    pub fn next(case: &Case) -> Option<(SlaKind, DateTime<Utc>)> {
        pending(case).into_iter().min_by_key(|(_, at)| *at)
    }

    /// The earliest target not met and not yet breached: when the clock must next look.
    pub fn next_unbreached(case: &Case) -> Option<(SlaKind, DateTime<Utc>)> {
        pending(case)
            .into_iter()
            .filter(|(k, _)| !case.breached.contains(k))
            .min_by_key(|(_, at)| *at)
    }
}

/// The targets a case has not met yet (met targets are not listed).
fn pending(case: &Case) -> Vec<(SlaKind, DateTime<Utc>)> {
    let mut out = Vec::with_capacity(3);
    if case.dont_feed || case.merged_into.is_some() {
        return out;
    }
    if case.first_public_reply_at.is_none() && case.status.is_open() {
        out.push((SlaKind::FirstResponse, case.due.first_response));
    }
    // The private follow-up target applies once the conversation went private.
    if case.private_moved_at.is_some() && case.private_reply_at.is_none() && case.status.is_open() {
        out.push((SlaKind::PrivateFollowUp, case.due.private_follow_up));
    }
    if case.status.is_open() {
        out.push((SlaKind::Resolution, case.due.resolution));
    }
    out
}

/// What a clock tick found on one case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tick {
    pub breaches: Vec<(SlaKind, DateTime<Utc>)>,
    /// The user in a private conversation is due an update.
    pub follow_up_due: Option<DateTime<Utc>>,
}

impl Tick {
    pub fn is_empty(&self) -> bool {
        self.breaches.is_empty() && self.follow_up_due.is_none()
    }
}

/// Marks the targets `case` breached by `now` (each once) and the follow-up reminder that
/// is due; the reminder is rescheduled so that it fires once per period.
pub fn check(case: &mut Case, targets: &SlaTargets, now: DateTime<Utc>) -> Tick {
    let mut tick = Tick::default();
    for (kind, due) in pending(case) {
        if now > due && !case.breached.contains(&kind) {
            case.breached.push(kind);
            tick.breaches.push((kind, due));
        }
    }
    if let Some(at) = case.next_follow_up_at {
        if case.status.is_open() && now >= at {
            tick.follow_up_due = Some(at);
            case.next_follow_up_at = Some(now + targets.follow_up());
        }
    }
    tick
}
