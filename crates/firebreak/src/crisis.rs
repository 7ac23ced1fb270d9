//! The crisis room inside Firebreak: opened from the plan in `[crisis] plan`, fed by the
//! pipeline's alerts, paging people through the notifiers, its timers run by a clock.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use firebreak_connectors::notify::{Notification, NotifyHandle};
use firebreak_core::{Alert, Mention};
use firebreak_crisis::{CrisisRoom, CrisisStatus, LogPager, Page, Pager};
use firebreak_pipeline::{AlertSink, Detector};
use firebreak_respond::sla::{Clock, StreamClock};
use firebreak_store::MentionStore;

use crate::commands::Stores;
use crate::config::Config;
use crate::CrisisAction;

/// Pages through the notifiers: email targets write to the people paged.
pub struct NotifyPager(pub NotifyHandle);

impl Pager for NotifyPager {
    fn page(&self, page: Page) {
        let n = Notification {
            key: page.key.clone(),
            subject: page.subject.clone(),
            text: page.text.clone(),
            severity: page.severity,
            crisis: true,
            payload: serde_json::json!({"event": "page", "page": page}),
            to: page.to.iter().map(|r| r.email.clone()).collect(),
        };
        if let Err(e) = self.0.queue(n) {
            tracing::error!(error = %e, key = %page.key, "page not queued");
        }
    }
}

/// The crisis room for this configuration, or `None` without a plan.
pub fn open(
    config: &Config,
    stores: &Stores,
    notify: Option<NotifyHandle>,
    clock: Arc<dyn Clock>,
) -> Result<Option<Arc<CrisisRoom>>> {
    let Some(path) = &config.crisis.plan else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read the crisis plan {}: {e}", path.display()))?;
    let plan =
        firebreak_plan::parse(&text, &path.display().to_string()).map_err(|e| anyhow!("{e}"))?;
    let pager: Arc<dyn Pager> = match notify {
        Some(h) => Arc::new(NotifyPager(h)),
        None => Arc::new(LogPager),
    };
    let room = CrisisRoom::new(Arc::new(plan), stores.crises.clone(), pager, clock)
        .with_linter(crate::analysis::linter(config)?)
        .with_audit(stores.cases.clone())
        .with_source(text, 0);
    // A version saved through the web app's plan editor overrides the file.
    let version = room.refresh_plan().map_err(|e| anyhow!("{e}"))?;
    if version > 0 {
        tracing::info!(
            version,
            file = %path.display(),
            "the crisis plan in force is version {version} from the plan editor, not the file"
        );
    }
    Ok(Some(Arc::new(room)))
}

/// Hands every alert to the crisis room (after the inbox linked its cases).
pub struct CrisisAlerts {
    pub room: Arc<CrisisRoom>,
    pub mentions: Arc<dyn MentionStore>,
}

impl AlertSink for CrisisAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        // The onset, as far as the evidence tells: its earliest mention about the crisis's
        // terms (evidence can include an older, unrelated complaint of a linked author).
        let terms: Vec<String> = alert.terms.iter().map(|t| t.to_lowercase()).collect();
        let mut onset = None;
        let mut earliest_any = None;
        for id in alert.evidence.iter().take(200) {
            if let Ok(Some(m)) = self.mentions.get_mention(id) {
                let t = m.mention.created_at;
                earliest_any =
                    Some(earliest_any.map_or(t, |o: chrono::DateTime<chrono::Utc>| o.min(t)));
                let text = m.mention.text.to_lowercase();
                if terms.iter().any(|term| text.contains(term.as_str())) {
                    onset = Some(onset.map_or(t, |o: chrono::DateTime<chrono::Utc>| o.min(t)));
                }
            }
        }
        let onset = onset.or(earliest_any);
        self.room
            .on_alert(alert, onset)
            .map(|_| ())
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// Moves an event-time clock with the stream (replays and drills).
pub struct StreamTime(pub Arc<StreamClock>);

impl Detector for StreamTime {
    fn name(&self) -> &'static str {
        "stream-time"
    }
    fn observe(&mut self, mention: &Mention, _alerts: &mut Vec<Alert>) {
        self.0.observe(mention.created_at);
    }
}

/// Runs the room's timers every `every` until the runtime stops.
pub fn spawn_clock(room: Arc<CrisisRoom>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let room = room.clone();
            match tokio::task::spawn_blocking(move || room.tick()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "crisis clock failed"),
                Err(e) => tracing::error!(error = %e, "crisis clock task failed"),
            }
        }
    })
}

fn room_for_cli(config: &Config, stores: &Stores) -> Result<Arc<CrisisRoom>> {
    open(
        config,
        stores,
        None,
        Arc::new(firebreak_respond::sla::SystemClock),
    )?
    .ok_or_else(|| anyhow!("no crisis plan: set [crisis] plan = \"PATH\" in firebreak.toml (see examples/plan.toml)"))
}

/// `firebreak crisis ...` and `firebreak report`. Reading needs no plan; acting does.
pub fn command(config: &Config, stores: Stores, action: CrisisAction) -> Result<ExitCode> {
    let read = stores.crises.clone();
    let room = || room_for_cli(config, &stores);
    let show = |c: &firebreak_crisis::Crisis| {
        println!(
            "crisis #{} on {}: {} (severity {}){}\n  {}\n  escalation: level {}, notified {}, acknowledged by {}",
            c.id,
            c.channel,
            c.status.as_str(),
            c.severity,
            if c.drill { " DRILL" } else { "" },
            c.title,
            c.escalation.level,
            c.escalation.notified.join(", "),
            c.escalation.acked_by.as_deref().unwrap_or("nobody yet"),
        );
        for (i, s) in c.checklist.iter().enumerate() {
            println!(
                "  [{}] {i}: {} (owner {}, due {})",
                match (s.done_at.is_some(), s.skipped) {
                    (_, true) => "-",
                    (true, _) => "x",
                    _ => " ",
                },
                s.task,
                s.owner,
                s.due_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        for st in &c.statements {
            println!(
                "  statement {} {} ({}): {:?}",
                st.id, st.kind, st.lang, st.status
            );
        }
    };
    match action {
        CrisisAction::Open {
            channel,
            severity,
            title,
            cases,
            actor,
        } => {
            let c = open_by_hand(
                config,
                &stores,
                &*room()?,
                &channel,
                severity,
                &title,
                &cases,
                &actor,
            )?;
            show(&c);
        }
        CrisisAction::List { json, active } => {
            let list = read.list_crises(active, 100)?;
            for c in &list {
                if json {
                    println!("{}", serde_json::to_string(c)?);
                } else {
                    println!(
                        "#{:<4} {:<11} sev {} {:<16} {}{}",
                        c.id,
                        c.status.as_str(),
                        c.severity,
                        c.channel,
                        c.title,
                        if c.drill { " (drill)" } else { "" }
                    );
                }
            }
        }
        CrisisAction::Show { id, json } => {
            let c = read
                .get_crisis(id)?
                .ok_or_else(|| anyhow!("crisis #{id} does not exist"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                show(&c);
            }
        }
        CrisisAction::Ack { id, actor } => show(&room()?.acknowledge(id, &actor)?),
        CrisisAction::Status { id, status, actor } => {
            let to = CrisisStatus::parse(&status).ok_or_else(|| {
                anyhow!("status {status:?}: use declared, responding, contained, recovering, resolved or reviewed")
            })?;
            show(&room()?.advance(id, to, &actor)?)
        }
        CrisisAction::Step {
            id,
            step,
            skip,
            actor,
        } => show(&room()?.step(id, step, skip, &actor)?),
        CrisisAction::Note { id, text, actor } => show(&room()?.note(id, &text, &actor)?),
        CrisisAction::Lessons {
            id,
            text,
            action,
            actor,
        } => show(&room()?.lessons(id, &text, &action, &actor)?),
        CrisisAction::Draft { id, kind, actor } => {
            let kind =
                firebreak_server::crises::statement_kind(&kind).map_err(|e| anyhow!("{e}"))?;
            show(&room()?.draft(id, kind, &actor)?)
        }
        CrisisAction::Revise {
            id,
            statement,
            text,
            actor,
        } => show(&room()?.revise(id, statement, &text, &actor)?),
        CrisisAction::Approve {
            id,
            statement,
            actor,
        } => show(&room()?.approve(id, statement, &actor)?),
        CrisisAction::Publish {
            id,
            statement,
            actor,
        } => show(&room()?.publish(id, statement, &actor)?),
        CrisisAction::Tick => {
            let touched = room()?.tick()?;
            println!("timers fired on {} crisis(es)", touched.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens a crisis by hand from cases: their first mentions are its evidence, and the cases
/// are linked to it like an alert's.
#[allow(clippy::too_many_arguments)]
pub fn open_by_hand(
    config: &Config,
    stores: &Stores,
    room: &CrisisRoom,
    channel: &str,
    severity: u8,
    title: &str,
    cases: &[i64],
    actor: &str,
) -> Result<firebreak_crisis::Crisis> {
    let now = room.now();
    let mut evidence = Vec::new();
    let mut onset: Option<chrono::DateTime<chrono::Utc>> = None;
    for id in cases {
        let case = stores
            .cases
            .get_case(*id)?
            .ok_or_else(|| anyhow!("case #{id} does not exist"))?;
        if let Some(m) = case.mentions.first() {
            evidence.push(m.clone());
        }
        onset = Some(onset.map_or(case.opened_at, |o| o.min(case.opened_at)));
    }
    let alert = Alert {
        id: format!("{channel}:manual:{}", now.format("%Y%m%dT%H%M%S")),
        raised_at: now,
        channel: channel.into(),
        kind: firebreak_core::AlertKind::NegativeSurge,
        crisis: true,
        severity,
        summary: title.to_owned(),
        terms: Vec::new(),
        evidence,
        amplifiers: Vec::new(),
    };
    let crisis = room.open_by_hand(&alert, severity, onset, actor)?;
    if let Some(inbox) = crate::inbox::open(config, stores.cases.clone())? {
        inbox.link_alert(&alert)?;
    }
    Ok(crisis)
}

/// `firebreak report CRISIS_ID --format md|html|json [--out FILE]`.
pub fn report(
    config: &Config,
    stores: Stores,
    id: i64,
    format: &str,
    out: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let _ = config;
    let pm = firebreak_server::crises::post_mortem(
        stores.crises.as_ref(),
        stores.mentions.as_ref(),
        stores.cases.as_ref(),
        id,
        chrono::Utc::now(),
    )
    .map_err(|e| anyhow!("{e}"))?;
    let text = match format {
        "md" | "markdown" => pm.markdown(),
        "html" => pm.html(),
        "json" => serde_json::to_string_pretty(&pm)?,
        other => anyhow::bail!("--format {other:?}: use md, html or json"),
    };
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
