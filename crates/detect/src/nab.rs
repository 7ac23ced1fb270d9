//! NAB scoring of binary detections, as specified in
//! `shared/data/nab-realtweets/README.md` and implemented by
//! `shared/tools/nab_score.py` (which this module agrees with).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;

/// A NAB cost profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub tp_weight: f64,
    pub fp_weight: f64,
    pub fn_weight: f64,
}

impl Profile {
    /// `standard`.
    pub const STANDARD: Profile = Profile {
        tp_weight: 1.0,
        fp_weight: 0.11,
        fn_weight: 1.0,
    };
    /// `reward_low_FP_rate`.
    pub const LOW_FP: Profile = Profile {
        tp_weight: 1.0,
        fp_weight: 0.22,
        fn_weight: 1.0,
    };
    /// `reward_low_FN_rate`.
    pub const LOW_FN: Profile = Profile {
        tp_weight: 1.0,
        fp_weight: 0.11,
        fn_weight: 2.0,
    };

    /// By NAB name.
    pub fn by_name(name: &str) -> Option<Profile> {
        match name {
            "standard" => Some(Self::STANDARD),
            "reward_low_FP_rate" => Some(Self::LOW_FP),
            "reward_low_FN_rate" => Some(Self::LOW_FN),
            _ => None,
        }
    }
}

/// Errors of NAB scoring.
#[derive(Debug, thiserror::Error)]
pub enum NabError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Format(String),
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// NAB's scaled sigmoid σs(y).
pub fn scaled_sigmoid(y: f64) -> f64 {
    if y > 3.0 {
        -1.0
    } else {
        2.0 * sigmoid(-5.0 * y) - 1.0
    }
}

/// Parse a NAB timestamp (`YYYY-MM-DD HH:MM:SS[.ffffff]`), ignoring fractions.
pub fn parse_ts(t: &str) -> Option<NaiveDateTime> {
    let base = t.trim().split('.').next()?;
    NaiveDateTime::parse_from_str(base, "%Y-%m-%d %H:%M:%S").ok()
}

/// Score of one file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FileScore {
    /// Raw NAB score S_f.
    pub raw: f64,
    /// Windows with at least one scorable row.
    pub windows: usize,
    /// Windows with a detection.
    pub detected: usize,
    /// Detected rows outside windows.
    pub fp_rows: usize,
}

/// Score one file given its row count, windows as inclusive row index pairs,
/// and the detected row indices.
pub fn score_file(
    n: usize,
    windows: &[(usize, usize)],
    detections: &HashSet<usize>,
    prof: Profile,
) -> FileScore {
    let probation = ((0.15 * n as f64).floor() as usize).min(750);
    let mut wins: Vec<(usize, usize)> = windows.to_vec();
    wins.sort_unstable();
    let max_tp = scaled_sigmoid(-1.0);
    let mut weight = vec![0.0f64; n];
    let mut inwin: Vec<Option<usize>> = vec![None; n];
    for (k, &(l, r)) in wins.iter().enumerate() {
        let w = (r - l + 1) as f64;
        for i in l..=r.min(n.saturating_sub(1)) {
            weight[i] = prof.tp_weight * scaled_sigmoid(-((r - i + 1) as f64) / w) / max_tp;
            inwin[i] = Some(k);
        }
    }
    let mut last: Option<(usize, usize)> = None;
    let mut wi = 0;
    for i in 0..n {
        while wi < wins.len() && wins[wi].1 < i {
            last = Some(wins[wi]);
            wi += 1;
        }
        if inwin[i].is_some() {
            continue;
        }
        weight[i] = match last {
            None => -prof.fp_weight,
            Some((l, r)) => {
                let wp = (r - l + 1) as f64;
                prof.fp_weight * scaled_sigmoid((r as f64 - i as f64).abs() / (wp - 1.0))
            }
        };
    }
    let mut det: Vec<usize> = detections.iter().copied().filter(|&i| i < n).collect();
    det.sort_unstable();
    let mut s = 0.0;
    let mut first: HashMap<usize, f64> = HashMap::new();
    let mut fps = 0;
    for i in det {
        if i < probation {
            continue;
        }
        match inwin[i] {
            Some(k) => {
                first.entry(k).or_insert(weight[i]);
            }
            None => {
                s += weight[i];
                fps += 1;
            }
        }
    }
    let mut nwin = 0;
    for (k, &(_, r)) in wins.iter().enumerate() {
        if r < probation {
            continue;
        }
        nwin += 1;
        s += first.get(&k).copied().unwrap_or(-prof.fn_weight);
    }
    FileScore {
        raw: s,
        windows: nwin,
        detected: first.len(),
        fp_rows: fps,
    }
}

/// NAB-normalised score from a raw total and a window count.
pub fn normalise(raw: f64, windows: usize, prof: Profile) -> f64 {
    let w = windows as f64;
    100.0 * (raw + prof.fn_weight * w) / (prof.tp_weight * w + prof.fn_weight * w)
}

/// Windows per file name (basename), as timestamp pairs, from
/// `labels_realTweets.json`.
pub fn read_windows(
    path: &Path,
) -> Result<BTreeMap<String, Vec<(NaiveDateTime, NaiveDateTime)>>, NabError> {
    let text = std::fs::read_to_string(path).map_err(|source| NabError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| NabError::Format(format!("{}: {e}", path.display())))?;
    let obj = v
        .get("windows")
        .and_then(|w| w.as_object())
        .ok_or_else(|| NabError::Format(format!("{}: no \"windows\" object", path.display())))?;
    let mut out = BTreeMap::new();
    for (key, list) in obj {
        let base = key.rsplit('/').next().unwrap_or(key).to_string();
        let mut ws = Vec::new();
        for pair in list.as_array().into_iter().flatten() {
            let a = pair.get(0).and_then(|x| x.as_str()).and_then(parse_ts);
            let b = pair.get(1).and_then(|x| x.as_str()).and_then(parse_ts);
            match (a, b) {
                (Some(a), Some(b)) => ws.push((a, b)),
                _ => return Err(NabError::Format(format!("{key}: bad window {pair}"))),
            }
        }
        out.insert(base, ws);
    }
    Ok(out)
}

/// Per-file result of [`score_dir`].
#[derive(Debug, Clone, PartialEq)]
pub struct FileResult {
    pub file: String,
    pub score: FileScore,
}

/// Score detections (file basename → detected timestamps) over every data
/// file of `labels` present in `data_dir`, like `nab_score.py`. Returns the
/// per-file results, the raw total, the window count and the NAB score.
pub fn score_dir(
    data_dir: &Path,
    windows: &BTreeMap<String, Vec<(NaiveDateTime, NaiveDateTime)>>,
    detections: &HashMap<String, HashSet<NaiveDateTime>>,
    prof: Profile,
) -> Result<(Vec<FileResult>, f64, usize, f64), NabError> {
    let mut results = Vec::new();
    let (mut total, mut nw) = (0.0, 0);
    for (file, wins) in windows {
        let p = data_dir.join(file);
        if !p.exists() {
            continue;
        }
        let rows = crate::series::read_csv(&p).map_err(|e| NabError::Format(e.to_string()))?;
        let times: Vec<Option<NaiveDateTime>> = rows.iter().map(|(t, _)| parse_ts(t)).collect();
        let idx: HashMap<NaiveDateTime, usize> = times
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (t, i)))
            .collect();
        let mut wi = Vec::new();
        for (a, b) in wins {
            match (idx.get(a), idx.get(b)) {
                (Some(&l), Some(&r)) => wi.push((l, r)),
                _ => {
                    return Err(NabError::Format(format!(
                        "{file}: window {a}..{b} not on the data grid"
                    )))
                }
            }
        }
        let empty = HashSet::new();
        let det = detections.get(file).unwrap_or(&empty);
        let di: HashSet<usize> = times
            .iter()
            .enumerate()
            .filter(|(_, t)| t.map(|t| det.contains(&t)).unwrap_or(false))
            .map(|(i, _)| i)
            .collect();
        let s = score_file(rows.len(), &wi, &di, prof);
        total += s.raw;
        nw += s.windows;
        results.push(FileResult {
            file: file.clone(),
            score: s,
        });
    }
    let nab = normalise(total, nw, prof);
    Ok((results, total, nw, nab))
}

/// Run [`crate::series::score_series`] on every labelled file present in
/// `data_dir` and score the rows with score ≥ 0.5 as detections. Also returns
/// the per-row scores as `(file, timestamp, score)` for export.
#[allow(clippy::type_complexity)]
pub fn evaluate_dir(
    data_dir: &Path,
    labels: &Path,
    prof: Profile,
) -> Result<(Vec<FileResult>, f64, usize, f64, Vec<(String, String, f64)>), NabError> {
    evaluate_dir_with(
        data_dir,
        labels,
        prof,
        &crate::volume::BurstConfig::default(),
    )
}

/// As [`evaluate_dir`], with other volume-detector settings (experiments).
#[allow(clippy::type_complexity)]
pub fn evaluate_dir_with(
    data_dir: &Path,
    labels: &Path,
    prof: Profile,
    cfg: &crate::volume::BurstConfig,
) -> Result<(Vec<FileResult>, f64, usize, f64, Vec<(String, String, f64)>), NabError> {
    let windows = read_windows(labels)?;
    let mut detections: HashMap<String, HashSet<NaiveDateTime>> = HashMap::new();
    let mut rows_out = Vec::new();
    for file in windows.keys() {
        let p = data_dir.join(file);
        if !p.exists() {
            continue;
        }
        let rows = crate::series::read_csv(&p).map_err(|e| NabError::Format(e.to_string()))?;
        let scores = crate::series::score_values_with(cfg.clone(), rows.iter().map(|r| r.1));
        let set = detections.entry(file.clone()).or_default();
        for ((t, _), s) in rows.iter().zip(scores) {
            if s >= 0.5 {
                if let Some(ts) = parse_ts(t) {
                    set.insert(ts);
                }
            }
            rows_out.push((file.clone(), t.clone(), s));
        }
    }
    let (res, total, nw, nab) = score_dir(data_dir, &windows, &detections, prof)?;
    Ok((res, total, nw, nab, rows_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_sigmoid_conformance_values() {
        assert_eq!(scaled_sigmoid(-1.0), 0.9866142981514305);
        assert_eq!(scaled_sigmoid(-0.5), 0.8482836399575131);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert_eq!(scaled_sigmoid(1.0), -0.9866142981514303);
        assert_eq!(scaled_sigmoid(3.0), -0.9999993881955461);
        assert_eq!(scaled_sigmoid(3.5), -1.0);
    }

    #[test]
    fn first_detection_at_window_start_earns_full_credit() {
        let det: HashSet<usize> = [1000].into_iter().collect();
        let s = score_file(5000, &[(1000, 1100)], &det, Profile::STANDARD);
        assert!((s.raw - 1.0).abs() < 1e-12);
        assert_eq!((s.windows, s.detected, s.fp_rows), (1, 1, 0));
        // A missed window costs fn_weight; probationary detections are ignored.
        let det: HashSet<usize> = [10].into_iter().collect();
        let s = score_file(5000, &[(1000, 1100)], &det, Profile::STANDARD);
        assert_eq!(s.raw, -1.0);
        assert_eq!(s.fp_rows, 0);
    }

    #[test]
    fn false_positive_before_any_window_costs_fp_weight() {
        let det: HashSet<usize> = [800].into_iter().collect();
        let s = score_file(5000, &[(1000, 1100)], &det, Profile::STANDARD);
        assert!((s.raw - (-0.11 - 1.0)).abs() < 1e-12);
        assert!((normalise(0.0, 20, Profile::STANDARD) - 50.0).abs() < 1e-12);
    }
}
