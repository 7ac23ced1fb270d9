//! `firebreak bench latency`: the time from a mention entering the pipeline
//! to the crisis alert it triggers leaving it, while a steady stream flows
//! through the whole pipeline (analysis, SQLite store, detectors, output).
//!
//! A synthetic stream of many channels is sent at RATE mentions/s of wall
//! clock in 10 ms ticks; its event time runs faster (30 hours over the run)
//! so that the detectors learn each channel's normal first. Late in the run,
//! four channels get a crisis, one after the other: complaints about a melted kettle from many
//! authors. Every alert's `raised_at` is the `created_at` of the mention that
//! triggered it, which identifies when that mention was sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use firebreak_core::{Alert, Author, AuthorId, ChannelId, Mention, MentionId, MentionKind};
use firebreak_pipeline::{AlertSink, Envelope, Pipeline};
use serde_json::json;

use crate::commands::{components, open_store};
use crate::config::Config;

const CHANNELS: u64 = 20;
/// Channels that get a crisis, and when it starts (share of the run).
const CRISES: [(u64, f64); 4] = [(3, 0.55), (8, 0.65), (13, 0.75), (18, 0.85)];
const BACKGROUND: [&str; 8] = [
    "Thanks @brand, the delivery was quick and the kettle looks great",
    "Does the new kettle come in black? Asking for a friend",
    "Il bollitore funziona benissimo, grazie",
    "¿Cuándo llega el pedido a Madrid?",
    "Czy jest gwarancja na czajnik?",
    "Wie entkalke ich den Wasserkocher richtig?",
    "Love my morning coffee with the Brio",
    "Ordered a second one for my mum",
];
const CRISIS: [&str; 4] = [
    "@brand my kettle melted and threw sparks, this is dangerous! recall it now",
    "@brand the base of the kettle melted on my counter, sparks everywhere, dangerous",
    "Same here @brand: kettle base melted, sparks. Dangerous product, I want a refund",
    "@brand recall this kettle, it melted and sparked. Unacceptable and dangerous",
];

struct Timed(Arc<Mutex<Vec<(Alert, Instant)>>>);

impl AlertSink for Timed {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        if let Ok(mut v) = self.0.lock() {
            v.push((alert.clone(), Instant::now()));
        }
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub async fn latency(
    config: &Config,
    rate: u64,
    seconds: u64,
    json_out: bool,
) -> Result<std::process::ExitCode> {
    anyhow::ensure!(
        rate >= 100 && seconds >= 2,
        "use --rate >= 100 and --seconds >= 2"
    );
    let total = rate * seconds;
    let t0 = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")?.with_timezone(&Utc);
    // 30 hours of event time over the run, one distinct millisecond per mention.
    let step_ms = (30 * 3_600_000 / total as i64).max(1);
    let mention = |i: u64| -> Mention {
        let channel = i % CHANNELS;
        let crisis = CRISES
            .iter()
            .any(|(c, from)| *c == channel && i as f64 >= total as f64 * from)
            && (i / CHANNELS).is_multiple_of(4);
        let text = if crisis {
            CRISIS[(i as usize / 7) % CRISIS.len()]
        } else {
            BACKGROUND[(i as usize / 3) % BACKGROUND.len()]
        };
        Mention {
            id: MentionId::new(format!("bench:{i}")),
            platform: "x"
                .parse()
                .unwrap_or_else(|_| unreachable!("valid platform")),
            channel: ChannelId::new(format!("@brand{channel}")),
            kind: MentionKind::Mention,
            created_at: t0 + chrono::Duration::milliseconds(i as i64 * step_ms),
            author: Author {
                id: AuthorId::new(format!("u{}", i * 7919 % 1_000_003)),
                handle: None,
                followers: 50 + i % 900,
                verified: false,
            },
            text: text.to_owned(),
            lang: None,
            in_reply_to: None,
            reshare_of: None,
            url: None,
            analysis: None,
        }
    };

    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let store = open_store(format!(
        "sqlite://{}",
        dir.path().join("latency.db").display()
    ))
    .await?;
    let alerts = Arc::new(Mutex::new(Vec::new()));
    let pipeline = Pipeline::start(
        config.pipeline(),
        components(
            config,
            store.clone(),
            vec![Box::new(Timed(alerts.clone()))],
            None,
        )?,
    );
    let tx = pipeline.sender();
    let mut sent_at: Vec<Instant> = Vec::with_capacity(total as usize);
    let per_tick = (rate / 100).max(1);
    let start = Instant::now();
    let mut max_lag = Duration::ZERO;
    let mut i = 0u64;
    let mut tick = 0u64;
    while i < total {
        let due = start + Duration::from_millis(tick * 10);
        let now = Instant::now();
        if due > now {
            tokio::time::sleep(due - now).await;
        } else {
            max_lag = max_lag.max(now - due);
        }
        let end = (i + per_tick).min(total);
        let batch: Vec<Mention> = (i..end).map(mention).collect();
        let at = Instant::now();
        sent_at.extend(std::iter::repeat_n(at, batch.len()));
        tx.send(Envelope::new(batch))
            .await
            .map_err(|_| anyhow::anyhow!("the pipeline stopped"))?;
        i = end;
        tick += 1;
    }
    let sending = start.elapsed().as_secs_f64();
    drop(tx);
    let report = pipeline.shutdown().await?;
    tokio::task::spawn_blocking(move || drop(store)).await?;

    let alerts = alerts.lock().map(|v| v.clone()).unwrap_or_default();
    let mut lat_ms: Vec<f64> = alerts
        .iter()
        .filter(|(a, _)| a.crisis)
        .filter_map(|(a, emitted)| {
            let offset = (a.raised_at - t0).num_milliseconds();
            let idx = usize::try_from(offset / step_ms).ok()?;
            let sent = sent_at.get(idx)?;
            Some(emitted.saturating_duration_since(*sent).as_secs_f64() * 1000.0)
        })
        .collect();
    lat_ms.sort_by(f64::total_cmp);
    let first_crisis = alerts.iter().find(|(a, _)| a.crisis);
    let figures = json!({
        "rate_target": rate,
        "rate_achieved": (total as f64 / sending).round(),
        "mentions": total,
        "stored": report.inserted,
        "alerts": alerts.len(),
        "crisis_alert_lines": lat_ms.len(),
        "latency_ms_p50": percentile(&lat_ms, 0.5),
        "latency_ms_p99": percentile(&lat_ms, 0.99),
        "latency_ms_max": lat_ms.last().copied().unwrap_or(f64::NAN),
        "sender_max_lag_ms": max_lag.as_secs_f64() * 1000.0,
        "analysis": config.analysis.enabled,
    });
    if json_out {
        println!("{figures}");
    } else {
        println!(
            "alert latency benchmark (SQLite, analysis {}, default detectors)",
            if config.analysis.enabled { "on" } else { "off" }
        );
        println!("  stream              {total} mentions over {seconds} s on {CHANNELS} channels, target {rate}/s, achieved {:.0}/s", total as f64 / sending);
        println!("  stored              {}", report.inserted);
        println!(
            "  alerts              {} lines, {} of them crisis alerts",
            alerts.len(),
            lat_ms.len()
        );
        if let Some((a, _)) = first_crisis {
            println!(
                "  first crisis alert  {} (severity {}): {}",
                a.kind, a.severity, a.summary
            );
        }
        println!(
            "  mention -> alert    p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (wall clock, from the send of the triggering mention to the alert leaving the pipeline)",
            percentile(&lat_ms, 0.5),
            percentile(&lat_ms, 0.99),
            lat_ms.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "  sender lag          max {:.1} ms behind schedule (backpressure)",
            max_lag.as_secs_f64() * 1000.0
        );
    }
    anyhow::ensure!(
        !lat_ms.is_empty(),
        "the injected crisis raised no crisis alert"
    );
    Ok(std::process::ExitCode::SUCCESS)
}
