//! Replay labelled scenarios (`NAME.jsonl` + `NAME.labels.json`) through
//! analysis and the detectors, and score the alerts exactly as
//! `shared/tools/score_scenarios.py` does. Labels are read only by the
//! scorer, never by a detector.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use firebreak_core::{Alert, Analysis, Mention};
use firebreak_pipeline::Detector;
use serde::{Deserialize, Serialize};

/// Errors of scenario evaluation.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ScenarioError + '_ {
    move |source| ScenarioError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The labels of one scenario (the fields the scorer needs).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Labels {
    pub is_crisis: bool,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub lang: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    #[serde(default)]
    pub onset: Option<DateTime<Utc>>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// One scenario on disk.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub mentions_path: PathBuf,
    pub labels: Labels,
}

/// Scenarios of `dir`: every `NAME.labels.json` with a `NAME.jsonl`, by name.
pub fn list(dir: &Path) -> Result<Vec<Scenario>, ScenarioError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let fname = entry.file_name().to_string_lossy().to_string();
        let Some(name) = fname.strip_suffix(".labels.json") else {
            continue;
        };
        let mentions_path = dir.join(format!("{name}.jsonl"));
        if !mentions_path.exists() {
            continue;
        }
        let lp = entry.path();
        let text = std::fs::read_to_string(&lp).map_err(io_err(&lp))?;
        let labels: Labels = serde_json::from_str(&text).map_err(|e| ScenarioError::Format {
            path: lp.display().to_string(),
            reason: e.to_string(),
        })?;
        out.push(Scenario {
            name: name.to_string(),
            mentions_path,
            labels,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Read a Mention JSONL file, skipping bad lines (returned as a count), sorted
/// by event time (stable).
pub fn read_mentions(path: &Path) -> Result<(Vec<Mention>, usize), ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    let mut ms = Vec::new();
    let mut bad = 0;
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        match firebreak_core::wire::decode_json_str(line) {
            Ok(m) => ms.push(m),
            Err(_) => bad += 1,
        }
    }
    ms.sort_by_key(|m| m.created_at);
    Ok((ms, bad))
}

/// Run mentions through `analyze` and `detectors`; returns all alerts.
pub fn replay(
    mentions: &mut [Mention],
    analyze: &mut dyn FnMut(&Mention) -> Option<Analysis>,
    detectors: &mut [Box<dyn Detector>],
) -> Vec<Alert> {
    let mut alerts = Vec::new();
    for m in mentions.iter_mut() {
        if m.analysis.is_none() {
            m.analysis = analyze(m);
        }
        for d in detectors.iter_mut() {
            d.observe(m, &mut alerts);
        }
    }
    for d in detectors.iter_mut() {
        d.finish(&mut alerts);
    }
    alerts
}

/// Per-scenario result, as `score_scenarios.py -v` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub name: String,
    pub is_crisis: bool,
    pub kind: String,
    pub days: f64,
    pub detected: Option<bool>,
    pub delay_min: Option<f64>,
    pub false_alarms: usize,
    pub topic_hit: Option<bool>,
    /// Alert lines written (all kinds).
    pub alerts: usize,
}

fn words_of(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split_whitespace().map(|w| {
        w.to_lowercase()
            .trim_matches(|c| matches!(c, '.' | ',' | '!' | '?'))
            .to_string()
    })
}

/// Score one scenario's alerts against its labels (score_scenarios.py).
pub fn score(name: &str, labels: &Labels, alerts: &[Alert]) -> Row {
    let crisis: Vec<&Alert> = alerts.iter().filter(|a| a.crisis).collect();
    let days = (labels.end - labels.start).num_milliseconds() as f64 / 86_400_000.0;
    let mut row = Row {
        name: name.to_string(),
        is_crisis: labels.is_crisis,
        kind: labels.kind.clone(),
        days,
        detected: None,
        delay_min: None,
        false_alarms: 0,
        topic_hit: None,
        alerts: alerts.len(),
    };
    match (labels.is_crisis, labels.onset) {
        (true, Some(onset)) => {
            let end = labels.end;
            let mut hits: Vec<DateTime<Utc>> = crisis
                .iter()
                .map(|a| a.raised_at)
                .filter(|t| onset <= *t && *t <= end)
                .collect();
            hits.sort();
            row.detected = Some(!hits.is_empty());
            row.delay_min = hits
                .first()
                .map(|h| (*h - onset).num_milliseconds() as f64 / 60_000.0);
            row.false_alarms = crisis.iter().filter(|a| a.raised_at < onset).count();
            let kw: HashSet<String> = labels.keywords.iter().map(|k| k.to_lowercase()).collect();
            let mut words: HashSet<String> = HashSet::new();
            for a in crisis
                .iter()
                .filter(|a| onset <= a.raised_at && a.raised_at <= end)
            {
                for t in &a.terms {
                    words.extend(words_of(t));
                }
                words.extend(words_of(&a.summary));
            }
            row.topic_hit = Some(kw.iter().any(|k| words.contains(k)));
        }
        _ => row.false_alarms = crisis.len(),
    }
    row
}

/// The summary line of `score_scenarios.py`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub scenarios: usize,
    pub crises: usize,
    pub recall: Option<f64>,
    pub median_delay_min: Option<f64>,
    pub p90_delay_min: Option<f64>,
    pub false_alarms_per_day: Option<f64>,
    pub non_crisis_with_alarm: usize,
    pub non_crisis: usize,
    pub topic_hit_rate: Option<f64>,
}

fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Summarise rows as `score_scenarios.py` does (same rounding).
pub fn summarise(rows: &[Row]) -> Summary {
    let cr: Vec<&Row> = rows.iter().filter(|r| r.is_crisis).collect();
    let nc: Vec<&Row> = rows.iter().filter(|r| !r.is_crisis).collect();
    let det: Vec<&Row> = cr
        .iter()
        .copied()
        .filter(|r| r.detected == Some(true))
        .collect();
    let mut delays: Vec<f64> = det.iter().filter_map(|r| r.delay_min).collect();
    delays.sort_by(f64::total_cmp);
    let fa: usize = rows.iter().map(|r| r.false_alarms).sum();
    let days: f64 = rows.iter().map(|r| r.days).sum();
    let median = if delays.is_empty() {
        None
    } else {
        let n = delays.len();
        Some(if n % 2 == 1 {
            delays[n / 2]
        } else {
            (delays[n / 2 - 1] + delays[n / 2]) / 2.0
        })
    };
    let p90 = if delays.is_empty() {
        None
    } else {
        Some(delays[(0.9 * (delays.len() - 1) as f64) as usize])
    };
    Summary {
        scenarios: rows.len(),
        crises: cr.len(),
        recall: (!cr.is_empty()).then(|| round_to(det.len() as f64 / cr.len() as f64, 3)),
        median_delay_min: median.map(|m| round_to(m, 1)),
        p90_delay_min: p90.map(|m| round_to(m, 1)),
        false_alarms_per_day: (days > 0.0).then(|| round_to(fa as f64 / days, 3)),
        non_crisis_with_alarm: nc.iter().filter(|r| r.false_alarms > 0).count(),
        non_crisis: nc.len(),
        topic_hit_rate: (!det.is_empty()).then(|| {
            round_to(
                det.iter().filter(|r| r.topic_hit == Some(true)).count() as f64 / det.len() as f64,
                3,
            )
        }),
    }
}

/// Replay every scenario of `dir` with fresh detectors from `make_detectors`,
/// analysis from `analyze`; optionally write `NAME.alerts.jsonl` to
/// `alerts_out`. Returns per-scenario rows and alerts.
pub fn evaluate_dir(
    dir: &Path,
    analyze: &mut dyn FnMut(&Mention) -> Option<Analysis>,
    make_detectors: &dyn Fn() -> Vec<Box<dyn Detector>>,
    alerts_out: Option<&Path>,
) -> Result<Vec<(Row, Vec<Alert>)>, ScenarioError> {
    let mut out = Vec::new();
    for sc in list(dir)? {
        let (mut ms, _bad) = read_mentions(&sc.mentions_path)?;
        let mut dets = make_detectors();
        let alerts = replay(&mut ms, analyze, &mut dets);
        if let Some(dir) = alerts_out {
            let p = dir.join(format!("{}.alerts.jsonl", sc.name));
            let mut text = String::new();
            for a in &alerts {
                text.push_str(&a.to_jsonl());
                text.push('\n');
            }
            std::fs::write(&p, text).map_err(io_err(&p))?;
        }
        out.push((score(&sc.name, &sc.labels, &alerts), alerts));
    }
    Ok(out)
}

/// The Markdown metrics table (overall and per scenario kind).
pub fn table(rows: &[Row]) -> String {
    let mut kinds: Vec<String> = rows.iter().map(|r| r.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let mut s = String::from(
        "| scope | n | recall | median delay min | p90 delay min | false alarms/day | non-crisis paged | topic named |\n|---|---|---|---|---|---|---|---|\n",
    );
    let fmt = |o: Option<f64>| o.map(|x| format!("{x}")).unwrap_or_else(|| "–".into());
    let mut line = |scope: &str, rs: &[Row]| {
        let m = summarise(rs);
        s.push_str(&format!(
            "| {scope} | {} | {} | {} | {} | {} | {}/{} | {} |\n",
            rs.len(),
            fmt(m.recall),
            fmt(m.median_delay_min),
            fmt(m.p90_delay_min),
            fmt(m.false_alarms_per_day),
            m.non_crisis_with_alarm,
            m.non_crisis,
            fmt(m.topic_hit_rate)
        ));
    };
    line("all", rows);
    for k in kinds {
        let rs: Vec<Row> = rows.iter().filter(|r| r.kind == k).cloned().collect();
        line(&k, &rs);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        firebreak_core::wire::parse_timestamp(s).unwrap_or_default()
    }

    fn alert(at: &str, crisis: bool, terms: &[&str]) -> Alert {
        Alert {
            id: "a".into(),
            raised_at: t(at),
            channel: "@x".into(),
            kind: firebreak_core::AlertKind::NegativeSurge,
            crisis,
            severity: 2,
            summary: "something happens.".into(),
            terms: terms.iter().map(|s| s.to_string()).collect(),
            evidence: vec![],
            amplifiers: vec![],
        }
    }

    fn labels(is_crisis: bool) -> Labels {
        Labels {
            is_crisis,
            kind: if is_crisis {
                "delivery_delay".into()
            } else {
                "none".into()
            },
            lang: "en".into(),
            start: t("2026-01-01T00:00:00Z"),
            end: t("2026-01-04T00:00:00Z"),
            onset: is_crisis.then(|| t("2026-01-02T00:00:00Z")),
            keywords: vec!["Parcel".into(), "late".into()],
        }
    }

    #[test]
    fn scoring_counts_delay_false_alarms_and_topic() {
        let a = vec![
            alert("2026-01-01T10:00:00Z", true, &["weather"]),
            alert("2026-01-02T00:30:00Z", true, &["parcel!"]),
            alert("2026-01-02T02:00:00Z", false, &[]),
        ];
        let r = score("x", &labels(true), &a);
        assert_eq!(r.detected, Some(true));
        assert_eq!(r.delay_min, Some(30.0));
        assert_eq!(r.false_alarms, 1);
        assert_eq!(r.topic_hit, Some(true));
        let r2 = score("y", &labels(false), &a);
        assert_eq!(r2.false_alarms, 2);
        let s = summarise(&[r, r2]);
        assert_eq!(s.recall, Some(1.0));
        assert_eq!(s.false_alarms_per_day, Some(0.5));
        assert_eq!(s.non_crisis_with_alarm, 1);
    }

    #[test]
    fn median_and_p90_follow_python() {
        let mk = |d: f64| Row {
            name: String::new(),
            is_crisis: true,
            kind: String::new(),
            days: 3.0,
            detected: Some(true),
            delay_min: Some(d),
            false_alarms: 0,
            topic_hit: Some(false),
            alerts: 1,
        };
        let rows: Vec<Row> = [10.0, 40.0, 20.0, 30.0].into_iter().map(mk).collect();
        let s = summarise(&rows);
        assert_eq!(s.median_delay_min, Some(25.0));
        // sorted[int(0.9 * 3)] = sorted[2]
        assert_eq!(s.p90_delay_min, Some(30.0));
        assert_eq!(s.topic_hit_rate, Some(0.0));
    }
}
