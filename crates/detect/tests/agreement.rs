//! Agreement of the Rust scorers with the reference Python scorers and the
//! published NAB per-file scores (`shared/`). Skipped, with a note, when the
//! shared data or python3 is absent.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDateTime;
use firebreak_detect::{nab, scenarios};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn have(p: &Path) -> bool {
    if p.exists() {
        true
    } else {
        eprintln!("skipped: {} not found", p.display());
        false
    }
}

fn python() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: python3 not available");
    }
    ok
}

/// NAB's stored detections at NAB's corpus thresholds reproduce every
/// per-file raw score in `nab_realtweets_scores.csv`.
#[test]
fn nab_scorer_reproduces_published_per_file_scores() {
    let dir = shared().join("data/nab-realtweets");
    if !have(&dir) {
        return;
    }
    let windows = nab::read_windows(&dir.join("labels_realTweets.json")).expect("labels");
    // detector -> file -> [(timestamp, score)]
    let mut fixture: HashMap<String, HashMap<String, Vec<(NaiveDateTime, f64)>>> = HashMap::new();
    let text = std::fs::read_to_string(dir.join("nab_reference_detections.csv")).expect("fixture");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(ts), Ok(score)) = (nab::parse_ts(f[2]), f[3].parse::<f64>()) else {
            panic!("bad fixture line {line}");
        };
        fixture
            .entry(f[0].into())
            .or_default()
            .entry(f[1].into())
            .or_default()
            .push((ts, score));
    }
    let scores = std::fs::read_to_string(dir.join("nab_realtweets_scores.csv")).expect("scores");
    let mut checked = 0;
    // Cache the results per (detector, profile, threshold).
    let mut cache: HashMap<String, HashMap<String, nab::FileScore>> = HashMap::new();
    for line in scores.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (det, profile, theta, file, raw) = (f[0], f[1], f[3], f[4], f[5]);
        let theta: f64 = theta.parse().expect("theta");
        if !fixture.contains_key(det) || theta < 0.3 {
            continue;
        }
        let prof = nab::Profile::by_name(profile).expect("profile");
        let key = format!("{det}|{profile}|{theta}");
        let per_file = cache.entry(key).or_insert_with(|| {
            let mut detections: HashMap<String, HashSet<NaiveDateTime>> = HashMap::new();
            for (file, rows) in &fixture[det] {
                detections.insert(
                    file.clone(),
                    rows.iter()
                        .filter(|(_, s)| *s >= theta)
                        .map(|(t, _)| *t)
                        .collect(),
                );
            }
            let (res, _, _, _) = nab::score_dir(&dir, &windows, &detections, prof).expect("score");
            res.into_iter().map(|r| (r.file, r.score)).collect()
        });
        let got = per_file[file];
        let want: f64 = raw.parse().expect("raw");
        assert!((got.raw - want).abs() < 1e-6, "{line}: got {}", got.raw);
        assert_eq!(got.windows.to_string(), f[6], "{line}");
        assert_eq!(got.detected.to_string(), f[7], "{line}");
        assert_eq!(got.fp_rows.to_string(), f[8], "{line}");
        checked += 1;
    }
    assert!(checked >= 100, "only {checked} rows checked");
}

/// Our own detections, scored in Rust and by nab_score.py, agree.
#[test]
fn nab_scorer_agrees_with_python_on_our_detections() {
    let dir = shared().join("data/nab-realtweets");
    let script = shared().join("tools/nab_score.py");
    if !have(&dir) || !have(&script) || !python() {
        return;
    }
    let labels = dir.join("labels_realTweets.json");
    let (_, raw, windows, score, rows) =
        nab::evaluate_dir(&dir, &labels, nab::Profile::STANDARD).expect("evaluate");
    let tmp = tempfile::tempdir().expect("tmp");
    let csv = tmp.path().join("det.csv");
    let mut text = String::from("file,timestamp,anomaly_score\n");
    for (f, t, s) in rows {
        text.push_str(&format!("{f},{t},{s}\n"));
    }
    std::fs::write(&csv, text).expect("write");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .arg(&labels)
        .arg(&csv)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().expect("summary line");
    let v: serde_json::Value = serde_json::from_str(last).expect("json");
    assert!(
        (v["raw"].as_f64().expect("raw") - raw).abs() < 1e-5,
        "{last} vs {raw}"
    );
    assert_eq!(v["windows"].as_u64(), Some(windows as u64));
    assert!(
        (v["nab_score"].as_f64().expect("score") - score).abs() < 0.006,
        "{last} vs {score}"
    );
}

/// Scenario metrics computed in Rust agree with score_scenarios.py on the
/// same alert files (a crisis, a quiet run and a viral-praise scenario,
/// replayed with the lexicon fallback, plus hand-made alerts).
#[test]
fn scenario_scorer_agrees_with_python() {
    let src = shared().join("data/crisis-scenarios");
    let script = shared().join("tools/score_scenarios.py");
    if !have(&src) || !have(&script) || !python() {
        return;
    }
    let scen = tempfile::tempdir().expect("tmp");
    let alerts_dir = tempfile::tempdir().expect("tmp");
    for name in ["rude_service-en-25", "none-de-34", "viral_praise-es-27"] {
        for ext in ["jsonl", "labels.json"] {
            std::fs::copy(
                src.join(format!("{name}.{ext}")),
                scen.path().join(format!("{name}.{ext}")),
            )
            .expect("copy");
        }
    }
    // A hand-made scenario whose alerts exercise the edge cases: alerts
    // before the onset, a non-crisis alert, terms with punctuation.
    let labels = r#"{"is_crisis": true, "kind": "delivery_delay", "lang": "en", "start": "2026-01-01T00:00:00Z",
        "end": "2026-01-04T00:00:00Z", "onset": "2026-01-02T00:00:00Z", "keywords": ["Parcel", "late"]}"#;
    std::fs::write(scen.path().join("hand.labels.json"), labels).expect("write");
    std::fs::write(scen.path().join("hand.jsonl"), "").expect("write");
    let mut analyze = |_: &firebreak_core::Mention| None;
    let results = scenarios::evaluate_dir(
        scen.path(),
        &mut analyze,
        &firebreak_detect::default_detectors,
        Some(alerts_dir.path()),
    )
    .expect("evaluate");
    let mut rows: Vec<scenarios::Row> = results.into_iter().map(|(r, _)| r).collect();
    let hand = [
        r#"{"id":"a","raised_at":"2026-01-01T10:00:00Z","channel":"@x","kind":"negative_surge","crisis":true,"severity":2,"summary":"weather","terms":["rain"],"evidence":[],"amplifiers":[]}"#,
        r#"{"id":"b","raised_at":"2026-01-02T00:42:00Z","channel":"@x","kind":"negative_surge","crisis":true,"severity":3,"summary":"people say: parcel!","terms":[],"evidence":[],"amplifiers":[]}"#,
        r#"{"id":"c","raised_at":"2026-01-02T00:10:00Z","channel":"@x","kind":"positive_spike","crisis":false,"severity":1,"summary":"late","terms":[],"evidence":[],"amplifiers":[]}"#,
    ];
    std::fs::write(alerts_dir.path().join("hand.alerts.jsonl"), hand.join("\n")).expect("write");
    let alerts: Vec<firebreak_core::Alert> = hand
        .iter()
        .map(|l| serde_json::from_str(l).expect("alert"))
        .collect();
    let hl: scenarios::Labels = serde_json::from_str(labels).expect("labels");
    let i = rows
        .iter()
        .position(|r| r.name == "hand")
        .expect("hand row");
    rows[i] = scenarios::score("hand", &hl, &alerts);

    let out = Command::new("python3")
        .arg(&script)
        .arg(scen.path())
        .arg(alerts_dir.path())
        .arg("-v")
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let (summary, per) = lines.split_last().expect("lines");
    assert_eq!(per.len(), rows.len());
    for p in per {
        let r = rows
            .iter()
            .find(|r| r.name == p["name"].as_str().unwrap_or_default())
            .expect("row");
        assert_eq!(
            p["false_alarms"].as_u64(),
            Some(r.false_alarms as u64),
            "{p}"
        );
        assert_eq!(p["detected"].as_bool(), r.detected, "{p}");
        assert_eq!(p["topic_hit"].as_bool(), r.topic_hit, "{p}");
        match (p["delay_min"].as_f64(), r.delay_min) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{p}"),
            (a, b) => assert_eq!(a, b, "{p}"),
        }
    }
    let ours = serde_json::to_value(scenarios::summarise(&rows)).expect("json");
    for key in [
        "recall",
        "median_delay_min",
        "p90_delay_min",
        "false_alarms_per_day",
        "non_crisis_with_alarm",
        "non_crisis",
        "topic_hit_rate",
        "crises",
    ] {
        assert_eq!(
            summary[key].as_f64(),
            ours[key].as_f64(),
            "{key}: python {summary} rust {ours}"
        );
    }
    // The hand-made scenario: one false alarm, detected after 42 min, topic named.
    let h = rows.iter().find(|r| r.name == "hand").expect("hand");
    assert_eq!(
        (h.false_alarms, h.detected, h.topic_hit),
        (1, Some(true), Some(true))
    );
}
