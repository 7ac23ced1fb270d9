//! The live volume detector ([`crate::volume::BurstDetector`], default
//! settings) applied to a NAB-style series: `timestamp,value` rows, one per
//! 5-minute bucket. No labels, no per-file tuning.

use crate::volume::{BurstConfig, BurstDetector};

/// Anomaly score in `[0, 1]` for every row: `1.0` on a detection (z above the
/// default threshold, debounced), otherwise `0.49 × z / threshold` clamped to
/// `[0, 0.49]`, so that NAB's fixed threshold 0.5 selects exactly the
/// detector's own detections.
pub fn score_series(rows: &[(String, f64)]) -> Vec<f64> {
    score_values(rows.iter().map(|(_, v)| *v))
}

/// As [`score_series`], from the values alone.
pub fn score_values(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    score_values_with(BurstConfig::default(), values)
}

/// As [`score_values`], with other detector settings (experiments only: the
/// reported NAB figures use the defaults).
pub fn score_values_with(cfg: BurstConfig, values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut det = BurstDetector::new(cfg);
    values
        .into_iter()
        .map(|v| {
            let s = det.push(v);
            if s.detection {
                1.0
            } else {
                (0.49 * s.z / det.threshold()).clamp(0.0, 0.49)
            }
        })
        .collect()
}

/// Errors reading a series CSV.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A row is malformed.
    #[error("{path}: line {line}: {reason}")]
    Row {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Parse NAB CSV text (`timestamp,value` with a header row).
pub fn parse_csv(path: &str, text: &str) -> Result<Vec<(String, f64)>, SeriesError> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if i == 0 || line.is_empty() {
            continue;
        }
        let row_err = |reason: &str| SeriesError::Row {
            path: path.to_string(),
            line: i + 1,
            reason: reason.to_string(),
        };
        let (ts, v) = line
            .split_once(',')
            .ok_or_else(|| row_err("expected timestamp,value"))?;
        let v: f64 = v
            .trim()
            .parse()
            .map_err(|_| row_err("value is not a number"))?;
        if !v.is_finite() {
            return Err(row_err("value is not finite"));
        }
        rows.push((ts.trim().to_string(), v));
    }
    Ok(rows)
}

/// Read a NAB CSV file.
pub fn read_csv(path: &std::path::Path) -> Result<Vec<(String, f64)>, SeriesError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SeriesError::Io {
        path: p.clone(),
        source,
    })?;
    parse_csv(&p, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_in_range_and_mark_a_spike() {
        let mut rows: Vec<(String, f64)> = (0..1200)
            .map(|i| (format!("t{i}"), 10.0 + (i % 3) as f64))
            .collect();
        for r in rows.iter_mut().skip(1000).take(12) {
            r.1 = 200.0;
        }
        let s = score_series(&rows);
        assert_eq!(s.len(), rows.len());
        assert!(s.iter().all(|x| (0.0..=1.0).contains(x)));
        let det: Vec<usize> = s
            .iter()
            .enumerate()
            .filter(|(_, x)| **x >= 0.5)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(det.len(), 1);
        assert!((1000..1012).contains(&det[0]));
    }

    #[test]
    fn parse_rejects_bad_rows() {
        assert!(parse_csv("x", "timestamp,value\n2015-01-01 00:00:00,3\n").is_ok());
        let e = parse_csv("x", "timestamp,value\n2015-01-01 00:00:00,abc\n");
        assert!(matches!(e, Err(SeriesError::Row { line: 2, .. })));
    }
}
