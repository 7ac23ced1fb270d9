//! Live crisis metrics, from the crisis, its cases and the channel's mentions.

use chrono::{DateTime, Duration, Utc};
use firebreak_core::{Mention, SentimentLabel};
use firebreak_respond::Case;
use serde::Serialize;

use crate::Crisis;

/// The curves' bucket.
pub const BUCKET_MIN: i64 = 15;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub volume: u32,
    pub negative: u32,
}

impl Bucket {
    pub fn negative_share(&self) -> f64 {
        if self.volume == 0 {
            0.0
        } else {
            f64::from(self.negative) / f64::from(self.volume)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub onset_at: DateTime<Utc>,
    pub first_alert_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub first_public_response_at: Option<DateTime<Utc>>,
    /// First crisis mention → alert.
    pub time_to_detect_min: f64,
    /// Crisis opened → acknowledged.
    pub time_to_acknowledge_min: Option<f64>,
    /// First crisis mention → first public reply on a crisis case.
    pub time_to_first_public_response_min: Option<f64>,
    pub cases: usize,
    pub answered: usize,
    /// Share of crisis cases answered in public within their first-response target.
    pub response_coverage: Option<f64>,
    /// Median of case opened → first public reply, over answered cases.
    pub median_response_min: Option<f64>,
    /// Sum of the followers of the crisis cases' authors.
    pub reach_exposed: u64,
    pub crisis_authors: usize,
    /// Authors who defended the brand: positive replies in the crisis's threads.
    pub advocates: Vec<String>,
    pub curve: Vec<Bucket>,
    /// Negative share in the 24 hours before the onset.
    pub baseline_negative_share: f64,
    pub peak_negative_share: f64,
    /// Negative share over the last 2 hours of the window.
    pub current_negative_share: f64,
    /// Back at the baseline (within 25 % and 2 points) after the peak.
    pub recovered: bool,
    pub recovered_at: Option<DateTime<Utc>>,
}

fn minutes(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_seconds() as f64 / 60.0
}

fn is_negative(m: &Mention) -> bool {
    m.analysis
        .as_ref()
        .is_some_and(|a| a.sentiment.label == SentimentLabel::Negative || a.toxicity.toxic >= 0.8)
}

fn is_positive(m: &Mention) -> bool {
    m.analysis
        .as_ref()
        .is_some_and(|a| a.sentiment.label == SentimentLabel::Positive)
}

/// Computes the metrics at `now`. `mentions` are the channel's mentions from 24 hours before
/// the onset to the end of the window (any order); `cases` the crisis's cases.
pub fn compute(
    crisis: &Crisis,
    mentions: &[Mention],
    cases: &[Case],
    now: DateTime<Utc>,
) -> Metrics {
    let end = crisis
        .status_at
        .get("resolved")
        .copied()
        .unwrap_or(now)
        .max(crisis.first_alert_at);
    let onset = crisis.onset_at;
    // Curves: 15-minute buckets from 6 hours before the onset to the end.
    let start = onset - Duration::hours(6);
    let start = DateTime::from_timestamp(
        start.timestamp() - start.timestamp().rem_euclid(BUCKET_MIN * 60),
        0,
    )
    .unwrap_or(start);
    let n = (((end - start).num_minutes() / BUCKET_MIN) + 1).clamp(1, 20_000) as usize;
    let mut curve: Vec<Bucket> = (0..n)
        .map(|i| Bucket {
            start: start + Duration::minutes(BUCKET_MIN * i as i64),
            volume: 0,
            negative: 0,
        })
        .collect();
    let (mut base_n, mut base_neg) = (0u32, 0u32);
    let mut advocates: Vec<String> = Vec::new();
    // The crisis's threads: its evidence and its cases' mentions.
    let threads: std::collections::HashSet<&str> = crisis
        .evidence
        .iter()
        .map(String::as_str)
        .chain(
            cases
                .iter()
                .flat_map(|c| c.mentions.iter().map(|m| m.as_str())),
        )
        .collect();
    for m in mentions {
        let t = m.created_at;
        if t >= onset - Duration::hours(24) && t < onset {
            base_n += 1;
            base_neg += u32::from(is_negative(m));
        }
        if t >= start && t <= end {
            let i = ((t - start).num_minutes() / BUCKET_MIN) as usize;
            if let Some(b) = curve.get_mut(i) {
                b.volume += 1;
                b.negative += u32::from(is_negative(m));
            }
        }
        let in_thread = m
            .in_reply_to
            .as_ref()
            .is_some_and(|p| threads.contains(p.as_str()));
        if t >= onset && t <= end && in_thread && is_positive(m) {
            let who = m
                .author
                .handle
                .clone()
                .unwrap_or_else(|| m.author.id.as_str().to_owned());
            if !advocates.contains(&who) {
                advocates.push(who);
            }
        }
    }
    let baseline = if base_n == 0 {
        0.0
    } else {
        f64::from(base_neg) / f64::from(base_n)
    };
    // Rolling 2-hour negative share, for the peak and the recovery.
    let window = (120 / BUCKET_MIN) as usize;
    let rolling: Vec<(DateTime<Utc>, f64, u32)> = (0..curve.len())
        .map(|i| {
            let lo = i.saturating_sub(window - 1);
            let (v, neg) = curve[lo..=i]
                .iter()
                .fold((0, 0), |(v, n), b| (v + b.volume, n + b.negative));
            let share = if v == 0 {
                0.0
            } else {
                f64::from(neg) / f64::from(v)
            };
            (curve[i].start + Duration::minutes(BUCKET_MIN), share, v)
        })
        .collect();
    let after_onset: Vec<&(DateTime<Utc>, f64, u32)> =
        rolling.iter().filter(|(t, _, _)| *t > onset).collect();
    let (peak_at, peak) = after_onset.iter().filter(|(_, _, v)| *v >= 10).fold(
        (onset, 0.0f64),
        |(pt, p), (t, s, _)| if *s > p { (*t, *s) } else { (pt, p) },
    );
    let current = rolling.last().map_or(0.0, |r| r.1);
    let threshold = baseline * 1.25 + 0.02;
    let recovered_at = after_onset
        .iter()
        .find(|(t, s, v)| *t > peak_at && *v >= 10 && *s <= threshold)
        .map(|(t, _, _)| *t);
    let mut authors: Vec<(&str, u64)> = Vec::new();
    let mut answered = 0usize;
    let mut within = 0usize;
    let mut response_minutes: Vec<f64> = Vec::new();
    let mut first_reply: Option<DateTime<Utc>> = None;
    for c in cases {
        if !authors.iter().any(|(a, _)| *a == c.author_key) {
            authors.push((&c.author_key, c.author_followers));
        }
        if let Some(r) = c.first_public_reply_at {
            answered += 1;
            if r <= c.due.first_response {
                within += 1;
            }
            response_minutes.push(minutes(c.opened_at, r));
            first_reply = Some(first_reply.map_or(r, |f: DateTime<Utc>| f.min(r)));
        }
    }
    response_minutes.sort_by(f64::total_cmp);
    let median = if response_minutes.is_empty() {
        None
    } else {
        let k = response_minutes.len();
        Some(if k % 2 == 1 {
            response_minutes[k / 2]
        } else {
            (response_minutes[k / 2 - 1] + response_minutes[k / 2]) / 2.0
        })
    };
    Metrics {
        onset_at: onset,
        first_alert_at: crisis.first_alert_at,
        acknowledged_at: crisis.escalation.acked_at,
        first_public_response_at: first_reply,
        time_to_detect_min: minutes(onset, crisis.first_alert_at),
        time_to_acknowledge_min: crisis
            .escalation
            .acked_at
            .map(|a| minutes(crisis.opened_at, a)),
        time_to_first_public_response_min: first_reply.map(|r| minutes(onset, r)),
        cases: cases.len(),
        answered,
        response_coverage: (!cases.is_empty()).then(|| within as f64 / cases.len() as f64),
        median_response_min: median,
        reach_exposed: authors.iter().map(|(_, f)| *f).sum(),
        crisis_authors: authors.len(),
        advocates,
        curve,
        baseline_negative_share: baseline,
        peak_negative_share: peak,
        current_negative_share: current,
        recovered: recovered_at.is_some(),
        recovered_at,
    }
}
