//! Detection at the binary edge: `eval scenarios`, `eval nab`, `detect series`,
//! and the alert sink of the live server.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use firebreak_core::Alert;
use firebreak_detect::{nab, scenarios, series};
use firebreak_pipeline::AlertSink;

/// Alerts claimed in the log and handed to the notifier, by emission key, until the notifier
/// has finished with them.
type Pending = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Alert>>>;

/// Records every alert in the store's alert log (what the overview lists).
///
/// Without an outbox an emission is recorded as delivered at once: there is no notifier,
/// or the outputs run in this process (a replay). With one ([`Outbox`], `serve` with
/// notification targets), the row stays *undelivered* until the notifier confirms it, and a
/// restart re-sends what a crash left unconfirmed ([`Outbox::redeliver`]).
pub struct StoredAlerts {
    log: std::sync::Arc<dyn firebreak_store::AlertLog>,
    pending: Option<Pending>,
}

impl StoredAlerts {
    pub fn new(log: std::sync::Arc<dyn firebreak_store::AlertLog>) -> StoredAlerts {
        StoredAlerts { log, pending: None }
    }
}

impl AlertSink for StoredAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        let now = chrono::Utc::now();
        let fresh = self
            .log
            .claim_alert(alert, "local", now)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        match &self.pending {
            // Confirmed by the notifier (a re-sent emission is not fresh, and waits too).
            Some(pending) => {
                pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(alert.emission_key(), alert.clone());
            }
            None if fresh => self
                .log
                .mark_alert_delivered(alert, "local", now)
                .map_err(|e| std::io::Error::other(e.to_string()))?,
            None => {}
        }
        Ok(())
    }
}

/// Undelivered alerts re-sent at start, at most (a crash leaves a handful).
const REDELIVER_MAX: usize = 100_000;

/// A single node's outbox over the alert log: an alert is claimed before any output sees
/// it and recorded as delivered when the notifier has finished with it (sent by every
/// target that takes it, or given up after the retries). What a crash leaves in between
/// is sent again at the next start, with the same idempotency key.
pub struct Outbox {
    log: std::sync::Arc<dyn firebreak_store::AlertLog>,
    pending: Pending,
    confirm: tokio::sync::mpsc::UnboundedSender<(String, String)>,
}

impl Outbox {
    /// Starts recording the notifier's confirmations in `log` (needs a Tokio runtime).
    pub fn start(log: std::sync::Arc<dyn firebreak_store::AlertLog>) -> Outbox {
        let pending: Pending = Default::default();
        let (confirm, mut confirmations) =
            tokio::sync::mpsc::unbounded_channel::<(String, String)>();
        let (task_log, task_pending) = (log.clone(), pending.clone());
        tokio::spawn(async move {
            while let Some((key, outcome)) = confirmations.recv().await {
                let alert = task_pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                // Escalation pages and SLA reminders are notifications, not alerts.
                let Some(alert) = alert else { continue };
                let log = task_log.clone();
                let marked = tokio::task::spawn_blocking(move || {
                    log.mark_alert_delivered(&alert, &outcome, chrono::Utc::now())
                })
                .await;
                match marked {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(key = %key, error = %e,
                        "cannot record a delivered alert; it is sent again at the next start"),
                    Err(e) => tracing::error!(error = %e, "recording a delivery failed"),
                }
            }
        });
        Outbox {
            log,
            pending,
            confirm,
        }
    }

    /// The notifier's callback: (emission key, outcome) once it has finished with one.
    pub fn on_done(&self) -> firebreak_connectors::notify::OnDone {
        let confirm = self.confirm.clone();
        std::sync::Arc::new(move |key: &str, outcome: &str| {
            let _ = confirm.send((key.to_owned(), outcome.to_owned()));
        })
    }

    /// The first output: claims each alert in the log, to be confirmed by the notifier.
    pub fn stored_alerts(&self) -> StoredAlerts {
        StoredAlerts {
            log: self.log.clone(),
            pending: Some(self.pending.clone()),
        }
    }

    /// Sends every alert whose delivery a previous run never confirmed through `sinks`
    /// again (the first of which is [`Outbox::stored_alerts`]); returns how many.
    pub fn redeliver(&self, sinks: &mut [Box<dyn AlertSink>]) -> Result<usize> {
        let waiting = self
            .log
            .undelivered_alerts(REDELIVER_MAX)
            .context("cannot read the alert log")?;
        for record in &waiting {
            tracing::warn!(
                alert = %record.alert.id,
                severity = record.alert.severity,
                claimed_at = %record.claimed_at,
                "re-sending an alert whose delivery was never confirmed"
            );
            for sink in sinks.iter_mut() {
                if let Err(e) = sink.emit(&record.alert) {
                    tracing::error!(alert = %record.alert.id, error = %e, "alert output failed");
                }
            }
        }
        for sink in sinks.iter_mut() {
            let _ = sink.flush();
        }
        Ok(waiting.len())
    }
}

/// Logs every alert the live server raises.
pub struct LogAlerts;

impl AlertSink for LogAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        tracing::warn!(
            id = %alert.id,
            channel = %alert.channel,
            kind = %alert.kind,
            crisis = alert.crisis,
            severity = alert.severity,
            terms = ?alert.terms,
            "alert: {}",
            alert.summary
        );
        Ok(())
    }
}

/// `firebreak eval scenarios DIR`: replays every labelled scenario through
/// analysis and the default detectors and prints the metrics.
pub fn eval_scenarios(
    dir: &Path,
    alerts_out: Option<&Path>,
    models: Option<&Path>,
    transformer: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let analyzer = crate::analysis::load(models, transformer)?;
    if let Some(out) = alerts_out {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    }
    let mut analyze =
        |m: &firebreak_core::Mention| Some(analyzer.analyze(&m.text, m.lang.as_deref()));
    let results = scenarios::evaluate_dir(
        dir,
        &mut analyze,
        &firebreak_detect::default_detectors,
        alerts_out,
    )
    .with_context(|| format!("cannot evaluate the scenarios in {}", dir.display()))?;
    anyhow::ensure!(
        !results.is_empty(),
        "{} holds no scenario: expected NAME.jsonl files with NAME.labels.json beside them",
        dir.display()
    );
    let rows: Vec<scenarios::Row> = results.into_iter().map(|(row, _)| row).collect();
    if json {
        println!("{}", serde_json::to_string(&rows)?);
    } else {
        println!("{}", scenarios::table(&rows));
        println!(
            "summary: {}",
            serde_json::to_string(&scenarios::summarise(&rows))?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `firebreak detect series FILE.csv`: `timestamp,anomaly_score` for every row.
pub fn detect_series(path: &Path) -> Result<ExitCode> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {shown}"))?;
    let rows = series::parse_csv(&shown, &text)?;
    let scores = series::score_series(&rows);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "timestamp,anomaly_score")?;
    for ((timestamp, _), score) in rows.iter().zip(scores) {
        writeln!(out, "{timestamp},{score}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `firebreak eval nab DIR`: the live volume detector on NAB series, scored like NAB.
pub fn eval_nab(dir: &Path, profile: &str) -> Result<ExitCode> {
    let prof = nab::Profile::by_name(profile).with_context(|| {
        format!(
            "unknown profile {profile:?}: use standard, reward_low_FP_rate or reward_low_FN_rate"
        )
    })?;
    let labels = dir.join("labels_realTweets.json");
    let (files, _raw, _windows, score, _rows) = nab::evaluate_dir(dir, &labels, prof)
        .with_context(|| format!("cannot evaluate NAB series in {}", dir.display()))?;
    println!("| file | raw score | windows | detected | false positives |");
    println!("|---|---|---|---|---|");
    for f in &files {
        println!(
            "| {} | {:.3} | {} | {} | {} |",
            f.file, f.score.raw, f.score.windows, f.score.detected, f.score.fp_rows
        );
    }
    println!("\nNAB score ({profile} profile, fixed default threshold): {score:.1}");
    Ok(ExitCode::SUCCESS)
}
