//! `firebreak drill SCENARIO.jsonl --speed 60`: replays a recorded or generated crisis into a
//! running server, as a drill, so the team can practise the plan.
//!
//! Every mention goes to a drill channel (`drill:<channel>`) with a drill id, its time moved
//! so that the stream starts now, and is sent at `speed` times its pace. Crises on drill
//! channels are drills: pages say so, and replies on drill cases are never posted to a
//! platform (they are recorded as dry runs). `firebreak report ID` then scores the team.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use firebreak_core::{ChannelId, Mention, MentionId};

/// The prefix of drill channels and mention ids.
pub const DRILL: &str = "drill:";

/// The drill copy of a mention: its own id, channel and thread links, moved in time.
pub fn as_drill(mut m: Mention, shift: chrono::Duration) -> Mention {
    m.id = MentionId::new(format!("{DRILL}{}", m.id));
    m.channel = ChannelId::new(format!("{DRILL}{}", m.channel));
    m.in_reply_to = m.in_reply_to.map(|p| MentionId::new(format!("{DRILL}{p}")));
    m.reshare_of = m.reshare_of.map(|p| MentionId::new(format!("{DRILL}{p}")));
    m.created_at += shift;
    m
}

pub async fn drill(
    server: &str,
    file: &std::path::Path,
    speed: f64,
    secret: Option<String>,
) -> Result<ExitCode> {
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed must be a positive number (60: one hour of the scenario per minute)");
    }
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?,
    );
    let mut mentions = Vec::new();
    for (i, line) in reader.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match firebreak_core::wire::decode_jsonl(&line) {
            Ok(m) => mentions.push(m),
            Err(e) => eprintln!("{}:{}: {e} (skipped)", file.display(), i + 1),
        }
    }
    mentions.sort_by_key(|m| m.created_at);
    let Some(first) = mentions.first().map(|m| m.created_at) else {
        bail!("{} holds no mention", file.display());
    };
    let shift = Utc::now() - first;
    let url = format!("{}/api/v1/mentions", server.trim_end_matches('/'));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut sent = 0usize;
    let mut batch: Vec<Mention> = Vec::new();
    let total = mentions.len();
    for m in mentions {
        let m = as_drill(m, shift);
        // When this mention is due, on the drill's accelerated clock.
        let due = (m.created_at - shift - first).num_milliseconds().max(0) as f64 / speed;
        let wait = Duration::from_millis(due as u64).saturating_sub(started.elapsed());
        if !wait.is_zero() && !batch.is_empty() {
            sent += post(&http, &url, secret.as_deref(), &mut batch).await?;
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        batch.push(m);
        if batch.len() >= 500 {
            sent += post(&http, &url, secret.as_deref(), &mut batch).await?;
        }
    }
    sent += post(&http, &url, secret.as_deref(), &mut batch).await?;
    eprintln!(
        "drill sent {sent} of {total} mentions in {:.1}s; follow it in the crisis room (firebreak crisis list), then score it with firebreak report ID",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    secret: Option<&str>,
    batch: &mut Vec<Mention>,
) -> Result<usize> {
    if batch.is_empty() {
        return Ok(0);
    }
    let body: String = batch
        .iter()
        .map(|m| firebreak_core::wire::encode_jsonl(m) + "\n")
        .collect();
    let mut req = http
        .post(url)
        .header("content-type", "application/x-ndjson")
        .body(body.clone());
    if let Some(s) = secret {
        req = req.header(
            firebreak_server::SIGNATURE_HEADER,
            firebreak_server::signature_for(s.as_bytes(), body.as_bytes()),
        );
    }
    let response = req
        .send()
        .await
        .with_context(|| format!("cannot reach {url}: is `firebreak serve` running?"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        bail!("{url} answered {status}: {text}");
    }
    let n = batch.len();
    batch.clear();
    Ok(n)
}
