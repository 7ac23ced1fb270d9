//! The composite streaming crisis detector: per channel, on event time.
//!
//! * **Negativity** of a mention comes from `mention.analysis` when present:
//!   negative sentiment (label or p ≥ `negative_prob`), toxicity ≥
//!   `toxic_prob`, a confident complaint (`complaint_confidence`), or more
//!   negative than positive lexicon words; never confident praise
//!   (`praise_confidence`) or lexicon-only-positive text. Without analysis the
//!   built-in lexicon decides ([`crate::text::lexicon_polarity`]). A plain
//!   reshare inherits the negativity and terms of what it reshares.
//! * **Emerging topic**: content terms of negative mentions are compared with
//!   each term's background (all mentions of the channel before the last
//!   `window_minutes`, half-life `background_half_life_hours`); a term is
//!   rare when its expected count in the window is below `rare_expected`.
//!   Negative mentions of different authors are *linked* when they are
//!   near-duplicates (Jaccard ≥ `near_duplicate`) of a template that is itself
//!   rare (Poisson tail < `max_p_value` and ≥ `min_excess_ratio` × expected),
//!   share ≥ `min_shared_rare_terms` rare terms, or sit in the same thread.
//!   The template of near-duplicates must be new (its rarest term rare).
//!   Plain reshares of a post the stream has not seen wait (at most
//!   `max_orphan_reshares`, for the window): a negative mention of the same
//!   thread, or the post itself arriving, links their authors.
//!   A mention linked to `min_authors` authors in all, `min_complaints` of them
//!   complaining about the brand (naming the channel, where the channel's
//!   mentions usually do), pages once the channel is `warm_up_hours` old.
//! * **Amplification**: a multiplier (followers ≥ max(`multiplier_min_followers`,
//!   `multiplier_ratio` × the channel's median followers) or verified) posting,
//!   replying to or resharing a negative mention; and the reply/reshare velocity
//!   of negative threads (`thread_velocity`). Amplification lets a topic page
//!   with `min_authors_amplified` authors instead of `min_authors`.
//! * **Volume bursts** of all mentions and of negative mentions (the
//!   [`crate::volume::BurstDetector`] on `bucket_minutes` buckets) and the
//!   **negative share shift** against the channel's baseline raise the
//!   severity of an open crisis, or raise a `negative_surge` crisis on their
//!   own when negatives also burst in volume and share at once. A volume burst
//!   dominated by positive mentions is a `positive_spike` (`crisis: false`);
//!   other bursts are an informational `volume_spike`.
//! * **One crisis, one alert**: each incident (a topic on a channel) has one
//!   alert id; the alert is emitted again, with the same id, whenever its
//!   severity rises. A negative mention joins the open incident when it
//!   shares its terms (two terms, or one rare term); an unrelated topic that
//!   pages while an incident is open widens it and raises its severity by one
//!   (re-notified at most every `renotify_hours` once at 4). It closes after
//!   `close_after_hours` without negative topic activity.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use firebreak_core::{Alert, AlertKind, Intent, Mention, MentionKind, SentimentLabel};
use firebreak_pipeline::Detector;
use serde::{Deserialize, Serialize};

use crate::text;
use crate::volume::{BurstConfig, BurstDetector};

/// Settings of [`CrisisDetector`]. Defaults are fixed (chosen for the
/// phenomenon, checked on the crisis-scenarios dev set; never per file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectConfig {
    /// Sliding window of the topic detector, minutes.
    pub window_minutes: i64,
    /// Distinct authors of near-duplicate negative mentions needed to page.
    pub min_authors: usize,
    /// Of the linked authors, at least this many (at most all of those
    /// required) must complain about the brand: analysis intent "complaint",
    /// a complaint category or toxicity, in a text that names the channel.
    pub min_complaints: usize,
    /// A term is rare when its expected count in the window (from the
    /// channel's background) is below this.
    pub rare_expected: f64,
    /// Complaints of one analysis category (distinct authors in the window)
    /// that page when that category is usually rare on the channel (same
    /// Poisson and ratio tests as near-duplicates). `usize::MAX` disables.
    pub category_min_authors: usize,
    /// Rare terms two negative mentions must share to be linked by topic.
    pub min_shared_rare_terms: usize,
    /// Replies and reshares per hour that make a negative thread "fast".
    pub thread_velocity: usize,
    /// Hours of a channel's history before it may page (the term background
    /// must be learned first).
    pub warm_up_hours: i64,
    /// The same when a multiplier takes part.
    pub min_authors_amplified: usize,
    /// A multiplier's own complaint about the brand pages alone (one author)
    /// once the channel is warm: a high-reach account complaining in public
    /// is a crisis the team must answer at once. Reach counts, by followers;
    /// a verified badge alone does not.
    #[serde(default)]
    pub multiplier_complaint_pages: bool,
    /// Plain reshares of a parent the stream has not seen are kept this
    /// many per channel; a later negative mention of the same thread (or the
    /// parent itself) links their authors. 0 disables.
    #[serde(default = "default_max_orphan_reshares")]
    pub max_orphan_reshares: usize,
    /// Poisson tail probability below which a term count is a burst.
    pub max_p_value: f64,
    /// A near-duplicate group must also be this many times its expected
    /// count (Poisson tails are over-confident on bursty, overdispersed chatter).
    pub min_excess_ratio: f64,
    /// Prior rate of an unseen term, per hour (keeps new words from looking infinitely surprising).
    pub term_prior_per_hour: f64,
    /// Half-life of the term background, hours.
    pub background_half_life_hours: f64,
    /// Jaccard similarity above which two negative mentions are near-duplicates.
    pub near_duplicate: f64,
    /// Minimum followers of a multiplier.
    pub multiplier_min_followers: u64,
    /// A multiplier has at least this many times the channel's median followers.
    pub multiplier_ratio: f64,
    /// Negative probability (analysis) at or above which a mention is negative.
    pub negative_prob: f32,
    /// Toxicity at or above which a mention is negative.
    pub toxic_prob: f32,
    /// Intent "complaint" at or above this confidence makes a mention
    /// negative whatever its sentiment (a complaint is the unit of a crisis).
    pub complaint_confidence: f32,
    /// Intent "praise" at or above this confidence overrides a negative
    /// sentiment (sarcasm aside, praise is not a complaint).
    pub praise_confidence: f32,
    /// Below this negative probability, a text the lexicon finds only
    /// positive words in is not negative.
    pub lexicon_override_prob: f32,
    /// Bucket of the volume detectors, minutes.
    pub bucket_minutes: i64,
    /// Volume burst settings.
    pub burst: BurstConfig,
    /// Negative mentions in the last hour needed for a volume-only `negative_surge`.
    pub surge_min_negative: usize,
    /// Negative share (last hour) must exceed baseline share by this much for a surge.
    pub share_shift: f64,
    /// Distinct negative authors in an incident for severity 3.
    pub severity3_authors: usize,
    /// Distinct negative authors in an incident for severity 4.
    pub severity4_authors: usize,
    /// An incident closes after this long without negative topic activity.
    pub close_after_hours: i64,
    /// A new topic on an open incident re-emits its alert (same id) at most
    /// this often when the severity cannot rise further.
    pub renotify_hours: i64,
    /// Negative mentions kept per channel for linking (the oldest are dropped
    /// beyond this; bounds the per-mention cost on very busy channels).
    pub max_recent_negatives: usize,
    /// Terms listed in an alert.
    pub max_terms: usize,
    /// Evidence ids listed in an alert.
    pub max_evidence: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            window_minutes: 120,
            min_authors: 3,
            min_complaints: 3,
            rare_expected: 0.1,
            min_shared_rare_terms: 2,
            category_min_authors: 3,
            thread_velocity: 6,
            warm_up_hours: 24,
            min_authors_amplified: 2,
            multiplier_complaint_pages: true,
            max_orphan_reshares: 256,
            max_p_value: 1e-3,
            min_excess_ratio: 4.0,
            term_prior_per_hour: 0.01,
            background_half_life_hours: 48.0,
            near_duplicate: 0.6,
            multiplier_min_followers: 50_000,
            multiplier_ratio: 100.0,
            negative_prob: 0.5,
            toxic_prob: 0.8,
            praise_confidence: 0.5,
            complaint_confidence: 0.6,
            lexicon_override_prob: 0.7,
            bucket_minutes: 5,
            burst: BurstConfig::default(),
            surge_min_negative: 12,
            share_shift: 0.35,
            severity3_authors: 10,
            severity4_authors: 30,
            close_after_hours: 12,
            renotify_hours: 6,
            max_recent_negatives: 256,
            max_terms: 6,
            max_evidence: 10,
        }
    }
}

fn default_max_orphan_reshares() -> usize {
    DetectConfig::default().max_orphan_reshares
}

/// Polarity of one mention as the detector sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

/// Polarity from analysis when present, else from the lexicon.
pub fn polarity(m: &Mention, cfg: &DetectConfig) -> Polarity {
    match &m.analysis {
        Some(a) => {
            let neg_prob = a.sentiment.probs[0];
            let praise = a.intent == Intent::Praise && a.intent_confidence >= cfg.praise_confidence;
            let (lex_neg, lex_pos) = text::lexicon_polarity(&m.text);
            let lexicon_positive =
                lex_pos > 0 && lex_neg == 0 && neg_prob < cfg.lexicon_override_prob;
            let complaint =
                a.intent == Intent::Complaint && a.intent_confidence >= cfg.complaint_confidence;
            // Praise (intent or lexicon) always wins; a positive sentiment
            // label does not outweigh a confident complaint or negative words.
            let positive = praise
                || lexicon_positive
                || (a.sentiment.label == SentimentLabel::Positive && !complaint && lex_neg == 0);
            let negative = !positive
                && (a.sentiment.label == SentimentLabel::Negative
                    || neg_prob >= cfg.negative_prob
                    || a.toxicity.toxic >= cfg.toxic_prob
                    || complaint
                    || lex_neg > lex_pos);
            if negative {
                Polarity::Negative
            } else if positive {
                Polarity::Positive
            } else {
                Polarity::Neutral
            }
        }
        None => {
            let (n, p) = text::lexicon_polarity(&m.text);
            if n > p {
                Polarity::Negative
            } else if p > n {
                Polarity::Positive
            } else {
                Polarity::Neutral
            }
        }
    }
}

#[derive(Debug, Clone)]
struct NegEntry {
    at: DateTime<Utc>,
    id: String,
    author: String,
    terms: Vec<String>,
    /// Hashes of `terms`, sorted: the comparisons against every recent
    /// negative run on these (a merge of two short integer lists).
    keys: Vec<u64>,
    text: String,
    /// The parent (reply or reshare target), if any.
    parent: Option<String>,
    /// A complaint (analysis intent/category/toxicity; always with the lexicon).
    complaint: bool,
    /// Background key of the analysis complaint category, if any.
    category: Option<String>,
}

#[derive(Debug, Clone)]
struct Incident {
    id: String,
    kind: AlertKind,
    severity: u8,
    crisis: bool,
    last_activity: DateTime<Utc>,
    authors: HashSet<String>,
    amplifiers: Vec<String>,
    terms: Vec<String>,
    /// Every term the incident has been paged on (for relatedness).
    topic_terms: HashSet<String>,
    evidence: Vec<String>,
    summary: String,
    dup_max: usize,
    last_emitted: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct ThreadInfo {
    negative: bool,
    /// A complaint about the brand (a plain reshare endorses it).
    complaint: bool,
    terms: Vec<String>,
}

struct Channel {
    name: String,
    /// The words of the channel's own name ("@velora" → "velora"): never a term, since
    /// they say nothing about what a crisis is about.
    name_words: Vec<String>,
    // volume
    bucket: Option<i64>,
    all_count: f64,
    neg_count: f64,
    pos_count: f64,
    all_burst: BurstDetector,
    neg_burst: BurstDetector,
    /// Per-minute (all, negative, positive) counts of the last hour.
    last_hour: VecDeque<(i64, usize, usize, usize)>,
    share_baseline: Option<f64>,
    last_info_alert: Option<DateTime<Utc>>,
    // topic
    recent: VecDeque<NegEntry>,
    /// Plain reshares of parents not seen (yet): (time, mention id, author, parent).
    orphan_reshares: VecDeque<(DateTime<Utc>, String, String, String)>,
    background: HashMap<String, (f64, DateTime<Utc>)>,
    background_total: (f64, DateTime<Utc>),
    /// Per-minute term counts and mention count of the topic window (not yet
    /// in the background).
    all_recent: VecDeque<(i64, HashMap<String, u32>, u32)>,
    /// Mentions in `all_recent`.
    in_window: u64,
    // amplification
    threads: HashMap<String, ThreadInfo>,
    thread_order: VecDeque<(DateTime<Utc>, String)>,
    thread_activity: HashMap<String, VecDeque<DateTime<Utc>>>,
    amplifier_events: VecDeque<(DateTime<Utc>, String)>,
    followers: Vec<u64>,
    median_followers: u64,
    seen: u64,
    /// Mentions whose text names the channel (handle or name).
    named: u64,
    first_seen: Option<DateTime<Utc>>,
    max_time: Option<DateTime<Utc>>,
    incidents: Vec<Incident>,
    incidents_opened: u64,
}

impl Channel {
    fn new(name: &str, cfg: &DetectConfig) -> Self {
        // 1-hour smoothing on the channel's buckets, whatever their size.
        let per_hour = (60 / cfg.bucket_minutes.max(1)).max(1) as usize;
        let burst = BurstConfig {
            smooth_buckets: per_hour,
            buckets_per_day: per_hour * 24,
            ..cfg.burst.clone()
        };
        Channel {
            name: name.to_string(),
            name_words: text::words(name.trim_start_matches(['@', '#'])),
            bucket: None,
            all_count: 0.0,
            neg_count: 0.0,
            pos_count: 0.0,
            all_burst: BurstDetector::new(burst.clone()),
            neg_burst: BurstDetector::new(burst),
            last_hour: VecDeque::new(),
            share_baseline: None,
            last_info_alert: None,
            recent: VecDeque::new(),
            orphan_reshares: VecDeque::new(),
            background: HashMap::new(),
            background_total: (0.0, DateTime::<Utc>::UNIX_EPOCH),
            all_recent: VecDeque::new(),
            in_window: 0,
            threads: HashMap::new(),
            thread_order: VecDeque::new(),
            thread_activity: HashMap::new(),
            amplifier_events: VecDeque::new(),
            followers: Vec::new(),
            median_followers: 0,
            seen: 0,
            named: 0,
            first_seen: None,
            max_time: None,
            incidents: Vec::new(),
            incidents_opened: 0,
        }
    }
}

/// Poisson upper tail P(X ≥ k) for mean `lambda`.
pub fn poisson_tail(k: usize, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let lambda = lambda.max(1e-12);
    // 1 - P(X <= k-1)
    let mut term = (-lambda).exp();
    let mut cdf = term;
    for i in 1..k {
        term *= lambda / i as f64;
        cdf += term;
    }
    (1.0 - cdf).max(0.0).max(term * lambda / k as f64)
}

/// The composite crisis detector (see the module docs).
pub struct CrisisDetector {
    cfg: DetectConfig,
    channels: HashMap<String, Channel>,
}

impl Default for CrisisDetector {
    fn default() -> Self {
        CrisisDetector::new(DetectConfig::default())
    }
}

impl CrisisDetector {
    /// A detector with the given settings.
    pub fn new(cfg: DetectConfig) -> Self {
        CrisisDetector {
            cfg,
            channels: HashMap::new(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }
}

fn decay(value: f64, from: DateTime<Utc>, to: DateTime<Utc>, half_life_h: f64) -> f64 {
    let dt = (to - from).num_seconds().max(0) as f64 / 3600.0;
    value * 0.5f64.powf(dt / half_life_h.max(0.01))
}

impl Detector for CrisisDetector {
    fn name(&self) -> &'static str {
        "crisis"
    }

    fn observe(&mut self, m: &Mention, alerts: &mut Vec<Alert>) {
        // The brand speaking on its own channel (its replies and statements)
        // is neither a complaint nor an amplifier of one.
        if is_own_account(m) {
            return;
        }
        let cfg = &self.cfg;
        let ch = self
            .channels
            .entry(m.channel.as_str().to_string())
            .or_insert_with(|| Channel::new(m.channel.as_str(), cfg));
        observe_channel(cfg, ch, m, alerts);
    }
}

/// A new, empty crisis incident on `ch`, numbered in the channel's sequence.
fn open_incident(ch: &mut Channel, now: DateTime<Utc>, severity: u8) -> Incident {
    ch.incidents_opened += 1;
    Incident {
        id: format!(
            "{}:crisis:{}:{}",
            ch.name,
            now.format("%Y%m%dT%H%M%SZ"),
            ch.incidents_opened
        ),
        kind: AlertKind::NegativeSurge,
        severity,
        crisis: true,
        last_activity: now,
        authors: HashSet::new(),
        amplifiers: Vec::new(),
        terms: Vec::new(),
        evidence: Vec::new(),
        summary: String::new(),
        dup_max: 0,
        topic_terms: HashSet::new(),
        last_emitted: now,
    }
}

fn term_key(term: &str) -> u64 {
    // FNV-1a: stable, fast, and collisions between a mention's few terms are
    // vanishingly rare.
    term.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The sorted, deduplicated keys of `terms`.
fn term_keys(terms: &[String]) -> Vec<u64> {
    let mut keys: Vec<u64> = terms.iter().map(|t| term_key(t)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Jaccard similarity of two sorted key lists.
fn jaccard_keys(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Whether the author is the channel's own account: its handle is the
/// channel (`@velora` writing on `@velora`), compared without case and `@`.
pub fn is_own_account(m: &Mention) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('@').to_lowercase();
    let channel = norm(m.channel.as_str());
    !channel.is_empty()
        && (m.author.handle.as_deref().map(norm).as_deref() == Some(channel.as_str())
            || norm(m.author.id.as_str()) == channel)
}

/// Whether `text` names the channel (its handle, with or without `@`, any case).
pub fn names_channel(text: &str, channel: &str) -> bool {
    let handle = channel.trim().trim_start_matches('@');
    if handle.is_empty() {
        return true;
    }
    let hb = handle.as_bytes();
    text.as_bytes()
        .windows(hb.len())
        .any(|w| w.eq_ignore_ascii_case(hb))
}

fn is_multiplier(cfg: &DetectConfig, ch: &Channel, followers: u64, verified: bool) -> bool {
    let by_ratio = (ch.median_followers.max(1) as f64 * cfg.multiplier_ratio) as u64;
    verified || followers >= cfg.multiplier_min_followers.max(by_ratio)
}

fn observe_channel(cfg: &DetectConfig, ch: &mut Channel, m: &Mention, alerts: &mut Vec<Alert>) {
    // Event time; a late mention counts at the latest time seen.
    let now = match ch.max_time {
        Some(t) if t > m.created_at => t,
        _ => m.created_at,
    };
    ch.max_time = Some(now);
    ch.first_seen.get_or_insert(now);
    ch.seen += 1;

    // Followers median (reservoir of the first 1000, then every 10th).
    if ch.followers.len() < 1000 || ch.seen.rem_euclid(10) == 0 {
        if ch.followers.len() >= 1000 {
            let i = (ch.seen as usize / 10) % 1000;
            ch.followers[i] = m.author.followers;
        } else {
            ch.followers.push(m.author.followers);
        }
        if ch.seen.rem_euclid(50) == 1 || ch.followers.len() < 50 {
            let mut f = ch.followers.clone();
            f.sort_unstable();
            ch.median_followers = f[f.len() / 2];
        }
    }

    // Thread context.
    let parent = m
        .reshare_of
        .as_ref()
        .or(m.in_reply_to.as_ref())
        .map(|p| p.as_str().to_string());
    let parent_info = parent.as_ref().and_then(|p| ch.threads.get(p).cloned());
    let mut pol = polarity(m, cfg);
    let mut complaint = match &m.analysis {
        Some(a) => {
            a.intent == Intent::Complaint
                || a.category.is_some()
                || a.toxicity.toxic >= cfg.toxic_prob
        }
        None => true,
    };
    // A complaint is about the brand: it names the channel (a plain reshare
    // inherits below). Posts that merely land in the channel's stream
    // (keyword matches, side conversations) do not count as complaints.
    // Only where the channel's mentions usually name it (a handle-addressed
    // stream, not an opaque channel id).
    let named = names_channel(&m.text, &ch.name);
    ch.named += u64::from(named);
    let addressed_stream = ch.seen < 100 || ch.named * 5 >= ch.seen;
    complaint = complaint && (named || !addressed_stream);
    // A plain reshare carries what it reshares: the parent when known, else
    // the thread's negative replies seen so far.
    let mut inherited_terms: Option<Vec<String>> = None;
    if m.kind == MentionKind::Reshare && m.text.trim().is_empty() {
        pol = Polarity::Neutral;
        match &parent_info {
            Some(p) if p.negative => {
                pol = Polarity::Negative;
                inherited_terms = Some(p.terms.clone());
                complaint = p.complaint;
            }
            Some(_) => {}
            None => {
                if let Some(e) = ch
                    .recent
                    .iter()
                    .find(|e| e.parent.is_some() && e.parent == parent)
                {
                    pol = Polarity::Negative;
                    inherited_terms = Some(e.terms.clone());
                    complaint = e.complaint;
                }
            }
        }
    }
    let negative = pol == Polarity::Negative;
    // A plain reshare of a post the stream has not seen (and no negative
    // reply of whose thread it could inherit yet) waits: a later negative
    // reply in the same thread, or the parent itself, links its author.
    if !negative
        && cfg.max_orphan_reshares > 0
        && m.kind == MentionKind::Reshare
        && m.text.trim().is_empty()
        && parent_info.is_none()
    {
        if let Some(p) = &parent {
            if ch.orphan_reshares.len() >= cfg.max_orphan_reshares {
                ch.orphan_reshares.pop_front();
            }
            ch.orphan_reshares.push_back((
                now,
                m.id.as_str().to_string(),
                m.author.id.as_str().to_string(),
                p.clone(),
            ));
        }
    }
    let multiplier = is_multiplier(cfg, ch, m.author.followers, m.author.verified);

    // Remember this mention as a possible thread root (with its terms when negative).
    let terms = match inherited_terms {
        Some(t) => t,
        None => {
            let mut t = text::content_terms(&m.text);
            t.retain(|w| !ch.name_words.contains(w));
            t
        }
    };
    ch.threads.insert(
        m.id.as_str().to_string(),
        ThreadInfo {
            negative,
            complaint: negative && complaint,
            terms: if negative { terms.clone() } else { Vec::new() },
        },
    );
    ch.thread_order.push_back((now, m.id.as_str().to_string()));
    while let Some((t, id)) = ch.thread_order.front() {
        if now - *t > chrono::Duration::hours(48) || ch.thread_order.len() > 200_000 {
            ch.threads.remove(id);
            ch.thread_activity.remove(id);
            ch.thread_order.pop_front();
        } else {
            break;
        }
    }

    // Amplification of a negative thread.
    let mut amplified = false;
    let mut thread_velocity = 0usize;
    if let (Some(p), Some(info)) = (parent.as_ref(), parent_info.as_ref()) {
        let act = ch.thread_activity.entry(p.clone()).or_default();
        act.push_back(now);
        while let Some(t) = act.front() {
            if now - *t > chrono::Duration::hours(1) {
                act.pop_front();
            } else {
                break;
            }
        }
        if info.negative {
            thread_velocity = act.len();
            if multiplier {
                amplified = true;
            }
        }
    }
    if multiplier && negative {
        amplified = true;
    }
    if amplified {
        ch.amplifier_events
            .push_back((now, m.author.id.as_str().to_string()));
        if ch.amplifier_events.len() > 1000 {
            ch.amplifier_events.pop_front();
        }
    }

    // Volume buckets.
    volume_step(cfg, ch, m, now, pol, alerts);

    // Topic: expire old negatives, feeding the term background.
    let window = chrono::Duration::minutes(cfg.window_minutes);
    let minute_now = now.timestamp().div_euclid(60);
    while ch
        .all_recent
        .front()
        .map(|b| (minute_now - b.0) * 60 > cfg.window_minutes * 60)
        .unwrap_or(false)
    {
        if let Some((minute, terms, count)) = ch.all_recent.pop_front() {
            let t = DateTime::<Utc>::from_timestamp(minute * 60, 0).unwrap_or(now);
            ch.in_window = ch.in_window.saturating_sub(u64::from(count));
            let hl = cfg.background_half_life_hours;
            let tot = &mut ch.background_total;
            tot.0 = decay(tot.0, tot.1, t, hl) + f64::from(count);
            tot.1 = t;
            for (term, c) in terms {
                let e = ch.background.entry(term).or_insert((0.0, t));
                e.0 = decay(e.0, e.1, t, hl) + f64::from(c);
                e.1 = t;
            }
        }
    }
    while let Some(e) = ch.recent.front() {
        if now - e.at > window {
            ch.recent.pop_front();
        } else {
            break;
        }
    }
    while let Some(e) = ch.orphan_reshares.front() {
        if now - e.0 > window {
            ch.orphan_reshares.pop_front();
        } else {
            break;
        }
    }
    // The complaint category (analysis) is tracked like a term: a burst of
    // complaints of a category that is usually rare on this channel links them.
    let category = m
        .analysis
        .as_ref()
        .and_then(|a| a.category)
        .map(|c| format!("#category:{}", c.as_str()));
    let mut bg_terms = terms.clone();
    if let Some(c) = &category {
        bg_terms.push(c.clone());
    }
    match ch.all_recent.back_mut() {
        Some(b) if b.0 == minute_now => b.2 += 1,
        _ => ch.all_recent.push_back((minute_now, HashMap::new(), 1)),
    }
    if let Some(b) = ch.all_recent.back_mut() {
        for t in bg_terms {
            *b.1.entry(t).or_default() += 1;
        }
    }
    ch.in_window += 1;
    if ch.background.len() > 200_000 {
        let hl = cfg.background_half_life_hours;
        ch.background
            .retain(|_, (v, t)| decay(*v, *t, now, hl) > 0.05);
    }

    // Close stale incidents.
    let close = chrono::Duration::hours(cfg.close_after_hours);
    ch.incidents.retain(|inc| now - inc.last_activity <= close);

    if !negative {
        return;
    }
    if terms.is_empty() {
        return;
    }
    let author = m.author.id.as_str().to_string();
    // Topic support among recent negatives of other authors.
    let warm = now - ch.first_seen.unwrap_or(now) >= chrono::Duration::hours(cfg.warm_up_hours);
    let hours = cfg.window_minutes as f64 / 60.0;
    let hl = cfg.background_half_life_hours;
    // The background covers the channel's history before the window; its
    // effective length (hours) under the exponential decay normalises counts to rates.
    let covered_h =
        ((now - ch.first_seen.unwrap_or(now)).num_seconds() as f64 / 3600.0 - hours).max(1.0);
    let effective_h = hl / std::f64::consts::LN_2 * (1.0 - 0.5f64.powf(covered_h / hl));
    // A term's expected count in the window: its share of the channel's
    // background times the mentions in the window (robust to daily cycles
    // and growth), never less than the prior rate.
    let total_bg = decay(ch.background_total.0, ch.background_total.1, now, hl);
    let in_window = ch.in_window as f64;
    let expected = |term: &String| -> f64 {
        let bg = ch
            .background
            .get(term)
            .map(|(v, t)| decay(*v, *t, now, hl))
            .unwrap_or(0.0);
        let by_share = if total_bg > 0.0 {
            bg / total_bg * in_window
        } else {
            0.0
        };
        let by_rate = bg / effective_h * hours;
        by_share.max(by_rate) + cfg.term_prior_per_hour * hours
    };
    let rare_terms: Vec<String> = terms
        .iter()
        .filter(|t| expected(t) < cfg.rare_expected)
        .cloned()
        .collect();
    let mut dup_authors: HashSet<&str> = HashSet::new();
    let mut topic_authors: HashSet<&str> = HashSet::new();
    let mut support: Vec<(bool, &NegEntry)> = Vec::new();
    let mut shared_freq: HashMap<&String, usize> = HashMap::new();
    let mut category_authors: HashSet<&str> = HashSet::new();
    let keys = term_keys(&terms);
    let rare_keys = term_keys(&rare_terms);
    for e in ch.recent.iter() {
        if e.author == author {
            continue;
        }
        let dup = jaccard_keys(&e.keys, &keys) >= cfg.near_duplicate;
        let mut shared: Vec<&String> = if rare_keys.is_empty() {
            Vec::new()
        } else {
            e.terms
                .iter()
                .filter(|t| rare_keys.binary_search(&term_key(t)).is_ok())
                .collect()
        };
        if shared.len() < cfg.min_shared_rare_terms {
            shared.clear();
        }
        let same_thread = (parent.is_some() && e.parent == parent)
            || parent.as_deref() == Some(e.id.as_str())
            || e.parent.as_deref() == Some(m.id.as_str());
        if dup {
            dup_authors.insert(e.author.as_str());
        }
        let same_category =
            category.is_some() && e.category == category && complaint && e.complaint;
        if same_category {
            category_authors.insert(e.author.as_str());
        }
        let linked = dup || !shared.is_empty() || same_thread || same_category;
        if !shared.is_empty() || same_thread {
            topic_authors.insert(e.author.as_str());
            for t in shared {
                *shared_freq.entry(t).or_default() += 1;
            }
        }
        if linked {
            support.push((dup, e));
        }
    }
    // Plain reshares of this thread's unseen parent (or of this very
    // mention, seen before it) endorse it: same thread, and complaints when
    // this mention complains (as a reshare arriving later would inherit).
    let mut orphans: Vec<(&str, &str)> = Vec::new();
    for (_, id, a, p) in ch.orphan_reshares.iter() {
        if *a != author && (parent.as_deref() == Some(p.as_str()) || p == m.id.as_str()) {
            topic_authors.insert(a.as_str());
            orphans.push((id.as_str(), a.as_str()));
        }
    }
    // A near-duplicate group is only news if its rarest word is rare here:
    // routine complaints repeat every day and are part of the baseline.
    let template_lambda = terms.iter().map(&expected).fold(f64::INFINITY, f64::min);
    let dup_raw = dup_authors.len() + 1;
    let dup_n = if template_lambda < cfg.rare_expected
        && poisson_tail(dup_raw, template_lambda) < cfg.max_p_value
        && dup_raw as f64 >= cfg.min_excess_ratio * template_lambda
    {
        dup_raw
    } else {
        1
    };
    let amplified_now = amplified
        || thread_velocity >= cfg.thread_velocity
        || ch.amplifier_events.iter().any(|(t, _)| now - *t <= window);
    // Linked authors: near-duplicates of a rare template, sharers of a rare
    // term, or members of the same thread.
    let linked: HashSet<&str> = if dup_n > 1 {
        dup_authors.union(&topic_authors).copied().collect()
    } else {
        topic_authors.clone()
    };
    let linked_n = linked.len() + 1;
    let mut complaining: HashSet<&str> = support
        .iter()
        .filter(|(_, e)| e.complaint && linked.contains(e.author.as_str()))
        .map(|(_, e)| e.author.as_str())
        .collect();
    if complaint {
        complaining.extend(orphans.iter().map(|(_, a)| *a));
    }
    let complaints = complaining.len() + usize::from(complaint);
    let category_n = category_authors.len() + 1;
    let category_burst = match &category {
        Some(c) if category_n >= cfg.category_min_authors => {
            let lambda = expected(c);
            poisson_tail(category_n, lambda) < cfg.max_p_value
                && category_n as f64 >= cfg.min_excess_ratio * lambda
        }
        _ => false,
    };
    // Linked authors needed: fewer when a multiplier or a fast thread
    // amplifies the topic; of those, `min_complaints` (at most all of them)
    // must complain about the brand.
    // A multiplier by reach (not by a badge alone) complaining in public.
    let reach_complaint = complaint && is_multiplier(cfg, ch, m.author.followers, false);
    let need = if cfg.multiplier_complaint_pages && reach_complaint {
        1
    } else if amplified_now {
        cfg.min_authors_amplified.min(cfg.min_authors)
    } else {
        cfg.min_authors
    };
    let pages = warm
        && (category_burst || (linked_n >= need && complaints >= cfg.min_complaints.min(need)));
    // Terms of this mention ranked: shared rare terms by support, then the rest.
    let mut my_terms: Vec<(usize, usize, String)> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| (shared_freq.get(t).copied().unwrap_or(0), i, t.clone()))
        .collect();
    my_terms.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut ranked_terms: Vec<String> = my_terms.into_iter().map(|x| x.2).collect();
    // Linked by complaint category alone (no shared term, no near-duplicate, no thread),
    // this mention's words may say nothing about the crisis: the terms its support shares
    // (carried by two or more of them, and rare on the channel) name it instead.
    if topic_authors.is_empty() && dup_n <= 1 && !support.is_empty() {
        let mut carried: Vec<(usize, usize, &String)> = Vec::new();
        for (order, (_, e)) in support.iter().enumerate() {
            for t in &e.terms {
                match carried.iter_mut().find(|c| c.2 == t) {
                    Some(c) => c.0 += 1,
                    None => carried.push((1, order, t)),
                }
            }
        }
        // Rare here, like any topic term: background subjects recur among complaints too.
        carried.retain(|c| c.0 >= 2 && expected(c.2) < cfg.rare_expected);
        carried.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        // Its own words stay out of the incident's terms (they may be about anything).
        if !carried.is_empty() {
            ranked_terms = carried.into_iter().map(|c| c.2.clone()).collect();
        }
    }
    let mut support_ids: Vec<(bool, String, String)> = support
        .iter()
        .map(|(d, e)| (*d, e.id.clone(), e.text.clone()))
        .collect();
    support_ids.sort_by_key(|b| std::cmp::Reverse(b.0));
    support_ids.extend(
        orphans
            .iter()
            .map(|(id, _)| (false, id.to_string(), String::new())),
    );
    let mut support_authors: Vec<String> = support.iter().map(|(_, e)| e.author.clone()).collect();
    support_authors.extend(orphans.iter().map(|(_, a)| a.to_string()));
    // A near-duplicate, else (when the top term is not this mention's) a supporter's text
    // that carries the top term, else this mention.
    let example = support
        .iter()
        .find(|(d, _)| *d)
        .or_else(|| {
            let top = ranked_terms.first().filter(|t| !terms.contains(t))?;
            support.iter().find(|(_, e)| e.terms.contains(top))
        })
        .map(|(_, e)| e.text.clone())
        .unwrap_or_else(|| m.text.clone());
    if ch.recent.len() >= cfg.max_recent_negatives {
        ch.recent.pop_front();
    }
    ch.recent.push_back(NegEntry {
        at: now,
        id: m.id.as_str().to_string(),
        author: author.clone(),
        terms: terms.clone(),
        keys: term_keys(&terms),
        text: m.text.clone(),
        parent: parent.clone(),
        complaint,
        category: category.clone(),
    });

    // The open incident this mention belongs to (same topic), if any.
    let related = ch.incidents.iter().position(|inc| {
        let shared = terms
            .iter()
            .filter(|t| inc.topic_terms.contains(*t))
            .count();
        shared >= 2
            || terms
                .iter()
                .any(|t| inc.topic_terms.contains(t) && rare_terms.contains(t))
    });
    if !pages && related.is_none() {
        return;
    }
    let recent_amps: Vec<String> = ch
        .amplifier_events
        .iter()
        .filter(|(t, _)| now - *t <= window)
        .map(|(_, a)| a.clone())
        .collect();
    // One incident per channel at a time: a second topic that pages while
    // one is open widens and escalates it instead of paging separately.
    let mut new_topic = false;
    let idx = match related {
        Some(i) => i,
        None if !ch.incidents.is_empty() => {
            new_topic = true;
            ch.incidents.len() - 1
        }
        None => {
            let inc = open_incident(ch, now, 0);
            if ch.incidents.len() >= 8 {
                ch.incidents.remove(0);
            }
            ch.incidents.push(inc);
            ch.incidents.len() - 1
        }
    };
    let Some(inc) = ch.incidents.get_mut(idx) else {
        return;
    };
    inc.last_activity = now;
    inc.authors.insert(author.clone());
    if pages {
        inc.authors.extend(support_authors);
        inc.dup_max = inc.dup_max.max(dup_n);
    }
    if pages && inc.topic_terms.len() < 500 {
        inc.topic_terms
            .extend(ranked_terms.iter().take(cfg.max_terms).cloned());
    }
    for t in ranked_terms {
        if inc.terms.len() < cfg.max_terms && !inc.terms.contains(&t) {
            inc.terms.push(t);
        }
    }
    if inc.evidence.len() < cfg.max_evidence && !inc.evidence.iter().any(|e| e == m.id.as_str()) {
        inc.evidence.push(m.id.as_str().to_string());
    }
    for (_, id, _) in support_ids {
        if inc.evidence.len() < cfg.max_evidence && !inc.evidence.contains(&id) {
            inc.evidence.push(id);
        }
    }
    if amplified_now {
        for a in recent_amps {
            if !inc.amplifiers.contains(&a) {
                inc.amplifiers.push(a);
            }
        }
    }
    let n_auth = inc.authors.len();
    let mut severity: u8 = 2;
    if n_auth >= cfg.severity3_authors || !inc.amplifiers.is_empty() {
        severity = 3;
    }
    if n_auth >= cfg.severity4_authors
        || (!inc.amplifiers.is_empty() && n_auth >= cfg.severity3_authors)
    {
        severity = 4;
    }
    if new_topic && inc.severity > 0 {
        severity = severity.max((inc.severity + 1).min(4));
    }
    if !inc.amplifiers.is_empty() {
        inc.kind = AlertKind::Amplification;
    }
    // Emit when the severity rises, or when a new topic widens an incident
    // that has not been re-notified for `renotify_hours`.
    let renotify =
        new_topic && now - inc.last_emitted > chrono::Duration::hours(cfg.renotify_hours);
    if severity > inc.severity || renotify {
        inc.severity = severity.max(inc.severity);
        inc.last_emitted = now;
        let mut summary = format!(
            "{} authors complain about {} on {}",
            n_auth,
            inc.terms
                .iter()
                .take(4)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            ch.name
        );
        if inc.dup_max >= 2 {
            summary.push_str(&format!(
                "; up to {} near-identical complaints",
                inc.dup_max
            ));
        }
        if !inc.amplifiers.is_empty() {
            summary.push_str(&format!(
                "; amplified by {} high-reach account(s)",
                inc.amplifiers.len()
            ));
        }
        let example: String = example.chars().take(140).collect();
        summary.push_str(&format!(", e.g. \"{}\"", example.trim()));
        inc.summary = summary;
        alerts.push(incident_alert(inc, m, ""));
    }
}

fn volume_step(
    cfg: &DetectConfig,
    ch: &mut Channel,
    m: &Mention,
    now: DateTime<Utc>,
    pol: Polarity,
    alerts: &mut Vec<Alert>,
) {
    let bsecs = cfg.bucket_minutes.max(1) * 60;
    let b = now.timestamp().div_euclid(bsecs);
    let mut fired_all = false;
    let mut fired_neg = false;
    match ch.bucket {
        None => ch.bucket = Some(b),
        Some(cur) if b > cur => {
            // Close the current bucket and any empty ones in between (at most two days' worth).
            let gap = (b - cur).min(2 * 24 * 3600 / bsecs);
            for i in 0..gap {
                let (a, n) = if i == 0 {
                    (ch.all_count, ch.neg_count)
                } else {
                    (0.0, 0.0)
                };
                fired_all |= ch.all_burst.push(a).detection;
                fired_neg |= ch.neg_burst.push(n).detection;
            }
            ch.all_count = 0.0;
            ch.neg_count = 0.0;
            ch.pos_count = 0.0;
            ch.bucket = Some(b);
        }
        _ => {}
    }
    ch.all_count += 1.0;
    match pol {
        Polarity::Negative => ch.neg_count += 1.0,
        Polarity::Positive => ch.pos_count += 1.0,
        Polarity::Neutral => {}
    }
    // Early firing inside a bucket (latency): peek at the partial bucket.
    if !ch.all_burst.warming_up()
        && !ch.all_burst.held_off()
        && ch.all_burst.peek(ch.all_count) > ch.all_burst.threshold()
    {
        fired_all = true;
    }
    if !ch.neg_burst.warming_up()
        && !ch.neg_burst.held_off()
        && ch.neg_burst.peek(ch.neg_count) > ch.neg_burst.threshold()
    {
        fired_neg = true;
    }
    let minute = now.timestamp().div_euclid(60);
    match ch.last_hour.back_mut() {
        Some(b) if b.0 == minute => b.1 += 1,
        _ => ch.last_hour.push_back((minute, 1, 0, 0)),
    }
    if let Some(b) = ch.last_hour.back_mut() {
        match pol {
            Polarity::Negative => b.2 += 1,
            Polarity::Positive => b.3 += 1,
            Polarity::Neutral => {}
        }
    }
    while ch
        .last_hour
        .front()
        .map(|b| minute - b.0 >= 60)
        .unwrap_or(false)
    {
        ch.last_hour.pop_front();
    }
    let (n, neg, pos) = ch
        .last_hour
        .iter()
        .fold((0, 0, 0), |acc, b| (acc.0 + b.1, acc.1 + b.2, acc.2 + b.3));
    let share = if n > 0 { neg as f64 / n as f64 } else { 0.0 };
    let base = *ch.share_baseline.get_or_insert(share);
    if !fired_all && !fired_neg {
        // Baseline share learns only outside bursts.
        ch.share_baseline = Some(base + 0.002 * (share - base));
    }
    let cooldown_ok = ch
        .last_info_alert
        .map(|t| now - t > chrono::Duration::hours(6))
        .unwrap_or(true);
    let warm = ch
        .first_seen
        .map(|f| now - f > chrono::Duration::hours(12))
        .unwrap_or(false);
    if !warm {
        return;
    }
    if fired_neg && neg >= cfg.surge_min_negative && share - base >= cfg.share_shift {
        // Negative volume and share both burst: escalate an open incident or open one.
        if let Some(inc) = ch.incidents.iter_mut().max_by_key(|i| i.last_activity) {
            inc.last_activity = now;
            if inc.severity < 4 {
                inc.severity += 1;
                alerts.push(incident_alert(
                    inc,
                    m,
                    &format!(
                        "{neg} negative mentions in the last hour ({:.0}% vs {:.0}% usual)",
                        share * 100.0,
                        base * 100.0
                    ),
                ));
            }
        } else {
            let inc = Incident {
                amplifiers: ch.amplifier_events.iter().map(|(_, a)| a.clone()).collect(),
                terms: top_negative_terms(ch, cfg.max_terms),
                evidence: ch
                    .recent
                    .iter()
                    .rev()
                    .take(cfg.max_evidence)
                    .map(|e| e.id.clone())
                    .collect(),
                ..open_incident(ch, now, 2)
            };
            let summary = format!(
                "negative surge on {}: {neg} negative mentions in the last hour ({:.0}% vs {:.0}% usual), about {}",
                ch.name,
                share * 100.0,
                base * 100.0,
                inc.terms.join(", ")
            );
            let inc = Incident { summary, ..inc };
            alerts.push(incident_alert(&inc, m, ""));
            ch.incidents.push(inc);
        }
        return;
    }
    if fired_all && cooldown_ok {
        ch.last_info_alert = Some(now);
        let (kind, what) = if pos > neg && pos * 2 >= n {
            (AlertKind::PositiveSpike, "positive spike")
        } else {
            (AlertKind::VolumeSpike, "volume spike")
        };
        let mut freq: HashMap<String, usize> = HashMap::new();
        for (_, terms, _) in ch.all_recent.iter().rev().take(10) {
            for (t, c) in terms {
                if !t.starts_with('#') {
                    *freq.entry(t.clone()).or_default() += *c as usize;
                }
            }
        }
        let mut ranked: Vec<(String, usize)> = freq.into_iter().filter(|(_, c)| *c >= 3).collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let terms: Vec<String> = ranked
            .into_iter()
            .take(cfg.max_terms)
            .map(|x| x.0)
            .collect();
        alerts.push(Alert {
            id: format!(
                "{}:{}:{}",
                ch.name,
                kind.as_str(),
                now.format("%Y%m%dT%H%M%SZ")
            ),
            raised_at: m.created_at,
            channel: m.channel.clone(),
            kind,
            crisis: false,
            severity: 1,
            summary: format!(
                "{what} on {}: {n} mentions in the last hour ({pos} positive, {neg} negative)",
                ch.name
            ),
            terms,
            evidence: vec![m.id.clone()],
            amplifiers: Vec::new(),
        });
    }
}

fn top_negative_terms(ch: &Channel, max: usize) -> Vec<String> {
    let mut freq: HashMap<&String, usize> = HashMap::new();
    for e in &ch.recent {
        for t in &e.terms {
            *freq.entry(t).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&String, usize)> = freq.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.into_iter().take(max).map(|x| x.0.clone()).collect()
}

fn incident_alert(inc: &Incident, m: &Mention, extra: &str) -> Alert {
    let summary = if extra.is_empty() {
        inc.summary.clone()
    } else {
        format!("{}; {}", inc.summary, extra)
    };
    Alert {
        id: inc.id.clone(),
        raised_at: m.created_at,
        channel: m.channel.clone(),
        kind: inc.kind,
        crisis: inc.crisis,
        severity: inc.severity,
        summary,
        terms: inc.terms.clone(),
        evidence: inc.evidence.iter().map(|e| e.as_str().into()).collect(),
        amplifiers: inc.amplifiers.iter().map(|a| a.as_str().into()).collect(),
    }
}

#[cfg(test)]
mod own_account_tests {
    use super::*;
    use firebreak_core::{Author, AuthorId, ChannelId, MentionId, MentionKind};

    fn by(handle: &str, id: &str) -> Mention {
        Mention {
            id: MentionId::new("x:1"),
            platform: "x".parse().expect("platform"),
            channel: ChannelId::new("@Velora"),
            kind: MentionKind::Reply,
            created_at: chrono::DateTime::from_timestamp(0, 0).expect("time"),
            author: Author {
                id: AuthorId::new(id),
                handle: Some(handle.into()),
                followers: 48_000,
                verified: true,
            },
            text: "We are sorry, please DM us".into(),
            lang: None,
            in_reply_to: None,
            reshare_of: None,
            url: None,
            analysis: None,
        }
    }

    #[test]
    fn the_brand_writing_on_its_own_channel_is_recognised() {
        assert!(is_own_account(&by("@velora", "123")));
        assert!(is_own_account(&by("someone", "velora")));
        assert!(!is_own_account(&by("@velora_fan", "u1")));
    }

    #[test]
    fn the_brand_never_raises_an_alert_on_its_own_channel() {
        let mut d = CrisisDetector::default();
        let mut alerts = Vec::new();
        for i in 0..500 {
            let mut m = by("@velora", "velora");
            m.id = MentionId::new(format!("x:{i}"));
            m.created_at = chrono::DateTime::from_timestamp(i * 10, 0).expect("time");
            m.text = "terrible broken dangerous recall".into();
            d.observe(&m, &mut alerts);
        }
        assert!(alerts.is_empty(), "{alerts:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    struct Stream {
        det: CrisisDetector,
        alerts: Vec<Alert>,
        n: u64,
    }

    impl Stream {
        fn new() -> Self {
            Stream {
                det: CrisisDetector::default(),
                alerts: Vec::new(),
                n: 0,
            }
        }

        #[allow(clippy::too_many_arguments)]
        fn push(
            &mut self,
            minute: i64,
            author: &str,
            followers: u64,
            text: &str,
            kind: &str,
            reshare_of: Option<&str>,
        ) -> String {
            self.n += 1;
            let id = format!("x:{}", self.n);
            let at = Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default()
                + chrono::Duration::minutes(minute);
            let v = serde_json::json!({
                "id": id, "platform": "x", "channel": "@brand", "kind": kind,
                "created_at": at.to_rfc3339(),
                "author": {"id": author, "followers": followers, "verified": false},
                "text": text, "reshare_of": reshare_of,
            });
            let m = firebreak_core::wire::decode_json_str(&v.to_string())
                .unwrap_or_else(|e| panic!("{e}"));
            self.det.observe(&m, &mut self.alerts);
            id
        }

        /// Two days of varied, unrelated chatter, six mentions an hour.
        fn background(&mut self, from_min: i64, to_min: i64) {
            let mut i = from_min;
            let mut k = 0u64;
            while i < to_min {
                k += 1;
                let text = format!(
                    "talking about topic{} and thing{} today",
                    k % 97,
                    (k * 7) % 89
                );
                self.push(i, &format!("bg{k}"), 100, &text, "mention", None);
                i += 10;
            }
        }

        fn crisis_alerts(&self) -> Vec<&Alert> {
            self.alerts.iter().filter(|a| a.crisis).collect()
        }
    }

    #[test]
    fn near_duplicate_complaints_page_once_then_escalate_with_the_same_id() {
        let mut s = Stream::new();
        s.background(0, 48 * 60);
        assert!(s.crisis_alerts().is_empty(), "quiet chatter must not page");
        let t0 = 48 * 60;
        s.push(
            t0,
            "c1",
            50,
            "the parcel never arrived, terrible service",
            "mention",
            None,
        );
        s.push(
            t0 + 10,
            "c2",
            80,
            "my parcel never arrived either, terrible",
            "mention",
            None,
        );
        assert!(
            s.crisis_alerts().is_empty(),
            "two complaints are not yet a crisis"
        );
        s.push(
            t0 + 20,
            "c3",
            30,
            "parcel never arrived. terrible!",
            "mention",
            None,
        );
        let first = s.crisis_alerts();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].severity, 2);
        assert!(
            first[0].terms.iter().any(|t| t == "parcel"),
            "{:?}",
            first[0].terms
        );
        assert_eq!(first[0].evidence.len(), 3);
        let id = first[0].id.clone();
        for i in 0..12 {
            s.push(
                t0 + 25 + i,
                &format!("d{i}"),
                40,
                "parcel never arrived, terrible company",
                "mention",
                None,
            );
        }
        let all = s.crisis_alerts();
        assert!(all.len() >= 2, "escalation expected");
        assert!(all.iter().all(|a| a.id == id), "one incident, one id");
        let sev: Vec<u8> = all.iter().map(|a| a.severity).collect();
        assert!(
            sev.windows(2).all(|w| w[1] > w[0]),
            "severity only rises: {sev:?}"
        );
    }

    #[test]
    fn a_multiplier_resharing_a_complaint_pages_with_two_authors_and_is_named() {
        let mut s = Stream::new();
        s.background(0, 30 * 60);
        let t0 = 30 * 60;
        let root = s.push(
            t0,
            "c1",
            50,
            "the charger burned in my hands, dangerous",
            "post",
            None,
        );
        s.push(
            t0 + 5,
            "c2",
            70,
            "charger burned here too, dangerous product",
            "mention",
            None,
        );
        assert!(s.crisis_alerts().is_empty());
        s.push(t0 + 6, "star", 2_000_000, "", "reshare", Some(&root));
        let a = s.crisis_alerts();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].kind, AlertKind::Amplification);
        assert_eq!(a[0].amplifiers.len(), 1);
        assert_eq!(a[0].amplifiers[0].as_str(), "star");
        assert!(a[0].severity >= 3);
    }

    #[test]
    fn a_multiplier_complaining_pages_alone_but_an_ordinary_author_or_a_badge_does_not() {
        let complaint = "@brand your agent called me an idiot, rude and disgraceful";
        // An ordinary author complaining alone does not page.
        let mut ordinary = Stream::new();
        ordinary.background(0, 30 * 60);
        ordinary.push(30 * 60, "joe", 300, complaint, "post", None);
        assert!(ordinary.crisis_alerts().is_empty());
        // A multiplier praising the brand is no crisis.
        let mut s = Stream::new();
        s.background(0, 30 * 60);
        s.push(
            30 * 60 + 10,
            "fan",
            2_000_000,
            "love @brand, brilliant service",
            "post",
            None,
        );
        assert!(s.crisis_alerts().is_empty());
        let mut badge = Stream::new();
        badge.background(0, 30 * 60);
        let at = Utc
            .with_ymd_and_hms(2026, 1, 2, 6, 20, 0)
            .single()
            .unwrap_or_default();
        let v = serde_json::json!({
            "id": "x:badge", "platform": "x", "channel": "@brand", "kind": "post",
            "created_at": at.to_rfc3339(),
            "author": {"id": "blue", "followers": 900, "verified": true},
            "text": complaint,
        });
        let m =
            firebreak_core::wire::decode_json_str(&v.to_string()).unwrap_or_else(|e| panic!("{e}"));
        badge.det.observe(&m, &mut badge.alerts);
        // Neither does a verified badge with ordinary reach.
        assert!(badge.crisis_alerts().is_empty(), "{:?}", badge.alerts);
        // The same complaint from two million followers pages on its own.
        s.push(30 * 60 + 30, "star", 2_000_000, complaint, "post", None);
        let a = s.crisis_alerts();
        assert_eq!(a.len(), 1, "{:?}", s.alerts);
        assert_eq!(a[0].amplifiers.len(), 1);
        assert_eq!(a[0].amplifiers[0].as_str(), "star");
        // Not before the channel is warm.
        let mut cold = Stream::new();
        cold.background(0, 60);
        cold.push(61, "star", 2_000_000, complaint, "post", None);
        assert!(cold.crisis_alerts().is_empty());
    }

    #[test]
    fn reshares_of_an_unseen_post_count_once_its_thread_turns_negative() {
        let mut s = Stream::new();
        s.background(0, 30 * 60);
        let t0 = 30 * 60;
        // Two plain reshares of a post the stream has not seen: no content yet.
        let r1 = s.push(t0, "r1", 50, "", "reshare", Some("x:unseen"));
        s.push(t0 + 3, "r2", 60, "", "reshare", Some("x:unseen"));
        assert!(s.crisis_alerts().is_empty());
        // Unrelated reshares of another unseen post do not join its thread.
        let o1 = s.push(t0 + 4, "o1", 60, "", "reshare", Some("x:other"));
        // A complaint replying in that thread: three authors of one thread.
        let v = serde_json::json!({
            "id": "x:reply", "platform": "x", "channel": "@brand", "kind": "reply",
            "created_at": (Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default()
                + chrono::Duration::minutes(t0 + 10)).to_rfc3339(),
            "author": {"id": "c1", "followers": 40, "verified": false},
            "text": "@brand the charger melted, terrible and dangerous",
            "in_reply_to": "x:unseen",
        });
        let m =
            firebreak_core::wire::decode_json_str(&v.to_string()).unwrap_or_else(|e| panic!("{e}"));
        s.det.observe(&m, &mut s.alerts);
        let a = s.crisis_alerts();
        assert_eq!(a.len(), 1, "{:?}", s.alerts);
        assert!(
            a[0].evidence.iter().any(|e| e.as_str() == r1),
            "{:?}",
            a[0].evidence
        );
        assert!(!a[0].evidence.iter().any(|e| e.as_str() == o1));
    }

    #[test]
    fn praise_burst_never_pages() {
        let mut s = Stream::new();
        s.background(0, 30 * 60);
        let t0 = 30 * 60;
        for i in 0..120 {
            s.push(
                t0 + i / 2,
                &format!("fan{i}"),
                100,
                "love the new launch, beautiful and brilliant",
                "mention",
                None,
            );
        }
        assert!(s.crisis_alerts().is_empty());
        assert!(s
            .alerts
            .iter()
            .any(|a| a.kind == AlertKind::PositiveSpike && !a.crisis));
    }

    #[test]
    fn no_page_before_the_channel_is_warm_and_late_mentions_are_safe() {
        let mut s = Stream::new();
        s.background(0, 60);
        for i in 0..5 {
            s.push(
                70 + i,
                &format!("c{i}"),
                10,
                "parcel never arrived, terrible",
                "mention",
                None,
            );
        }
        assert!(s.crisis_alerts().is_empty());
        // An out-of-order mention (an hour in the past) is counted at stream time.
        s.push(10, "late", 10, "terrible", "mention", None);
        assert!(s.crisis_alerts().is_empty());
    }

    fn analysed(text: &str, probs: [f32; 3], intent: Intent, intent_confidence: f32) -> Mention {
        let v = serde_json::json!({
            "id": "x:1", "platform": "x", "channel": "@brand", "kind": "mention",
            "created_at": "2026-01-01T00:00:00Z", "author": {"id": "a"}, "text": text,
        });
        let mut m =
            firebreak_core::wire::decode_json_str(&v.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let label = match (0..3).max_by(|&a, &b| probs[a].total_cmp(&probs[b])) {
            Some(0) => SentimentLabel::Negative,
            Some(2) => SentimentLabel::Positive,
            _ => SentimentLabel::Neutral,
        };
        m.analysis = Some(firebreak_core::Analysis {
            lang: Some("en".into()),
            lang_confidence: 1.0,
            sentiment: firebreak_core::Sentiment {
                label,
                score: 0.5,
                probs,
            },
            toxicity: firebreak_core::Toxicity {
                toxic: 0.1,
                insult: 0.1,
                threat: 0.0,
                identity_hate: 0.0,
            },
            intent,
            intent_confidence,
            category: None,
            register: firebreak_core::Register::Factual,
            emotional: 0.5,
        });
        m
    }

    #[test]
    fn polarity_uses_analysis_with_complaint_and_praise_overrides() {
        let cfg = DetectConfig::default();
        // Negative sentiment.
        let m = analysed("whatever", [0.8, 0.1, 0.1], Intent::Other, 0.5);
        assert_eq!(polarity(&m, &cfg), Polarity::Negative);
        // A confident complaint is negative even when sentiment misses it.
        let m = analysed("whatever", [0.2, 0.2, 0.6], Intent::Complaint, 0.9);
        assert_eq!(polarity(&m, &cfg), Polarity::Negative);
        // Confident praise is never negative.
        let m = analysed("whatever", [0.6, 0.2, 0.2], Intent::Praise, 0.9);
        assert_eq!(polarity(&m, &cfg), Polarity::Positive);
        // Without analysis the lexicon decides.
        let mut m = analysed("terrible, broken on arrival", [0.0; 3], Intent::Other, 0.0);
        m.analysis = None;
        assert_eq!(polarity(&m, &cfg), Polarity::Negative);
        m.text = "love it, thanks".into();
        assert_eq!(polarity(&m, &cfg), Polarity::Positive);
    }

    /// Two days of chatter with a routine delivery question every hour, then three
    /// product-defect complaints 15 minutes apart: the crisis alerts after each of them.
    fn rare_category_complaints(texts: [&str; 3]) -> [Vec<Alert>; 3] {
        let mut det = CrisisDetector::default();
        let mut alerts = Vec::new();
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let mut feed = |n: u64, minute: i64, text: &str, cat: Option<firebreak_core::Category>| {
            let mut m = analysed(text, [0.2, 0.6, 0.2], Intent::Other, 0.9);
            m.id = format!("x:{n}").as_str().into();
            m.author.id = format!("a{n}").as_str().into();
            m.created_at = t0 + chrono::Duration::minutes(minute);
            if let (Some(a), Some(c)) = (m.analysis.as_mut(), cat) {
                a.intent = Intent::Complaint;
                a.category = Some(c);
            }
            det.observe(&m, &mut alerts);
            alerts
                .iter()
                .filter(|a| a.crisis)
                .cloned()
                .collect::<Vec<_>>()
        };
        let mut n = 0;
        for minute in (0..48 * 60).step_by(10) {
            n += 1;
            let cat = (minute % 60 == 0).then_some(firebreak_core::Category::DeliveryLogistics);
            let text = match cat {
                Some(_) => format!("when does order {n} ship"),
                None => format!("chatting about thing{} and stuff{}", n % 50, n % 31),
            };
            assert!(
                feed(n, minute, &text, cat).is_empty(),
                "routine complaints must not page"
            );
        }
        let safety = Some(firebreak_core::Category::ProductDefectSafety);
        let mut after = texts
            .iter()
            .enumerate()
            .map(|(i, text)| feed(10_001 + i as u64, 48 * 60 + 15 * i as i64, text, safety));
        [
            after.next().unwrap_or_default(),
            after.next().unwrap_or_default(),
            after.next().unwrap_or_default(),
        ]
    }

    #[test]
    fn complaints_of_a_usually_rare_category_page_at_three_authors() {
        // Three different product-defect complaints (no shared words).
        let [first, second, third] = rare_category_complaints([
            "the battery swelled overnight",
            "screen cracked by itself",
            "charger melted the socket",
        ]);
        assert!(first.is_empty() && second.is_empty());
        assert_eq!(third.len(), 1);
        // The default is not disabled (guards the setting the figures use).
        assert_eq!(DetectConfig::default().category_min_authors, 3);
    }

    #[test]
    fn a_page_by_category_alone_is_named_by_what_its_complaints_share() {
        // Two complaints share their words; the third, of the same category, shares none.
        let [_, _, third] = rare_category_complaints([
            "the battery swelled overnight",
            "my battery swelled and leaked",
            "screen cracked by itself",
        ]);
        assert_eq!(third.len(), 1, "{third:?}");
        assert_eq!(third[0].terms[..2], ["battery", "swelled"]);
        assert!(
            third[0].summary.contains("battery swelled"),
            "{}",
            third[0].summary
        );
    }

    /// Chatter that names the brand, as on a handle-addressed channel.
    fn addressed_background(s: &mut Stream, from_min: i64, to_min: i64) {
        let mut i = from_min;
        let mut k = 0u64;
        while i < to_min {
            k += 1;
            let text = format!(
                "@brand talking about topic{} and thing{}",
                k % 97,
                (k * 7) % 89
            );
            s.push(i, &format!("bg{k}"), 100, &text, "mention", None);
            i += 10;
        }
    }

    #[test]
    fn copies_that_do_not_name_the_brand_are_not_complaints_about_it() {
        let mut s = Stream::new();
        addressed_background(&mut s, 0, 48 * 60);
        let t0 = 48 * 60;
        // A side conversation copied by three authors: negative, but not about @brand.
        for (i, a) in ["p1", "p2", "p3", "p4"].iter().enumerate() {
            s.push(
                t0 + 5 * i as i64,
                a,
                100,
                "@someone the referee was terrible, a broken useless match",
                "mention",
                None,
            );
        }
        assert!(s.crisis_alerts().is_empty(), "{:?}", s.crisis_alerts());
        // The same wave addressed to the brand pages at the third author.
        for (i, a) in ["c1", "c2", "c3"].iter().enumerate() {
            s.push(
                t0 + 60 + 5 * i as i64,
                a,
                100,
                "@brand the charger melted, terrible broken product",
                "mention",
                None,
            );
        }
        assert_eq!(s.crisis_alerts().len(), 1);
    }

    #[test]
    fn the_channels_own_name_is_never_an_alert_term() {
        let mut s = Stream::new();
        addressed_background(&mut s, 0, 48 * 60);
        let t0 = 48 * 60;
        for (i, a) in ["c1", "c2", "c3"].iter().enumerate() {
            s.push(
                t0 + 5 * i as i64,
                a,
                100,
                "@brand my Brand charger melted, terrible broken product #brand",
                "mention",
                None,
            );
        }
        let alerts = s.crisis_alerts();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].terms.iter().any(|t| t == "charger"), "{alerts:?}");
        assert!(!alerts[0].terms.iter().any(|t| t == "brand"), "{alerts:?}");
    }

    #[test]
    fn a_recurring_template_is_not_news() {
        let mut s = Stream::new();
        let text = "@brand the app is terrible again, broken login page";
        // The same complaint shows up every three hours (part of the baseline).
        for h in 0..48 {
            addressed_background(&mut s, h * 60, h * 60 + 60);
            if h % 3 == 2 {
                s.push(h * 60 + 3, &format!("r{h}"), 100, text, "mention", None);
            }
        }
        assert!(s.crisis_alerts().is_empty());
        let t0 = 48 * 60;
        for (i, a) in ["x1", "x2", "x3"].iter().enumerate() {
            s.push(t0 + 10 * i as i64, a, 100, text, "mention", None);
        }
        assert!(s.crisis_alerts().is_empty(), "{:?}", s.crisis_alerts());
    }

    #[test]
    fn poisson_tail_is_monotone_and_sane() {
        assert_eq!(poisson_tail(0, 3.0), 1.0);
        assert!((poisson_tail(1, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-12);
        assert!(poisson_tail(3, 0.02) < 2e-6);
        assert!(poisson_tail(5, 2.0) < poisson_tail(4, 2.0));
    }
}
