//! The inbox inside the pipeline: new mentions that need a response become cases, crisis
//! alerts raise the priority of their cases, and a clock runs the SLA targets.

use std::sync::Arc;
use std::time::Duration;

use firebreak_core::{Alert, Mention};
use firebreak_pipeline::{AlertSink, Detector};
use firebreak_respond::sla::SystemClock;
use firebreak_respond::store::CaseStore;
use firebreak_respond::Inbox;

use crate::config::Config;

/// The inbox for this configuration, or `None` when it is off. Cases need analysis
/// (intent, sentiment, toxicity), so the inbox is off when analysis is.
pub fn open(config: &Config, cases: Arc<dyn CaseStore>) -> anyhow::Result<Option<Arc<Inbox>>> {
    if !(config.inbox.enabled && config.analysis.enabled) {
        return Ok(None);
    }
    Ok(Some(Arc::new(for_cli(config, cases)?)))
}

/// The inbox on another clock (event time, for replays).
pub fn open_with_clock(
    config: &Config,
    cases: Arc<dyn CaseStore>,
    clock: Arc<dyn firebreak_respond::sla::Clock>,
) -> anyhow::Result<Option<Arc<Inbox>>> {
    if !(config.inbox.enabled && config.analysis.enabled) {
        return Ok(None);
    }
    Ok(Some(Arc::new(build(config, cases, clock)?)))
}

/// An inbox with the reply linter and, when a crisis plan is configured, the plan's
/// response targets, reply templates, do-not-promise list and allowed deadlines.
fn build(
    config: &Config,
    cases: Arc<dyn CaseStore>,
    clock: Arc<dyn firebreak_respond::sla::Clock>,
) -> anyhow::Result<Inbox> {
    let mut inbox_config = config.inbox.inbox_config();
    let plan = match &config.crisis.plan {
        Some(path) => Some(firebreak_plan::load(path).map_err(|e| anyhow!("{e}"))?),
        None => None,
    };
    if let Some(p) = &plan {
        inbox_config.targets = p.sla_targets();
    }
    let mut inbox =
        Inbox::new(cases, inbox_config, clock).with_linter(crate::analysis::linter(config)?);
    if !config.sources.is_empty() {
        let publishers = firebreak_connectors::outbound::Publishers::from_sources(
            &config.sources,
            config.outbound.dry_run,
        )
        .map_err(|e| anyhow!("outbound: {e}"))?;
        if !publishers.channels().is_empty() {
            inbox = inbox.with_outbound(Arc::new(publishers));
        }
    }
    if let Some(p) = &plan {
        inbox = inbox
            .with_lint_defaults(p.lint_context())
            .with_templates(p.templates());
    }
    Ok(inbox)
}

/// An inbox with the reply linter, for one command.
fn for_cli(config: &Config, cases: Arc<dyn CaseStore>) -> anyhow::Result<Inbox> {
    build(config, cases, Arc::new(SystemClock))
}

/// Turns each committed batch of new mentions into cases.
pub struct InboxWatcher(pub Arc<Inbox>);

impl Detector for InboxWatcher {
    fn name(&self) -> &'static str {
        "inbox"
    }

    fn observe(&mut self, mention: &Mention, alerts: &mut Vec<Alert>) {
        self.observe_batch(std::slice::from_ref(mention), alerts);
    }

    fn observe_batch(&mut self, batch: &[Mention], _alerts: &mut Vec<Alert>) {
        // A conflict (an agent changed a case meanwhile) or a busy database: try again.
        // Intake is idempotent, so a retry never makes a case twice.
        for attempt in 0..3 {
            match self.0.intake(batch) {
                Ok(_) => return,
                Err(e) if attempt < 2 => {
                    tracing::warn!(error = %e, "inbox intake failed; retrying");
                    std::thread::sleep(Duration::from_millis(50 << attempt));
                }
                Err(e) => tracing::error!(
                    error = %e,
                    mentions = batch.len(),
                    "inbox intake failed; the mentions are stored but have no case yet"
                ),
            }
        }
    }
}

/// Links crisis alerts to the cases of their evidence.
pub struct InboxAlerts(pub Arc<Inbox>);

impl AlertSink for InboxAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        self.0
            .link_alert(alert)
            .map(|_| ())
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// One breached first-response target: when, and the case's first mention.
type Breach = (
    chrono::DateTime<chrono::Utc>,
    Option<firebreak_core::MentionId>,
);

/// The response-backlog detector: when the first-response targets of many negative cases of a
/// channel are breached within an hour, the team is falling behind, and that is an alert.
pub struct Backlog {
    /// Breaches in the last hour that make an alert (severity 3 at five times as many).
    pub threshold: usize,
    breaches: std::collections::HashMap<String, std::collections::VecDeque<Breach>>,
    alerted: std::collections::HashMap<String, (chrono::DateTime<chrono::Utc>, u8)>,
}

impl Backlog {
    pub fn new(threshold: usize) -> Backlog {
        Backlog {
            threshold: threshold.max(1),
            breaches: Default::default(),
            alerted: Default::default(),
        }
    }

    /// Takes one tick's events at `now`; returns the alerts to raise.
    pub fn observe(
        &mut self,
        events: &[firebreak_respond::inbox::SlaEvent],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<Alert> {
        let hour = chrono::Duration::hours(1);
        for e in events.iter().filter(|e| e.kind == "breach:first_response") {
            self.breaches
                .entry(e.channel.clone())
                .or_default()
                .push_back((now, e.mention.clone()));
        }
        let mut out = Vec::new();
        for (channel, q) in self.breaches.iter_mut() {
            while q.front().is_some_and(|(t, _)| *t < now - hour) {
                q.pop_front();
            }
            let n = q.len();
            if n < self.threshold {
                continue;
            }
            let severity = if n >= 5 * self.threshold { 3 } else { 2 };
            // One alert per channel and hour, re-raised only when it grows more severe.
            if let Some((at, sev)) = self.alerted.get(channel) {
                if *at > now - hour && *sev >= severity {
                    continue;
                }
            }
            self.alerted.insert(channel.clone(), (now, severity));
            out.push(Alert {
                id: format!("{channel}:response_backlog:{}", now.format("%Y%m%dT%H")),
                raised_at: now,
                channel: channel.as_str().into(),
                kind: firebreak_core::AlertKind::ResponseBacklog,
                crisis: false,
                severity,
                summary: format!(
                    "{n} negative mentions on {channel} passed their first-response target without an answer in the last hour"
                ),
                terms: Vec::new(),
                evidence: q.iter().filter_map(|(_, m)| m.clone()).take(50).collect(),
                amplifiers: Vec::new(),
            });
        }
        out
    }
}

/// Runs the SLA clocks every `every` until the runtime stops; backlog alerts go to `notify`.
pub fn spawn_clock(inbox: Arc<Inbox>, every: Duration) -> tokio::task::JoinHandle<()> {
    spawn_clock_with(inbox, every, None)
}

/// [`spawn_clock`], sending response-backlog alerts to a notifier.
pub fn spawn_clock_with(
    inbox: Arc<Inbox>,
    every: Duration,
    notify: Option<firebreak_connectors::notify::NotifyHandle>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut backlog = Backlog::new(10);
        loop {
            interval.tick().await;
            let inbox = inbox.clone();
            let now = inbox.now();
            match tokio::task::spawn_blocking(move || inbox.tick()).await {
                Ok(Ok(events)) => {
                    for alert in backlog.observe(&events, now) {
                        tracing::warn!(alert = %alert.id, "{}", alert.summary);
                        if let Some(n) = &notify {
                            let _ = n.queue(
                                firebreak_connectors::notify::Notification::from_alert(&alert),
                            );
                        }
                    }
                    for e in events {
                        tracing::warn!(
                            case = e.case_id,
                            event = %e.kind,
                            due = %e.due,
                            assignee = e.assignee.as_deref().unwrap_or("-"),
                            "SLA"
                        );
                    }
                }
                Ok(Err(e)) => tracing::error!(error = %e, "SLA clock failed"),
                Err(e) => tracing::error!(error = %e, "SLA clock task failed"),
            }
        }
    })
}

// ---- command line -------------------------------------------------------------------

use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use firebreak_core::{Author, AuthorId, ChannelId, MentionId, MentionKind};
use firebreak_pipeline::{Components, Pipeline};
use firebreak_respond::guard::{
    Actor, HideReason, ModerationAction, ModerationRequest, Role, Verdict,
};
use firebreak_respond::store::CaseQuery;
use firebreak_respond::CaseStatus;
use serde_json::json;

use crate::commands::Stores;
use crate::{CasesAction, ModerationArg};

/// `firebreak audit verify`.
pub fn audit_verify(cases: Arc<dyn CaseStore>, json: bool) -> Result<ExitCode> {
    let result = firebreak_server::verify_chain(cases.as_ref())
        .map_err(|e| anyhow!("cannot read the audit log: {e}"))?;
    match result {
        Ok(n) => {
            if json {
                println!("{}", json!({"ok": true, "entries": n}));
            } else {
                println!("audit log intact: {n} entries, hash chain verified from the first");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if json {
                println!("{}", json!({"ok": false, "error": e.to_string()}));
            } else {
                eprintln!("audit log TAMPERED: {e}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `firebreak cases list|tick`.
pub fn cases_command(
    config: &Config,
    cases: Arc<dyn CaseStore>,
    action: CasesAction,
) -> Result<ExitCode> {
    let inbox = for_cli(config, cases)?;
    match action {
        CasesAction::List {
            status,
            limit,
            crisis,
            json,
        } => {
            let statuses = CaseStatus::parse_list(status.as_deref().unwrap_or(""))
                .map_err(|e| anyhow!("--status: {e}"))?;
            let q = CaseQuery {
                statuses,
                limit,
                crisis_id: crisis,
                ..CaseQuery::default()
            };
            let list = inbox.list(&q)?;
            let now = inbox.now();
            if json {
                for c in &list {
                    println!("{}", serde_json::to_string(c)?);
                }
            } else {
                println!(
                    "{:>6}  {:<3} {:<12} {:<22} {:<10} {:>9}  mentions",
                    "case", "pri", "status", "author", "assignee", "due in"
                );
                for c in &list {
                    let due = firebreak_respond::inbox::countdown(c, now)
                        .map(|(_, s)| format_secs(s))
                        .unwrap_or_else(|| "-".into());
                    println!(
                        "{:>6}  {:<3} {:<12} {:<22} {:<10} {:>9}  {}{}",
                        c.id,
                        c.priority.as_str(),
                        c.status.as_str(),
                        c.author_handle.as_deref().unwrap_or(&c.author_key),
                        c.assignee.as_deref().unwrap_or("-"),
                        due,
                        c.mentions.len(),
                        if c.dont_feed { "  (don't feed)" } else { "" }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CasesAction::Reply {
            id,
            text,
            private,
            at_fault,
            send,
            actor,
        } => {
            let who = agent_actor(config, &actor)
                .ok_or_else(|| anyhow!("--as {actor:?} is not an agent of [inbox.agents]"))?;
            let private_channel = match private.as_deref() {
                None => None,
                Some(p) => Some(
                    firebreak_respond::PrivateChannel::parse(p)
                        .ok_or_else(|| anyhow!("--private {p:?}: use dm, email or phone"))?,
                ),
            };
            let (case, reply) = inbox.reply(
                id,
                firebreak_respond::inbox::ReplyDraft {
                    text,
                    private_channel,
                    in_reply_to: None,
                    delivery: firebreak_respond::store::Delivery::Manual,
                    at_fault,
                    send,
                },
                &who,
            )?;
            println!("{}", serde_json::json!({"case": case, "reply": reply}));
            Ok(ExitCode::SUCCESS)
        }
        CasesAction::Act {
            id,
            action,
            channel,
            actor,
        } => {
            let who = agent_actor(config, &actor)
                .ok_or_else(|| anyhow!("--as {actor:?} is not an agent of [inbox.agents]"))?;
            let case = match action.as_str() {
                "acknowledge" => inbox.acknowledge(id, &who)?,
                "start" => inbox.start(id, &who)?,
                "resolve" => inbox.resolve(id, &who)?,
                "close" => inbox.close(id, &who)?,
                "move_private" => {
                    let ch = channel
                        .as_deref()
                        .and_then(firebreak_respond::PrivateChannel::parse)
                        .ok_or_else(|| anyhow!("move_private needs --channel dm|email|phone"))?;
                    inbox.move_private(id, ch, &who)?
                }
                other => bail!("unknown action {other:?}; use acknowledge, start, resolve, close or move_private"),
            };
            println!("{}", serde_json::to_string(&case)?);
            Ok(ExitCode::SUCCESS)
        }
        CasesAction::Tick { json } => {
            let events = inbox.tick()?;
            for e in &events {
                if json {
                    println!("{}", serde_json::to_string(e)?);
                } else {
                    println!("case {}: {} (due {})", e.case_id, e.kind, e.due);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn format_secs(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let s = s.abs();
    if s >= 3600 {
        format!("{sign}{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{}m{:02}s", s / 60, s % 60)
    }
}

pub struct ModerateArgs {
    pub action: ModerationArg,
    pub mention: Option<String>,
    pub author: Option<String>,
    pub hide_reason: Option<String>,
    pub reason: String,
    pub actor: String,
    pub approver: Option<String>,
}

fn agent_actor(config: &Config, name: &str) -> Option<Actor> {
    config
        .inbox
        .agents
        .iter()
        .find(|a| a.name == name)
        .map(|a| Actor::new(&a.name, a.role))
}

/// `firebreak moderate`: the same guardrails as the API. Exit 0 when allowed, 2 when an
/// approver is needed, 1 when refused.
pub fn moderate(config: &Config, stores: Stores, a: ModerateArgs) -> Result<ExitCode> {
    let (store, cases) = (stores.mentions, stores.cases);
    let inbox = for_cli(config, cases)?;
    // An unknown name is still audited (as an agent): refusals must leave a trace.
    let who = agent_actor(config, &a.actor).unwrap_or_else(|| Actor::new(&a.actor, Role::Agent));
    let approver = match &a.approver {
        None => None,
        Some(n) => Some(
            agent_actor(config, n)
                .ok_or_else(|| anyhow!("--approver {n:?} is not an agent of [inbox.agents]"))?,
        ),
    };
    let hide_reason = match a.hide_reason.as_deref() {
        None => None,
        Some(r) => Some(HideReason::parse(r).ok_or_else(|| {
            anyhow!("--hide-reason {r:?} is not allowed; hiding is only for spam, illegal or personal_data")
        })?),
    };
    let action = match a.action {
        ModerationArg::Delete => ModerationAction::Delete,
        ModerationArg::Hide => ModerationAction::Hide,
        ModerationArg::Block => ModerationAction::Block,
    };
    let target =
        firebreak_server::moderation_target(&inbox, store.as_ref(), action, a.mention, a.author)
            .map_err(|e| anyhow!("{e}"))?;
    let verdict = inbox.moderate(ModerationRequest {
        action,
        target,
        hide_reason,
        reason: a.reason,
        requested_by: who,
        approver,
    })?;
    Ok(match verdict {
        Verdict::Refused { why } => {
            eprintln!("refused: {why}\n(the request is recorded in the audit log)");
            ExitCode::FAILURE
        }
        Verdict::NeedsApproval { why } => {
            eprintln!("not done yet: {why}; ask again with --approver NAME");
            ExitCode::from(2)
        }
        Verdict::Allowed(_) => {
            println!("allowed and recorded in the audit log");
            ExitCode::SUCCESS
        }
    })
}

/// Complaints used by the burst benchmark and its test, in the five languages.
const BURST_TEXTS: &[&str] = &[
    "il pacco non è mai arrivato, è una vergogna, nessuno risponde",
    "ordine in ritardo di due settimane e il servizio clienti mi ha trattato malissimo",
    "el pedido nunca llegó y nadie me contesta, es una vergüenza",
    "me cobraron dos veces y el soporte no hace nada, estoy harto",
    "paczka nie dotarła od dwóch tygodni, obsługa klienta nie odpowiada, skandal",
    "czajnik przyszedł zepsuty, żądam zwrotu pieniędzy",
    "das Paket ist seit zwei Wochen nicht angekommen und niemand antwortet, unverschämt",
    "der Wasserkocher kam kaputt an, ich will mein Geld zurück",
    "my order never arrived and support keeps ignoring me, this is a disgrace",
    "the kettle arrived broken and nobody answers my emails, terrible service",
];

/// A burst of `count` negative mentions from distinct authors over `minutes`.
pub fn burst(count: u64, minutes: u64, start: chrono::DateTime<chrono::Utc>) -> Vec<Mention> {
    let span_ms = (minutes.max(1) * 60_000) as i64;
    (0..count)
        .map(|i| {
            let text = BURST_TEXTS[(i as usize) % BURST_TEXTS.len()];
            Mention {
                id: MentionId::new(format!("burst:{i}")),
                platform: "mastodon".parse().unwrap_or_else(|_| unreachable!()),
                channel: ChannelId::new("@brand"),
                kind: MentionKind::Mention,
                created_at: start
                    + chrono::Duration::milliseconds(span_ms * i as i64 / count.max(1) as i64),
                author: Author {
                    id: AuthorId::new(format!("a{i}")),
                    handle: Some(format!("@user{i}")),
                    followers: (i * 7919) % 50_000,
                    verified: false,
                },
                text: format!("@brand {text} #{i}"),
                lang: None,
                in_reply_to: None,
                reshare_of: None,
                url: None,
                analysis: None,
            }
        })
        .collect()
}

/// `firebreak bench inbox`.
pub async fn bench(
    config: &Config,
    db: Option<String>,
    count: u64,
    minutes: u64,
    json: bool,
) -> Result<ExitCode> {
    if count == 0 {
        bail!("--count must be at least 1");
    }
    let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
    let url = db.unwrap_or_else(|| format!("sqlite://{}", tmp.path().join("inbox.db").display()));
    let stores = crate::commands::open_stores(url).await?;
    let (store, cases) = (stores.mentions, stores.cases);
    let mut config = config.clone();
    config.analysis.enabled = true;
    let inbox = Arc::new(Inbox::new(
        cases.clone(),
        config.inbox.inbox_config(),
        Arc::new(SystemClock),
    ));
    let components: Components =
        crate::commands::components(&config, store.clone(), Vec::new(), Some(inbox.clone()))?;
    let mentions = burst(
        count,
        minutes,
        chrono::Utc::now() - chrono::Duration::minutes(minutes as i64),
    );
    let started = std::time::Instant::now();
    let pipeline = Pipeline::start(config.pipeline(), components);
    // Arrive in small batches, as a live stream does.
    for chunk in mentions.chunks(100) {
        pipeline.submit(chunk.to_vec()).await?;
    }
    let report = pipeline.shutdown().await?;
    let ingest_secs = started.elapsed().as_secs_f64();
    let figures = tokio::task::spawn_blocking(move || -> Result<serde_json::Value> {
        let mut in_cases = 0u64;
        let mut needing = 0u64;
        for m in &mentions {
            let stored = store
                .get_mention(&m.id)?
                .ok_or_else(|| anyhow!("mention {} was not stored", m.id))?;
            if firebreak_respond::priority::needs_response(&stored.mention).is_some() {
                needing += 1;
                if cases.case_of_mention(&m.id)?.is_some() {
                    in_cases += 1;
                }
            }
        }
        let all = CaseQuery::default();
        let total = cases.count_cases(&all)?;
        let mut by_priority = serde_json::Map::new();
        for p in firebreak_respond::Priority::ALL {
            let n = cases
                .list_cases(&CaseQuery {
                    limit: 1000,
                    ..CaseQuery::default()
                })?
                .iter()
                .filter(|c| c.priority == p)
                .count();
            by_priority.insert(p.as_str().into(), json!(n));
        }
        // The first page of the queue, as the inbox page asks for it.
        let mut times = Vec::with_capacity(200);
        for i in 0..200 {
            let t = std::time::Instant::now();
            let page = inbox.list(&CaseQuery {
                limit: 50,
                offset: (i % 4) * 50,
                ..CaseQuery::default()
            })?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            if page.is_empty() {
                bail!("the queue is empty");
            }
        }
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        Ok(json!({
            "mentions": count,
            "stored": report.inserted,
            "needing_response": needing,
            "in_cases": in_cases,
            "open_cases": total,
            "first_page_priorities": by_priority,
            "ingest_seconds": ingest_secs,
            "list_ms_p50": pct(0.5),
            "list_ms_p95": pct(0.95),
            "list_ms_max": pct(1.0),
        }))
    })
    .await??;
    if json {
        println!("{figures}");
    } else {
        println!(
            "{} negative mentions over {} min: {} stored, {} need a response, {} of them in cases ({} open cases); \
             pipeline with analysis and inbox {:.2}s; inbox first page p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            count,
            minutes,
            figures["stored"],
            figures["needing_response"],
            figures["in_cases"],
            figures["open_cases"],
            ingest_secs,
            figures["list_ms_p50"].as_f64().unwrap_or(f64::NAN),
            figures["list_ms_p95"].as_f64().unwrap_or(f64::NAN),
            figures["list_ms_max"].as_f64().unwrap_or(f64::NAN),
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use firebreak_respond::inbox::SlaEvent;

    fn breaches(n: usize, channel: &str) -> Vec<SlaEvent> {
        (0..n)
            .map(|i| SlaEvent {
                case_id: i as i64,
                channel: channel.into(),
                mention: Some(format!("m{i}").as_str().into()),
                kind: "breach:first_response".into(),
                due: chrono::DateTime::from_timestamp(0, 0).unwrap_or_default(),
                assignee: None,
            })
            .collect()
    }

    #[test]
    fn a_backlog_alerts_once_per_hour_and_again_only_when_it_grows() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let mut b = Backlog::new(10);
        assert!(b.observe(&breaches(9, "@a"), t0).is_empty());
        let first = b.observe(&breaches(1, "@a"), t0);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].kind, firebreak_core::AlertKind::ResponseBacklog);
        assert_eq!((first[0].severity, first[0].crisis), (2, false));
        assert_eq!(first[0].evidence.len(), 10);
        assert!(b
            .observe(&breaches(5, "@a"), t0 + chrono::Duration::minutes(5))
            .is_empty());
        let worse = b.observe(&breaches(40, "@a"), t0 + chrono::Duration::minutes(10));
        assert_eq!(worse.iter().map(|a| a.severity).collect::<Vec<_>>(), [3]);
        // Other channels and other kinds of event do not count.
        let mut other = breaches(20, "@b");
        for e in other.iter_mut() {
            e.kind = "follow_up_due".into();
        }
        assert!(b.observe(&other, t0).is_empty());
        // An hour later the old breaches have aged out.
        assert!(b
            .observe(&breaches(1, "@a"), t0 + chrono::Duration::minutes(75))
            .is_empty());
    }
}
