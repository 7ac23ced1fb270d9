//! Detection at the binary edge: `eval scenarios`, `eval nab`, `detect series`,
//! and the alert sink of the live server.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use firebreak_core::Alert;
use firebreak_detect::{nab, scenarios, series};
use firebreak_pipeline::AlertSink;

/// Records every alert in the store's alert log (what the overview lists). On one node
/// the outputs run in the same process and the same order, so an emission is recorded as
/// delivered at once; a cluster's detector owner claims and confirms its own (the outbox).
pub struct StoredAlerts {
    log: std::sync::Arc<dyn firebreak_store::AlertLog>,
}

impl StoredAlerts {
    pub fn new(log: std::sync::Arc<dyn firebreak_store::AlertLog>) -> StoredAlerts {
        StoredAlerts { log }
    }
}

impl AlertSink for StoredAlerts {
    fn emit(&mut self, alert: &Alert) -> std::io::Result<()> {
        let now = chrono::Utc::now();
        let fresh = self
            .log
            .claim_alert(alert, "local", now)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        if fresh {
            self.log
                .mark_alert_delivered(alert, "local", now)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        Ok(())
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
