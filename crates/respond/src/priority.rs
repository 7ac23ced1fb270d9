//! Which mentions need a response, and how urgent they are.
//!
//! Risk is a product of five factors, each 1 for an ordinary case:
//! `negativity × reach × velocity × age × crisis`.
//! - negativity: 0.5 + p(negative), +0.5 for a complaint (a question alone: 0.6);
//! - reach: 1 + log10(1 + followers) / 2, ×1.5 when verified (a 100k account: 3.5);
//! - velocity: 1 + replies and reshares the thread got in the last hour / 5;
//! - age: 1 + hours waiting without an answer / 4 (recomputed by the clock);
//! - crisis: 3 when the case belongs to an open crisis (a crisis complaint is p1).
//!
//! Priority buckets: p1 ≥ 6, p2 ≥ 2.5, p3 otherwise; don't-feed cases are always p4.

use chrono::{DateTime, Utc};
use firebreak_core::{Intent, Mention, SentimentLabel};

use crate::case::{CaseReason, Priority};

/// Why `mention` needs a response, or `None` when it does not (praise, chatter).
pub fn needs_response(mention: &Mention) -> Option<CaseReason> {
    let a = mention.analysis.as_ref()?;
    let t = &a.toxicity;
    if t.toxic >= 0.8 || t.threat >= 0.6 || t.identity_hate >= 0.6 {
        return Some(CaseReason::Toxic);
    }
    let confident = a.intent_confidence >= 0.5;
    match a.intent {
        Intent::Complaint if confident => return Some(CaseReason::Complaint),
        Intent::Question if confident => return Some(CaseReason::Question),
        Intent::Suggestion if confident => return Some(CaseReason::Suggestion),
        _ => {}
    }
    if a.sentiment.label == SentimentLabel::Negative && a.intent != Intent::Praise {
        return Some(CaseReason::Negative);
    }
    None
}

/// The inputs of a risk score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RiskInputs {
    pub p_negative: f32,
    pub reason: CaseReason,
    pub followers: u64,
    pub verified: bool,
    /// Replies and reshares of the thread in the last hour.
    pub thread_velocity: u32,
    /// Hours the oldest unanswered message has waited.
    pub waiting_hours: f64,
    pub in_crisis: bool,
}

pub fn risk(i: &RiskInputs) -> f64 {
    let negativity = match i.reason {
        CaseReason::Complaint => 1.0 + f64::from(i.p_negative),
        CaseReason::Negative => 0.5 + f64::from(i.p_negative),
        CaseReason::Question | CaseReason::Suggestion => 0.6,
        CaseReason::Toxic => 0.3,
    };
    let mut reach = 1.0 + (1.0 + i.followers as f64).log10() / 2.0;
    if i.verified {
        reach *= 1.5;
    }
    let velocity = 1.0 + f64::from(i.thread_velocity) / 5.0;
    let age = 1.0 + i.waiting_hours.max(0.0) / 4.0;
    let crisis = if i.in_crisis { CRISIS_FACTOR } else { 1.0 };
    negativity * reach * velocity * age * crisis
}

/// How much belonging to a crisis multiplies a case's risk.
pub const CRISIS_FACTOR: f64 = 3.0;

pub fn bucket(risk: f64, dont_feed: bool) -> Priority {
    if dont_feed {
        Priority::P4
    } else if risk >= 6.0 {
        Priority::P1
    } else if risk >= 2.5 {
        Priority::P2
    } else {
        Priority::P3
    }
}

/// Hours between `since` and `now`, never negative.
pub fn hours_between(since: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    ((now - since).num_seconds().max(0) as f64) / 3600.0
}
