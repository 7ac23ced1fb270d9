//! The pages and form handlers. Data is read on blocking threads and turned into plain
//! view structs; the askama templates escape every value.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::{DateTime, Duration, Utc};
use firebreak_core::wire::parse_timestamp;
use firebreak_core::{Category, Intent, MentionId, SentimentLabel};
use firebreak_respond::audit::Outcome;
use firebreak_respond::case::{CaseStatus, PrivateChannel};
use firebreak_respond::guard::Role;
use firebreak_respond::inbox::{countdown, ReplyDraft};
use firebreak_respond::store::{CaseQuery, Delivery};
use firebreak_respond::templates::Templates;
use firebreak_respond::{Case, Inbox};
use firebreak_store::{Cursor, MentionQuery, StoredMention, UserRecord};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{audit, hash_password, CurrentUser};
use crate::charts;
use crate::i18n::{Tr, UI_LANGS, UI_LANG_NAMES};
use crate::{WebError, WebState};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f).await?
}

fn inbox(state: &WebState) -> Option<Arc<Inbox>> {
    state.app.inbox.clone()
}

fn need_inbox(state: &WebState) -> Result<Arc<Inbox>, WebError> {
    inbox(state).ok_or_else(|| {
        WebError::Unavailable(
            "the inbox is off: set [inbox] enabled = true and [analysis] enabled = true".into(),
        )
    })
}

/// The signed-in user as the templates see them.
pub(crate) struct Me {
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub is_admin: bool,
    pub can_act: bool,
}

impl Me {
    pub(crate) fn of(u: &CurrentUser) -> Me {
        Me {
            name: u.name.clone(),
            role: u.role.as_str(),
            csrf: u.csrf.clone(),
            is_admin: u.role >= Role::Admin,
            can_act: u.role >= Role::Agent,
        }
    }
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

fn duration_label(secs: i64) -> String {
    let a = secs.unsigned_abs();
    let s = if a >= 86_400 {
        format!("{}d {}h", a / 86_400, (a % 86_400) / 3600)
    } else if a >= 3600 {
        format!("{}h {}m", a / 3600, (a % 3600) / 60)
    } else {
        format!("{}m {}s", a / 60, a % 60)
    };
    if secs < 0 {
        format!("-{s}")
    } else {
        s
    }
}

/// Only web links are links; anything else (`javascript:`, `data:`) stays text.
fn safe_url(url: Option<&str>) -> Option<String> {
    url.filter(|u| {
        let l = u.trim_start().to_ascii_lowercase();
        (l.starts_with("https://") || l.starts_with("http://")) && !u.contains(char::is_whitespace)
    })
    .map(str::to_owned)
}

fn preview(text: &str, n: usize) -> String {
    let mut s: String = text.chars().take(n).collect();
    if text.chars().count() > n {
        s.push('…');
    }
    s
}

// ---- mentions ----------------------------------------------------------------------

pub(crate) struct MentionRow {
    pub id: String,
    pub time: String,
    pub channel: String,
    pub platform: String,
    pub author: String,
    pub author_key: String,
    pub followers: u64,
    pub text: String,
    pub url: Option<String>,
    pub lang: String,
    pub sentiment: String,
    pub intent: String,
    pub category: String,
    pub in_reply_to: Option<String>,
}

impl MentionRow {
    fn of(s: &StoredMention) -> MentionRow {
        let m = &s.mention;
        let a = m.analysis.as_ref();
        MentionRow {
            id: m.id.as_str().to_owned(),
            time: short_time(m.created_at),
            channel: m.channel.as_str().to_owned(),
            platform: m.platform.as_str().to_owned(),
            author: m
                .author
                .handle
                .clone()
                .unwrap_or_else(|| m.author.id.as_str().to_owned()),
            author_key: firebreak_respond::case::author_key(m),
            followers: m.author.followers,
            text: m.text.clone(),
            url: safe_url(m.url.as_deref()),
            lang: m
                .lang
                .clone()
                .or_else(|| a.and_then(|a| a.lang.clone()))
                .unwrap_or_default(),
            sentiment: a
                .map(|a| a.sentiment.label.as_str().to_owned())
                .unwrap_or_default(),
            intent: a.map(|a| a.intent.as_str().to_owned()).unwrap_or_default(),
            category: a
                .and_then(|a| a.category.map(|c| c.as_str().to_owned()))
                .unwrap_or_default(),
            in_reply_to: m.in_reply_to.as_ref().map(|i| i.as_str().to_owned()),
        }
    }
}

// ---- cases -------------------------------------------------------------------------

pub(crate) struct CaseRow {
    pub id: i64,
    pub priority: &'static str,
    pub status: &'static str,
    pub channel: String,
    pub author: String,
    pub author_key: String,
    pub preview: String,
    pub due_kind: String,
    pub due_label: String,
    /// Epoch milliseconds of the next target (for the browser's countdown).
    pub due_ms: i64,
    pub overdue: bool,
    pub has_due: bool,
    pub assignee: String,
    pub crisis: String,
    pub breached: String,
    pub dont_feed: bool,
}

fn case_row(case: &Case, now: DateTime<Utc>, text: Option<&str>) -> CaseRow {
    let due = countdown(case, now);
    CaseRow {
        id: case.id,
        priority: case.priority.as_str(),
        status: case.status.as_str(),
        channel: case.channel.clone(),
        author: case
            .author_handle
            .clone()
            .unwrap_or_else(|| case.author_key.clone()),
        author_key: case.author_key.clone(),
        preview: text.map(|t| preview(t, 160)).unwrap_or_default(),
        due_kind: due.map(|(k, _)| k.as_str().to_owned()).unwrap_or_default(),
        due_label: due.map(|(_, s)| duration_label(s)).unwrap_or_default(),
        due_ms: due
            .map(|(_, s)| (now + Duration::seconds(s)).timestamp_millis())
            .unwrap_or(0),
        overdue: due.is_some_and(|(_, s)| s < 0),
        has_due: due.is_some(),
        assignee: case.assignee.clone().unwrap_or_default(),
        crisis: case.crisis_id.clone().unwrap_or_default(),
        breached: case
            .breached
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        dont_feed: case.dont_feed,
    }
}

fn first_text(store: &dyn firebreak_store::MentionStore, case: &Case) -> Option<String> {
    case.mentions
        .last()
        .and_then(|id| store.get_mention(id).ok().flatten())
        .map(|m| m.mention.text)
}

// ---- overview ----------------------------------------------------------------------

pub(crate) struct ChannelPanel {
    pub name: String,
    pub total: u64,
    pub negative_pct: String,
    pub window: String,
    pub volume_svg: String,
    pub share_svg: String,
    pub langs_svg: String,
}

pub(crate) struct AlertRow {
    pub time: String,
    pub channel: String,
    pub kind: String,
    pub severity: u8,
    pub crisis: bool,
    pub summary: String,
    pub terms: String,
    /// Whether its notification went out: `None` when there is nothing to say (no
    /// notifier, or not a crisis), else (the word's key, a detail, a problem).
    pub delivery: Option<(&'static str, String, bool)>,
}

/// What the alert log says about an alert's notification, for a crisis alert.
fn delivery_of(r: &firebreak_store::AlertRecord) -> Option<(&'static str, String, bool)> {
    if !r.alert.crisis {
        return None;
    }
    match (r.delivered_at, r.outcome.as_deref()) {
        (None, _) => Some(("notify_pending", String::new(), true)),
        (Some(_), Some("sent")) => Some(("notify_sent", String::new(), false)),
        (Some(_), Some(o)) if o.starts_with("failed") => Some((
            "notify_failed",
            o.trim_start_matches("failed")
                .trim_start_matches(':')
                .trim()
                .to_owned(),
            true,
        )),
        _ => None,
    }
}

pub(crate) struct CrisisRow {
    pub id: String,
    pub channel: String,
    pub cases: usize,
    pub top_priority: &'static str,
}

#[derive(Template)]
#[template(path = "overview_live.html")]
pub(crate) struct OverviewLive {
    tr: Tr,
    connectors: Vec<ConnectorRow>,
    channels: Vec<ChannelPanel>,
    alerts: Vec<AlertRow>,
    crises: Vec<CrisisRow>,
    unanswered: Vec<CaseRow>,
    breaches: Vec<CaseRow>,
    open_cases: u64,
    inbox_on: bool,
    response_svg: String,
    response_median: String,
    answered: usize,
}

/// A platform connector's health, on the overview (failures are shown until fixed).
pub(crate) struct ConnectorRow {
    name: String,
    platform: String,
    health: &'static str,
    problem: bool,
    error: String,
    delivered: u64,
}

/// The connectors' health, for the overview and the settings (sub-connectors, such as a
/// source's search, are left out).
fn connector_rows(state: &WebState) -> Result<Vec<ConnectorRow>, WebError> {
    let Some(c) = &state.app.connectors else {
        return Ok(Vec::new());
    };
    Ok(c.connectors()?
        .into_iter()
        .filter(|r| !r.name.contains('/'))
        .map(|r| {
            let problem = matches!(
                r.health,
                firebreak_store::ConnectorHealth::Failed
                    | firebreak_store::ConnectorHealth::Retrying
            );
            ConnectorRow {
                name: r.name,
                platform: r.platform,
                health: r.health.as_str(),
                problem,
                error: if problem {
                    r.last_error.unwrap_or_default()
                } else {
                    String::new()
                },
                delivered: r.delivered,
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    tr: Tr,
    me: Me,
    live: String,
}

const CHART_HOURS: i64 = 24;

fn channel_panel(
    state: &WebState,
    tr: Tr,
    name: &str,
    last: DateTime<Utc>,
) -> Result<ChannelPanel, WebError> {
    let until = last + Duration::seconds(1);
    let end_hour = until.timestamp().div_euclid(3600) * 3600 + 3600;
    let since_secs = end_hour - CHART_HOURS * 3600;
    let since = DateTime::from_timestamp(since_secs, 0).unwrap_or(last);
    let rows = state.insights.activity(name, since, until, 3600)?;
    let mut totals = vec![(0u64, 0u64); CHART_HOURS as usize];
    let mut langs: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for r in &rows {
        let i = (r.bucket_start.timestamp() - since_secs) / 3600;
        let Some(slot) = usize::try_from(i).ok().and_then(|i| totals.get_mut(i)) else {
            continue;
        };
        slot.0 += r.count;
        let s = match r.sentiment.as_deref() {
            Some("negative") => 0,
            Some("positive") => 2,
            Some(_) => 1,
            None => continue,
        };
        if s == 0 {
            slot.1 += r.count;
        }
        let lang = r.lang.clone().unwrap_or_else(|| "?".into());
        langs.entry(lang).or_default()[s] += r.count;
    }
    let label = |i: usize| {
        DateTime::from_timestamp(since_secs + i as i64 * 3600, 0)
            .map(|t| t.format("%H:00").to_string())
            .unwrap_or_default()
    };
    let volume: Vec<(String, u64, u64)> = totals
        .iter()
        .enumerate()
        .map(|(i, (t, n))| (label(i), *t, *n))
        .collect();
    let share: Vec<(String, Option<f64>)> = totals
        .iter()
        .enumerate()
        .map(|(i, (t, n))| (label(i), (*t > 0).then(|| *n as f64 / *t as f64)))
        .collect();
    let total: u64 = totals.iter().map(|t| t.0).sum();
    let neg: u64 = totals.iter().map(|t| t.1).sum();
    let mut lang_rows: Vec<(String, [u64; 3])> = langs.into_iter().collect();
    lang_rows.sort_by_key(|(_, c)| std::cmp::Reverse(c.iter().sum::<u64>()));
    lang_rows.truncate(8);
    Ok(ChannelPanel {
        name: name.to_owned(),
        total,
        negative_pct: if total == 0 {
            "–".into()
        } else {
            format!("{:.0}%", 100.0 * neg as f64 / total as f64)
        },
        window: format!("{} – {}", short_time(since), short_time(last)),
        volume_svg: charts::volume(&format!("{} {name}", tr.t("volume")), &volume),
        share_svg: charts::share_line(&format!("{} {name}", tr.t("negative_share")), &share),
        langs_svg: charts::sentiment_by_lang(
            &format!("{} {name}", tr.t("sentiment_by_lang")),
            &lang_rows,
        ),
    })
}

fn overview_data(state: &WebState, tr: Tr) -> Result<OverviewLive, WebError> {
    let mut channels = Vec::new();
    for (name, last) in state.insights.channels(12)? {
        channels.push(channel_panel(state, tr, &name, last)?);
    }
    channels.sort_by_key(|c| std::cmp::Reverse(c.total));
    let alerts = state
        .alerts
        .recent_alerts(20)?
        .into_iter()
        .map(|r| AlertRow {
            delivery: delivery_of(&r),
            time: short_time(r.alert.raised_at),
            channel: r.alert.channel.as_str().to_owned(),
            kind: r.alert.kind.as_str().to_owned(),
            severity: r.alert.severity,
            crisis: r.alert.crisis,
            summary: r.alert.summary,
            terms: r.alert.terms.join(", "),
        })
        .collect();
    let connectors = connector_rows(state)?;
    let mut view = OverviewLive {
        tr,
        connectors,
        channels,
        alerts,
        crises: Vec::new(),
        unanswered: Vec::new(),
        breaches: Vec::new(),
        open_cases: 0,
        inbox_on: false,
        response_svg: String::new(),
        response_median: "–".into(),
        answered: 0,
    };
    let Some(inbox) = inbox(state) else {
        return Ok(view);
    };
    view.inbox_on = true;
    let now = inbox.now();
    let open_q = CaseQuery {
        limit: 500,
        ..CaseQuery::default()
    };
    let open = inbox.list(&open_q)?;
    view.open_cases = inbox.store().count_cases(&CaseQuery::default())?;
    let mut crises: BTreeMap<String, CrisisRow> = BTreeMap::new();
    for c in &open {
        if let Some(id) = &c.crisis_id {
            let e = crises.entry(id.clone()).or_insert(CrisisRow {
                id: id.clone(),
                channel: c.channel.clone(),
                cases: 0,
                top_priority: c.priority.as_str(),
            });
            e.cases += 1;
            e.top_priority = e.top_priority.min(c.priority.as_str());
        }
    }
    view.crises = crises.into_values().collect();
    let store = &*state.app.store;
    view.unanswered = open
        .iter()
        .filter(|c| c.first_public_reply_at.is_none() && !c.dont_feed)
        .take(10)
        .map(|c| case_row(c, now, first_text(store, c).as_deref()))
        .collect();
    view.breaches = open
        .iter()
        .filter(|c| !c.breached.is_empty())
        .take(10)
        .map(|c| case_row(c, now, first_text(store, c).as_deref()))
        .collect();
    // Response times: open and recently finished cases with a public reply.
    let done = inbox.list(&CaseQuery {
        statuses: vec![CaseStatus::Resolved, CaseStatus::Closed],
        limit: 300,
        ..CaseQuery::default()
    })?;
    let mut times: Vec<i64> = open
        .iter()
        .chain(done.iter())
        .filter_map(|c| {
            c.first_public_reply_at
                .map(|r| (r - c.opened_at).num_seconds())
        })
        .map(|s| s.max(0))
        .collect();
    times.sort_unstable();
    let buckets = [
        ("<15m", 0, 900),
        ("<1h", 900, 3600),
        ("<4h", 3600, 4 * 3600),
        ("<24h", 4 * 3600, 86_400),
        ("≥24h", 86_400, i64::MAX),
    ];
    let counts: Vec<(&str, u64)> = buckets
        .iter()
        .map(|(l, lo, hi)| {
            (
                *l,
                times.iter().filter(|t| **t >= *lo && **t < *hi).count() as u64,
            )
        })
        .collect();
    view.answered = times.len();
    if let Some(m) = times.get(times.len() / 2) {
        view.response_median = duration_label(*m);
    }
    view.response_svg = charts::histogram(tr.t("response_times"), &counts);
    Ok(view)
}

/// `GET /`.
pub(crate) async fn overview(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let tr = user.tr();
    let s = state.clone();
    let live = blocking(move || Ok(overview_data(&s, tr)?.render()?)).await?;
    let page = OverviewPage {
        tr,
        me: Me::of(&user),
        live,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /overview/live`: the fragment the browser swaps in on live events.
pub(crate) async fn overview_live(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let tr = user.tr();
    let s = state.clone();
    let live = blocking(move || Ok(overview_data(&s, tr)?.render()?)).await?;
    Ok(Html(live).into_response())
}

// ---- explorer ----------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ExplorerParams {
    q: Option<String>,
    channel: Option<String>,
    lang: Option<String>,
    sentiment: Option<String>,
    intent: Option<String>,
    category: Option<String>,
    since: Option<String>,
    until: Option<String>,
    after: Option<String>,
    author: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// `2026-03-04`, `2026-03-04T10:00` (from a date-time input) or RFC 3339.
fn parse_time(name: &str, v: &Option<String>) -> Result<Option<DateTime<Utc>>, WebError> {
    let Some(v) = non_empty(v) else {
        return Ok(None);
    };
    let full = if v.len() == 10 {
        format!("{v}T00:00:00Z")
    } else if v.len() == 16 {
        format!("{v}:00Z")
    } else {
        v.clone()
    };
    parse_timestamp(&full)
        .map(Some)
        .map_err(|e| WebError::BadRequest(format!("{name}: {e}")))
}

pub(crate) struct Choice {
    pub value: String,
    pub selected: bool,
}

fn choices(values: &[&str], current: &Option<String>) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: (*v).to_owned(),
            selected: current.as_deref() == Some(*v),
        })
        .collect()
}

pub(crate) struct AuthorPanel {
    pub key: String,
    pub handle: String,
    pub followers: u64,
    pub cases: Vec<CaseRow>,
    pub mentions: Vec<MentionRow>,
}

#[derive(Template)]
#[template(path = "explorer.html")]
struct ExplorerPage {
    tr: Tr,
    me: Me,
    q: String,
    since: String,
    until: String,
    channels: Vec<Choice>,
    langs: Vec<Choice>,
    sentiments: Vec<Choice>,
    intents: Vec<Choice>,
    categories: Vec<Choice>,
    rows: Vec<MentionRow>,
    next: Option<String>,
    author: Option<AuthorPanel>,
}

/// `GET /explorer`.
pub(crate) async fn explorer(
    State(state): State<WebState>,
    user: CurrentUser,
    params: Result<Query<ExplorerParams>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(p) = params.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let query = MentionQuery {
        channel: non_empty(&p.channel),
        lang: non_empty(&p.lang),
        text: non_empty(&p.q),
        sentiment: non_empty(&p.sentiment),
        intent: non_empty(&p.intent),
        category: non_empty(&p.category),
        since: parse_time("since", &p.since)?,
        until: parse_time("until", &p.until)?,
        limit: 50,
        after: non_empty(&p.after)
            .map(|c| Cursor::decode(&c))
            .transpose()
            .map_err(|e| WebError::BadRequest(e.to_string()))?,
        ..MentionQuery::default()
    };
    let s = state.clone();
    let author_key = non_empty(&p.author);
    let (page, channel_names, author) = blocking(move || {
        let page = s.app.store.search_mentions(&query)?;
        let channels: Vec<String> = s
            .insights
            .channels(50)?
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let author = match (author_key, inbox(&s)) {
            (Some(key), inbox) => Some(author_panel(&s, inbox.as_deref(), &key)?),
            (None, _) => None,
        };
        Ok((page, channels, author))
    })
    .await?;
    let mut next = None;
    if let Some(cursor) = &page.next_cursor {
        let mut qs = Vec::new();
        for (k, v) in [
            ("q", &p.q),
            ("channel", &p.channel),
            ("lang", &p.lang),
            ("sentiment", &p.sentiment),
            ("intent", &p.intent),
            ("category", &p.category),
            ("since", &p.since),
            ("until", &p.until),
        ] {
            if let Some(v) = non_empty(v) {
                qs.push(format!("{k}={}", url_encode(&v)));
            }
        }
        qs.push(format!("after={}", url_encode(cursor)));
        next = Some(format!("/explorer?{}", qs.join("&")));
    }
    let channel_refs: Vec<&str> = channel_names.iter().map(String::as_str).collect();
    let sentiments: Vec<&str> = SentimentLabel::ALL.iter().map(|s| s.as_str()).collect();
    let intents: Vec<&str> = Intent::ALL.iter().map(|i| i.as_str()).collect();
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
    let page = ExplorerPage {
        tr: user.tr(),
        me: Me::of(&user),
        q: non_empty(&p.q).unwrap_or_default(),
        since: non_empty(&p.since).unwrap_or_default(),
        until: non_empty(&p.until).unwrap_or_default(),
        channels: choices(&channel_refs, &p.channel),
        langs: choices(&UI_LANGS, &p.lang),
        sentiments: choices(&sentiments, &p.sentiment),
        intents: choices(&intents, &p.intent),
        categories: choices(&categories, &p.category),
        rows: page.mentions.iter().map(MentionRow::of).collect(),
        next,
        author,
    };
    Ok(Html(page.render()?).into_response())
}

/// An author's history, from their cases (indexed by author), not from a scan of every
/// mention.
fn author_panel(
    state: &WebState,
    inbox: Option<&Inbox>,
    key: &str,
) -> Result<AuthorPanel, WebError> {
    let mut panel = AuthorPanel {
        key: key.to_owned(),
        handle: key.to_owned(),
        followers: 0,
        cases: Vec::new(),
        mentions: Vec::new(),
    };
    let Some(inbox) = inbox else {
        return Ok(panel);
    };
    let cases = inbox.list(&CaseQuery {
        statuses: CaseStatus::ALL.to_vec(),
        author_key: Some(key.to_owned()),
        limit: 50,
        ..CaseQuery::default()
    })?;
    let now = inbox.now();
    let mut ids: Vec<MentionId> = Vec::new();
    for c in &cases {
        if let Some(h) = &c.author_handle {
            panel.handle = h.clone();
        }
        panel.followers = panel.followers.max(c.author_followers);
        ids.extend(c.mentions.iter().cloned());
    }
    for id in ids.iter().take(100) {
        if let Some(m) = state.app.store.get_mention(id)? {
            panel.mentions.push(MentionRow::of(&m));
        }
    }
    panel.mentions.sort_by(|a, b| b.time.cmp(&a.time));
    panel.cases = cases.iter().map(|c| case_row(c, now, None)).collect();
    Ok(panel)
}

// ---- inbox -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "queue.html")]
struct QueueFragment {
    tr: Tr,
    inbox_on: bool,
    total: u64,
    rows: Vec<CaseRow>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    tr: Tr,
    me: Me,
    queue: String,
}

fn queue_data(state: &WebState, tr: Tr) -> Result<QueueFragment, WebError> {
    let Some(inbox) = inbox(state) else {
        return Ok(QueueFragment {
            tr,
            inbox_on: false,
            total: 0,
            rows: Vec::new(),
        });
    };
    let q = CaseQuery {
        limit: 100,
        ..CaseQuery::default()
    };
    let cases = inbox.list(&q)?;
    let total = inbox.store().count_cases(&q)?;
    let now = inbox.now();
    let store = &*state.app.store;
    Ok(QueueFragment {
        tr,
        inbox_on: true,
        total,
        rows: cases
            .iter()
            .map(|c| case_row(c, now, first_text(store, c).as_deref()))
            .collect(),
    })
}

/// `GET /inbox`.
pub(crate) async fn inbox_page(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let tr = user.tr();
    let s = state.clone();
    let queue = blocking(move || Ok(queue_data(&s, tr)?.render()?)).await?;
    let page = InboxPage {
        tr,
        me: Me::of(&user),
        queue,
    };
    Ok(Html(page.render()?).into_response())
}

/// `GET /inbox/live`.
pub(crate) async fn inbox_live(
    State(state): State<WebState>,
    user: CurrentUser,
) -> Result<Response, WebError> {
    let tr = user.tr();
    let s = state.clone();
    let queue = blocking(move || Ok(queue_data(&s, tr)?.render()?)).await?;
    Ok(Html(queue).into_response())
}

// ---- case --------------------------------------------------------------------------

pub(crate) struct EventRow {
    pub time: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

pub(crate) struct ReplyRow {
    pub time: String,
    pub author: String,
    pub channel: String,
    pub text: String,
    pub findings: String,
}

pub(crate) struct TemplateChoice {
    pub name: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    tr: Tr,
    me: Me,
    case: CaseRow,
    lang: String,
    reason: String,
    risk: String,
    private_channel: String,
    thread: Vec<MentionRow>,
    mentions: Vec<MentionRow>,
    events: Vec<EventRow>,
    replies: Vec<ReplyRow>,
    templates: Vec<TemplateChoice>,
    flash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CaseParams {
    done: Option<String>,
}

/// `GET /cases/{id}`.
pub(crate) async fn case_view(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    Query(params): Query<CaseParams>,
) -> Result<Response, WebError> {
    let inbox = need_inbox(&state)?;
    let store = state.app.store.clone();
    let tr = user.tr();
    let ui_lang = user.ui_lang.clone();
    let me = Me::of(&user);
    let page = blocking(move || {
        let case = inbox.get(id)?;
        let now = inbox.now();
        let mut mentions = Vec::new();
        let mut parents: Vec<MentionId> = Vec::new();
        for m in case.mentions.iter().take(100) {
            if let Some(stored) = store.get_mention(m)? {
                if let Some(p) = &stored.mention.in_reply_to {
                    if !case.mentions.contains(p) && !parents.contains(p) {
                        parents.push(p.clone());
                    }
                }
                mentions.push(MentionRow::of(&stored));
            }
        }
        // Thread context: what the case's mentions answer, up to three levels up.
        let mut thread = Vec::new();
        let mut frontier = parents;
        for _ in 0..3 {
            let mut next = Vec::new();
            for p in frontier.iter().take(10) {
                if let Some(stored) = store.get_mention(p)? {
                    if let Some(pp) = &stored.mention.in_reply_to {
                        next.push(pp.clone());
                    }
                    thread.push(MentionRow::of(&stored));
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        thread.sort_by(|a, b| a.time.cmp(&b.time));
        let events = inbox
            .store()
            .case_events(id)?
            .into_iter()
            .map(|e| EventRow {
                time: short_time(e.at),
                actor: e.actor,
                kind: e.kind,
                detail: if e.detail.as_object().is_some_and(|o| o.is_empty()) {
                    String::new()
                } else {
                    e.detail.to_string()
                },
            })
            .collect();
        let replies = inbox
            .store()
            .replies(id)?
            .into_iter()
            .map(|r| ReplyRow {
                time: short_time(r.at),
                author: r.author,
                channel: r
                    .private_channel
                    .map(|c| format!("{c:?}").to_lowercase())
                    .unwrap_or_else(|| "public".into()),
                text: r.text,
                findings: r
                    .lint
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f.get("rule").and_then(|r| r.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let lang = case.lang.clone().unwrap_or(ui_lang);
        let handle = case.author_handle.clone().unwrap_or_else(|| "there".into());
        let templates = Templates::builtin();
        let mut names: Vec<String> = templates.list().into_iter().map(|(n, _)| n).collect();
        names.dedup();
        let ctx = json!({"handle": handle, "explanation": "[explanation]", "update": "[update]"});
        let templates = names
            .into_iter()
            .filter_map(|n| {
                templates
                    .render(&n, &lang, &ctx)
                    .ok()
                    .map(|text| TemplateChoice { name: n, text })
            })
            .collect();
        let text = mentions.first().map(|m: &MentionRow| m.text.clone());
        Ok(CasePage {
            tr,
            me,
            case: case_row(&case, now, text.as_deref()),
            lang,
            reason: format!("{:?}", case.reason).to_lowercase(),
            risk: format!("{:.2}", case.risk),
            private_channel: case
                .private_channel
                .map(|c| format!("{c:?}").to_lowercase())
                .unwrap_or_default(),
            thread,
            mentions,
            events,
            replies,
            templates,
            flash: params
                .done
                .filter(|d| d == "1")
                .map(|_| tr.t("done").to_owned()),
        })
    })
    .await?;
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReplyForm {
    csrf: String,
    text: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    at_fault: Option<String>,
    /// Post it through the channel's connector.
    #[serde(default)]
    post: Option<String>,
    #[serde(default)]
    in_reply_to: Option<String>,
}

/// `POST /cases/{id}/reply`: records a reply through the inbox (lint, rules, audit).
pub(crate) async fn case_reply(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Form<ReplyForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let target = format!("case:{id}");
    user.require(&state, Role::Agent, "reply.send", &target)
        .await?;
    let inbox = need_inbox(&state)?;
    if f.text.trim().is_empty() {
        return Err(WebError::BadRequest("the reply is empty".into()));
    }
    let private_channel = match f.channel.as_str() {
        "" | "public" => None,
        other => Some(PrivateChannel::parse(other).ok_or_else(|| {
            WebError::BadRequest(format!(
                "unknown channel {other:?}: public, dm, email or phone"
            ))
        })?),
    };
    let draft = ReplyDraft {
        text: f.text,
        private_channel,
        in_reply_to: non_empty(&f.in_reply_to).map(MentionId::new),
        delivery: Delivery::Manual,
        at_fault: f.at_fault.is_some(),
        send: f.post.is_some(),
    };
    let actor = user.actor();
    blocking(move || Ok(inbox.reply(id, draft, &actor)?)).await?;
    Ok(Redirect::to(&format!("/cases/{id}?done=1#replies")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    csrf: String,
    action: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    agent: String,
}

/// `POST /cases/{id}/action`.
pub(crate) async fn case_action(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let target = format!("case:{id}");
    user.require(&state, Role::Agent, &format!("case.{}", f.action), &target)
        .await?;
    let inbox = need_inbox(&state)?;
    let actor = user.actor();
    blocking(move || {
        let text = f.text.trim();
        match f.action.as_str() {
            "acknowledge" => inbox.acknowledge(id, &actor)?,
            "start" => inbox.start(id, &actor)?,
            "resolve" => inbox.resolve(id, &actor)?,
            "close" => inbox.close(id, &actor)?,
            "move_private" => {
                let ch = PrivateChannel::parse(&f.channel).ok_or_else(|| {
                    WebError::BadRequest("move to private needs a channel: dm, email or phone".into())
                })?;
                inbox.move_private(id, ch, &actor)?
            }
            "assign" if !f.agent.trim().is_empty() => {
                inbox.assign(id, Some(f.agent.trim()), &actor)?
            }
            "assign" => inbox.assign(id, None, &actor)?,
            "contact_attempt" if !text.is_empty() => inbox.contact_attempt(id, text, &actor)?,
            "note" if !text.is_empty() => inbox.note(id, text, &actor)?,
            "contact_attempt" | "note" => {
                return Err(WebError::BadRequest(format!("{} needs text", f.action)))
            }
            other => {
                return Err(WebError::BadRequest(format!(
                    "unknown action {other:?}: acknowledge, start, resolve, close, move_private, assign, contact_attempt or note"
                )))
            }
        };
        Ok(())
    })
    .await?;
    Ok(Redirect::to(&format!("/cases/{id}?done=1")).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct LintBody {
    text: String,
    case: Option<i64>,
    #[serde(default = "yes")]
    public: bool,
    #[serde(default)]
    at_fault: bool,
}

fn yes() -> bool {
    true
}

/// `POST /ui/lint`: the composer's live linter. JSON in and out; the CSRF token comes in
/// the `X-CSRF-Token` header.
pub(crate) async fn lint(
    State(state): State<WebState>,
    user: CurrentUser,
    headers: HeaderMap,
    body: Result<Json<LintBody>, JsonRejection>,
) -> Result<Response, WebError> {
    let token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    user.check_csrf(token)?;
    let Json(b) = body.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let linter = state
        .app
        .linter
        .clone()
        .ok_or_else(|| WebError::Unavailable("the reply linter is not loaded".into()))?;
    let inbox = inbox(&state);
    let findings = blocking(move || {
        Ok(match (b.case, inbox) {
            (Some(id), Some(inbox)) => {
                let case = inbox.get(id)?;
                inbox.lint_draft(&case, &b.text, b.public, b.at_fault)?
            }
            _ => linter.lint(
                &b.text,
                &firebreak_respond::lint::LintContext {
                    public: b.public,
                    at_fault: b.at_fault,
                    ..Default::default()
                },
            ),
        })
    })
    .await?;
    Ok(Json(json!({ "findings": findings })).into_response())
}

// ---- settings ----------------------------------------------------------------------

pub(crate) struct UserRow {
    pub name: String,
    pub role: &'static str,
    pub ui_lang: String,
    pub languages: String,
    pub disabled: bool,
    pub created: String,
}

pub(crate) struct LangChoice {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    tr: Tr,
    me: Me,
    ui_langs: Vec<LangChoice>,
    roles: Vec<&'static str>,
    users: Vec<UserRow>,
    /// Channels, connectors and notification targets: for managers and admins.
    show_setup: bool,
    channels: Vec<(String, String)>,
    connectors: Vec<ConnectorRow>,
    targets: Vec<crate::NotifyTarget>,
    /// API tokens: one's own; an admin's list has everyone's.
    tokens: Vec<TokenRow>,
    /// A token just created, shown this once.
    new_token: Option<String>,
    flash: Option<String>,
}

pub(crate) struct TokenRow {
    pub id: String,
    pub user: String,
    pub label: String,
    pub created: String,
    pub revoked: Option<String>,
    /// When it stops working; `None`: never.
    pub expires: Option<String>,
    /// Past its expiry (and not revoked).
    pub expired: bool,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SettingsParams {
    done: Option<String>,
}

/// `GET /settings`: own language and API tokens for everyone; users for admins.
pub(crate) async fn settings(
    State(state): State<WebState>,
    user: CurrentUser,
    Query(p): Query<SettingsParams>,
) -> Result<Response, WebError> {
    let flash = p
        .done
        .filter(|d| d == "1")
        .map(|_| user.tr().t("done").to_owned());
    render_settings(&state, &user, flash, None).await
}

async fn render_settings(
    state: &WebState,
    user: &CurrentUser,
    flash: Option<String>,
    new_token: Option<String>,
) -> Result<Response, WebError> {
    let is_admin = user.role >= Role::Admin;
    let store = state.users.clone();
    let me = user.name.clone();
    let (users, tokens) = blocking(move || {
        let users = if is_admin {
            store.list_users()?
        } else {
            Vec::new()
        };
        let tokens = store.list_api_tokens((!is_admin).then_some(me.as_str()))?;
        Ok((users, tokens))
    })
    .await?;
    let show_setup = user.role >= Role::Manager;
    let (channels, connectors) = if show_setup {
        let st = state.clone();
        blocking(move || {
            let channels = st
                .insights
                .channels(100)?
                .into_iter()
                .map(|(c, last)| (c, short_time(last)))
                .collect();
            Ok((channels, connector_rows(&st)?))
        })
        .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let tr = user.tr();
    let now = Utc::now();
    let page = SettingsPage {
        tr,
        me: Me::of(user),
        tokens: tokens
            .into_iter()
            .map(|t| TokenRow {
                expired: t.revoked_at.is_none() && !t.is_live(now),
                id: t.id,
                user: t.user,
                label: t.label,
                created: short_time(t.created_at),
                revoked: t.revoked_at.map(short_time),
                expires: t.expires_at.map(short_time),
            })
            .collect(),
        new_token,
        show_setup,
        channels,
        connectors,
        targets: if show_setup {
            state.settings.notify_targets.clone()
        } else {
            Vec::new()
        },
        ui_langs: UI_LANGS
            .iter()
            .zip(UI_LANG_NAMES)
            .map(|(code, name)| LangChoice {
                code,
                name,
                selected: *code == user.ui_lang,
            })
            .collect(),
        roles: vec!["viewer", "agent", "manager", "admin"],
        users: users
            .into_iter()
            .map(|u| UserRow {
                name: u.name,
                role: u.role.as_str(),
                ui_lang: u.ui_lang,
                languages: u.languages.join(", "),
                disabled: u.disabled,
                created: short_time(u.created_at),
            })
            .collect(),
        flash,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    csrf: String,
    #[serde(default)]
    label: String,
    /// `30`, `90`, `365` or `never`; absent: 90.
    #[serde(default)]
    expires_days: String,
}

/// The expiry a token form asks for: `Ok(None)` for never.
fn token_expiry(
    field: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<chrono::DateTime<Utc>>, WebError> {
    match field.trim() {
        "never" => Ok(None),
        "" => Ok(Some(now + chrono::Duration::days(90))),
        d => match d.parse::<i64>() {
            Ok(n) if (1..=3650).contains(&n) => Ok(Some(now + chrono::Duration::days(n))),
            _ => Err(WebError::BadRequest(format!(
                "expires_days must be a number of days from 1 to 3650, or \"never\"; got {d:?}"
            ))),
        },
    }
}

/// `POST /settings/tokens`: a new API token for oneself, acting with one's own role. The
/// page shows it once; only its SHA-256 is stored.
pub(crate) async fn create_token(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let label = f.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(WebError::BadRequest(
            "name the token (1 to 80 characters), e.g. what will use it: \"grafana\"".into(),
        ));
    }
    let now = Utc::now();
    let expires_at = token_expiry(&f.expires_days, now)?;
    let token = crate::generate_api_token();
    let hash = firebreak_server::token_hash(&token);
    let store = state.users.clone();
    let (name, l) = (user.name.clone(), label.clone());
    blocking(move || Ok(store.create_api_token(&hash, &name, &l, now, expires_at)?)).await?;
    let expires = expires_at.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
    audit(
        &state,
        &user.name,
        "token.create",
        &format!("user:{}", user.name),
        Outcome::Done,
        &format!("label={label} expires={expires}"),
    )
    .await;
    let flash = Some(user.tr().t("token_shown_once").to_owned());
    render_settings(&state, &user, flash, Some(token)).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct RevokeTokenForm {
    csrf: String,
    id: String,
    /// Whose token: one's own unless an admin names another user.
    #[serde(default)]
    user: String,
}

/// `POST /settings/tokens/revoke`: revokes one token, one's own (admins: anyone's).
pub(crate) async fn revoke_token(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<RevokeTokenForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let owner = match f.user.trim() {
        "" => user.name.clone(),
        other => other.to_owned(),
    };
    let target = format!("user:{owner}");
    if owner != user.name {
        user.require(&state, Role::Admin, "token.revoke", &target)
            .await?;
    }
    let store = state.users.clone();
    let (o, id) = (owner.clone(), f.id.trim().to_owned());
    let revoked = blocking(move || Ok(store.revoke_api_token(&o, &id, Utc::now())?)).await?;
    if !revoked {
        return Err(WebError::NotFound(format!(
            "no live API token {} of {owner}; reload the settings page to see its tokens",
            f.id.trim()
        )));
    }
    audit(
        &state,
        &user.name,
        "token.revoke",
        &target,
        Outcome::Done,
        &format!("token={}", f.id.trim()),
    )
    .await;
    Ok(Redirect::to("/settings?done=1").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct MeForm {
    csrf: String,
    ui_lang: String,
}

/// `POST /settings/me`: the user's own UI language.
pub(crate) async fn settings_me(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<MeForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    if !UI_LANGS.contains(&f.ui_lang.as_str()) {
        return Err(WebError::BadRequest(format!(
            "unknown UI language {:?}: en, it, es, pl or de",
            f.ui_lang
        )));
    }
    let store = state.users.clone();
    let name = user.name.clone();
    let lang = f.ui_lang.clone();
    blocking(move || {
        let mut u = store
            .get_user(&name)?
            .ok_or_else(|| WebError::NotFound(format!("user {name}")))?;
        u.ui_lang = lang;
        store.update_user(&u)?;
        Ok(())
    })
    .await?;
    audit(
        &state,
        &user.name,
        "user.settings",
        &format!("user:{}", user.name),
        Outcome::Done,
        &format!("ui_lang={}", f.ui_lang),
    )
    .await;
    Ok(Redirect::to("/settings?done=1").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

/// `POST /settings/password`: a user changes their own password. The current one is
/// required (a stolen session cannot lock the owner out), wrong guesses count as failed
/// logins (rate-limited), and every other session of the user ends.
pub(crate) async fn change_password(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<PasswordForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    if f.new != f.confirm {
        return Err(WebError::BadRequest(
            "the new password and its confirmation differ; type it twice the same".into(),
        ));
    }
    let store = state.users.clone();
    let settings = state.settings.clone();
    let name = user.name.clone();
    let token_hash = user.token_hash.clone();
    let outcome = blocking(move || {
        let key = format!("user:{name}");
        let since = Utc::now()
            - chrono::Duration::from_std(settings.login_window)
                .unwrap_or_else(|_| chrono::Duration::minutes(15));
        if store.failed_logins_since(&key, since)? >= settings.max_failures_per_user {
            return Ok(Err(WebError::TooManyRequests(
                "too many wrong passwords; wait a few minutes and try again".into(),
            )));
        }
        let mut u = store
            .get_user(&name)?
            .ok_or_else(|| WebError::NotFound(format!("user {name}")))?;
        if !crate::auth::verify_password(&f.current, &u.password_hash) {
            store.record_login_attempt(&[key], Utc::now(), false)?;
            return Ok(Err(WebError::Forbidden(
                "the current password is wrong".into(),
            )));
        }
        u.password_hash =
            crate::auth::hash_password(&f.new).map_err(|e| WebError::BadRequest(e.to_string()))?;
        let current = store.session(&token_hash, Utc::now())?;
        store.update_user(&u)?;
        // Every other session ends; this one goes on.
        store.delete_sessions_of(&name)?;
        if let Some((session, _)) = current {
            store.create_session(&session)?;
        }
        Ok(Ok(()))
    })
    .await?;
    let (result, detail) = match &outcome {
        Ok(()) => (
            Outcome::Done,
            "password changed; other sessions ended".to_owned(),
        ),
        Err(e) => (Outcome::Refused, e.to_string()),
    };
    audit(
        &state,
        &user.name,
        "user.password",
        &format!("user:{}", user.name),
        result,
        &detail,
    )
    .await;
    outcome?;
    Ok(Redirect::to("/settings?done=1").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct AddUserForm {
    csrf: String,
    name: String,
    role: String,
    password: String,
    #[serde(default)]
    ui_lang: String,
    #[serde(default)]
    languages: String,
}

/// Names are short and plain: letters, digits, `.`, `_`, `-`.
pub fn valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `POST /settings/users`: adds a user (admin).
pub(crate) async fn add_user(
    State(state): State<WebState>,
    user: CurrentUser,
    form: Result<Form<AddUserForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let name = f.name.trim().to_owned();
    let target = format!("user:{name}");
    user.require(&state, Role::Admin, "user.add", &target)
        .await?;
    if !valid_user_name(&name) {
        return Err(WebError::BadRequest(
            "a user name has 1 to 64 letters, digits, '.', '_' or '-'".into(),
        ));
    }
    let role = Role::parse(f.role.trim()).ok_or_else(|| {
        WebError::BadRequest("role must be viewer, agent, manager or admin".into())
    })?;
    let ui_lang = if UI_LANGS.contains(&f.ui_lang.as_str()) {
        f.ui_lang.clone()
    } else {
        "en".into()
    };
    let password = f.password;
    let hash =
        blocking(move || hash_password(&password).map_err(|e| WebError::BadRequest(e.to_string())))
            .await?;
    let record = UserRecord {
        name: name.clone(),
        role,
        password_hash: hash,
        ui_lang,
        languages: f
            .languages
            .split(',')
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect(),
        disabled: false,
        created_at: Utc::now(),
    };
    let store = state.users.clone();
    let created = blocking(move || Ok(store.create_user(&record)?)).await?;
    if !created {
        return Err(WebError::Conflict(format!(
            "the user {name} exists already"
        )));
    }
    audit(
        &state,
        &user.name,
        "user.add",
        &target,
        Outcome::Done,
        &format!("role={}", role.as_str()),
    )
    .await;
    Ok(Redirect::to("/settings?done=1").into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChangeUserForm {
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// `disable` or `enable`.
    #[serde(default)]
    state: String,
}

/// `POST /settings/users/{name}`: role, password reset, disable/enable (admin). Ends the
/// user's sessions.
pub(crate) async fn change_user(
    State(state): State<WebState>,
    user: CurrentUser,
    Path(name): Path<String>,
    form: Result<Form<ChangeUserForm>, FormRejection>,
) -> Result<Response, WebError> {
    let Form(f) = form.map_err(|e| WebError::BadRequest(e.body_text()))?;
    user.check_csrf(&f.csrf)?;
    let target = format!("user:{name}");
    user.require(&state, Role::Admin, "user.change", &target)
        .await?;
    let role = match f.role.trim() {
        "" => None,
        r => Some(Role::parse(r).ok_or_else(|| {
            WebError::BadRequest("role must be viewer, agent, manager or admin".into())
        })?),
    };
    let disabled = match f.state.as_str() {
        "" => None,
        "disable" => Some(true),
        "enable" => Some(false),
        other => return Err(WebError::BadRequest(format!("unknown state {other:?}"))),
    };
    if name == user.name && (disabled == Some(true) || role.is_some_and(|r| r < Role::Admin)) {
        return Err(WebError::BadRequest(
            "you cannot demote or disable yourself: ask another admin".into(),
        ));
    }
    let password = f.password;
    let store = state.users.clone();
    let who = name.clone();
    let detail = blocking(move || {
        let mut u = store
            .get_user(&who)?
            .ok_or_else(|| WebError::NotFound(format!("user {who}")))?;
        let mut changes = Vec::new();
        if let Some(r) = role {
            u.role = r;
            changes.push(format!("role={}", r.as_str()));
        }
        if !password.is_empty() {
            u.password_hash =
                hash_password(&password).map_err(|e| WebError::BadRequest(e.to_string()))?;
            changes.push("password reset".to_owned());
        }
        if let Some(d) = disabled {
            u.disabled = d;
            changes.push(if d { "disabled" } else { "enabled" }.to_owned());
        }
        store.update_user(&u)?;
        store.delete_sessions_of(&who)?;
        Ok(changes.join(", "))
    })
    .await?;
    audit(
        &state,
        &user.name,
        "user.change",
        &target,
        Outcome::Done,
        &detail,
    )
    .await;
    Ok(Redirect::to("/settings?done=1").into_response())
}
