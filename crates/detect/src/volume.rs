//! The online volume-burst detector shared by the live detectors and
//! [`crate::series`]: it consumes counts per fixed bucket (5 minutes by
//! default) and says, per bucket, how anomalous the recent volume is.
//!
//! Method (one pass, O(1) per bucket):
//! 1. smooth: the mean count of the last `smooth_buckets` buckets, then the
//!    Anscombe transform `sqrt(x + 3/8)`, which makes Poisson noise roughly
//!    unit-variance whether a channel sees 0.5 or 500 mentions a bucket
//!    (quiet channels do not page on 3 mentions);
//! 2. expected level: an exponentially weighted level (half-life
//!    `level_half_life` buckets) plus a daily seasonal offset per hour of day
//!    (half-life `season_half_life_days` days), so a busy morning is expected;
//!    slow growth is absorbed by the level;
//! 3. robust scale: the exponentially weighted mean absolute residual, with
//!    residuals clipped at 3 scales before they update level and scale, so a
//!    burst does not inflate its own baseline; floored at `min_scale`;
//! 4. z = residual / scale; a detection when z > `threshold`, at most one per
//!    `hold_off` buckets (debouncing: one burst, one alert).

use serde::{Deserialize, Serialize};

/// Settings of [`BurstDetector`]. The defaults were chosen on the six NAB
/// realTweets dev series (5-minute buckets) and are used unchanged everywhere.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BurstConfig {
    /// Buckets averaged before scoring (12 × 5 min = the last hour).
    pub smooth_buckets: usize,
    /// Half-life of the level, in buckets (144 × 5 min = 12 h).
    pub level_half_life: f64,
    /// Half-life of the hour-of-day seasonal offsets, in days.
    pub season_half_life_days: f64,
    /// Weight of the seasonal offset in the expected level (0 = none).
    pub season_weight: f64,
    /// Buckets per day (288 for 5-minute buckets).
    pub buckets_per_day: usize,
    /// Floor of the scale, in Anscombe units.
    pub min_scale: f64,
    /// z above which a bucket is a detection.
    pub threshold: f64,
    /// Buckets after a detection during which no new detection is made.
    pub hold_off: usize,
    /// Buckets observed before any detection (learning the baseline).
    pub warm_up: usize,
    /// Days of daily peak z kept for the channel's typical burst size.
    pub peak_days: usize,
    /// A detection also needs z above this many times the median daily peak
    /// z of the last `peak_days` days (0 disables): a channel whose volume
    /// bursts every day needs a bigger burst to be unusual.
    pub peak_ratio: f64,
}

impl Default for BurstConfig {
    fn default() -> Self {
        BurstConfig {
            smooth_buckets: 12,
            level_half_life: 144.0,
            season_half_life_days: 3.0,
            season_weight: 0.5,
            buckets_per_day: 288,
            min_scale: 0.2,
            threshold: 4.0,
            hold_off: 288,
            warm_up: 288,
            peak_days: 14,
            peak_ratio: 1.5,
        }
    }
}

/// What [`BurstDetector::push`] says about one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurstScore {
    /// Standardised excess of the smoothed volume over the expected level.
    pub z: f64,
    /// True when this bucket is a (debounced) detection.
    pub detection: bool,
    /// The expected mean count per bucket at this point.
    pub expected: f64,
}

/// Online detector over consecutive buckets. See the module docs.
#[derive(Debug, Clone)]
pub struct BurstDetector {
    cfg: BurstConfig,
    window: std::collections::VecDeque<f64>,
    window_sum: f64,
    level: Option<f64>,
    scale: f64,
    season: Vec<Option<f64>>,
    index: u64,
    last_detection: Option<u64>,
    /// Largest z of the current day.
    day_max: f64,
    /// Daily peak z of the last `peak_days` days.
    peaks: std::collections::VecDeque<f64>,
    /// Median of `peaks`.
    peak_ref: f64,
}

impl BurstDetector {
    /// A detector with the given settings.
    pub fn new(cfg: BurstConfig) -> Self {
        let slots = 24;
        BurstDetector {
            window: std::collections::VecDeque::with_capacity(cfg.smooth_buckets.max(1)),
            cfg,
            window_sum: 0.0,
            level: None,
            scale: 0.5,
            season: vec![None; slots],
            index: 0,
            last_detection: None,
            day_max: f64::NEG_INFINITY,
            peaks: std::collections::VecDeque::new(),
            peak_ref: 0.0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &BurstConfig {
        &self.cfg
    }

    fn slot(&self, index: u64) -> usize {
        let per_day = self.cfg.buckets_per_day.max(24) as u64;
        ((index % per_day) * 24 / per_day) as usize
    }

    /// z of the current smoothed volume if the bucket being filled had
    /// `partial` mentions so far, without changing state (for alerts before
    /// a bucket closes).
    pub fn peek(&self, partial: f64) -> f64 {
        let n = self.cfg.smooth_buckets.max(1);
        let mut sum = self.window_sum + partial;
        let mut len = self.window.len() + 1;
        if len > n {
            sum -= self.window.front().copied().unwrap_or(0.0);
            len = n;
        }
        let y = (sum / len as f64 + 0.375).sqrt();
        match self.level {
            None => 0.0,
            Some(level) => {
                let expected = level
                    + self.cfg.season_weight * self.season[self.slot(self.index)].unwrap_or(0.0);
                (y - expected) / (self.scale * 1.25).max(self.cfg.min_scale)
            }
        }
    }

    /// The z a bucket must exceed to be a detection now: the configured
    /// threshold, or `peak_ratio` × the median daily peak z when higher.
    pub fn threshold(&self) -> f64 {
        self.cfg.threshold.max(self.cfg.peak_ratio * self.peak_ref)
    }

    /// Whether the detector is still learning its baseline.
    pub fn warming_up(&self) -> bool {
        self.index < self.cfg.warm_up as u64
    }

    /// Whether a detection now would be suppressed by the hold-off.
    pub fn held_off(&self) -> bool {
        matches!(self.last_detection, Some(d) if self.index - d <= self.cfg.hold_off as u64)
    }

    /// Consume the count of the next bucket.
    pub fn push(&mut self, count: f64) -> BurstScore {
        let count = if count.is_finite() && count > 0.0 {
            count
        } else {
            0.0
        };
        // A new day: remember yesterday's peak z (the channel's usual burst size).
        let per_day = self.cfg.buckets_per_day.max(1) as u64;
        if self.index > 0 && self.index.is_multiple_of(per_day) && self.cfg.peak_days > 0 {
            self.peaks.push_back(self.day_max);
            if self.peaks.len() > self.cfg.peak_days {
                self.peaks.pop_front();
            }
            let mut p: Vec<f64> = self.peaks.iter().copied().collect();
            p.sort_by(f64::total_cmp);
            self.peak_ref = p[p.len() / 2].max(0.0);
            self.day_max = f64::NEG_INFINITY;
        }
        let n = self.cfg.smooth_buckets.max(1);
        self.window.push_back(count);
        self.window_sum += count;
        if self.window.len() > n {
            self.window_sum -= self.window.pop_front().unwrap_or(0.0);
        }
        let y = (self.window_sum.max(0.0) / self.window.len() as f64 + 0.375).sqrt();
        let level = *self.level.get_or_insert(y);
        let slot = self.slot(self.index);
        let offset = self.season[slot].unwrap_or(0.0);
        let expected = level + self.cfg.season_weight * offset;
        let z = (y - expected) / (self.scale * 1.25).max(self.cfg.min_scale);
        let detection =
            self.index >= self.cfg.warm_up as u64 && z > self.threshold() && !self.held_off();
        self.day_max = self.day_max.max(z);
        if detection {
            self.last_detection = Some(self.index);
        }
        // Robust updates: clip residuals at 3 scales.
        let a = 1.0 - 0.5f64.powf(1.0 / self.cfg.level_half_life.max(1.0));
        let clip = 3.0 * self.scale;
        let r = (y - expected).clamp(-clip, clip);
        let new_level = level + a * r;
        self.scale += a * (r.abs() - self.scale);
        self.level = Some(new_level);
        let off = (y - new_level).clamp(-clip, clip);
        let buckets_per_hour = (self.cfg.buckets_per_day.max(24) / 24) as f64;
        let sa =
            (1.0 - 0.5f64.powf(1.0 / self.cfg.season_half_life_days.max(0.01))) / buckets_per_hour;
        let s = self.season[slot].get_or_insert(0.0);
        *s += sa * (off - *s);
        self.index += 1;
        let e = expected.max(0.0);
        BurstScore {
            z,
            detection,
            expected: (e * e - 0.375).max(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(counts: &[f64]) -> Vec<BurstScore> {
        let mut d = BurstDetector::new(BurstConfig::default());
        counts.iter().map(|&c| d.push(c)).collect()
    }

    #[test]
    fn flat_noise_never_fires_but_a_burst_does() {
        // A deterministic pseudo-Poisson-ish series around 20 per bucket.
        let mut counts: Vec<f64> = (0..2000)
            .map(|i| 20.0 + ((i * 7919) % 9) as f64 - 4.0)
            .collect();
        let quiet = run(&counts);
        assert!(quiet.iter().all(|s| !s.detection));
        for c in counts.iter_mut().skip(1500).take(24) {
            *c = 120.0;
        }
        let burst = run(&counts);
        let first = burst.iter().position(|s| s.detection);
        assert!(
            matches!(first, Some(i) if (1500..1512).contains(&i)),
            "{first:?}"
        );
        // Debounced: one detection for one burst.
        assert_eq!(burst.iter().filter(|s| s.detection).count(), 1);
    }

    #[test]
    fn quiet_channel_does_not_fire_on_a_few_mentions() {
        let mut counts = vec![0.0; 1500];
        for i in (0..1500).step_by(40) {
            counts[i] = 1.0;
        }
        counts[1000] = 2.0;
        counts[1001] = 1.0;
        assert!(run(&counts).iter().all(|s| !s.detection));
    }

    #[test]
    fn slow_growth_is_absorbed() {
        // Volume doubles over ten days, smoothly.
        let counts: Vec<f64> = (0..2880)
            .map(|i| 30.0 * (1.0 + i as f64 / 2880.0))
            .collect();
        assert!(run(&counts).iter().all(|s| !s.detection));
    }

    #[test]
    fn a_channel_that_bursts_daily_needs_a_bigger_burst() {
        // Quiet at 20 a bucket, with a daily two-hour surge to 60.
        let mut counts: Vec<f64> = (0..288 * 20)
            .map(|i| if (i % 288) < 24 { 60.0 } else { 20.0 })
            .collect();
        let usual = run(&counts);
        let late: Vec<usize> = (288 * 16..counts.len())
            .filter(|&i| usual[i].detection)
            .collect();
        assert!(late.is_empty(), "the usual daily surge fired at {late:?}");
        // A surge far beyond the usual one still fires.
        for c in counts.iter_mut().skip(288 * 18 + 100).take(24) {
            *c = 400.0;
        }
        let big = run(&counts);
        assert!((288 * 18 + 100..288 * 18 + 124).any(|i| big[i].detection));
    }

    #[test]
    fn peek_matches_push() {
        let mut d = BurstDetector::new(BurstConfig::default());
        for _ in 0..400 {
            d.push(10.0);
        }
        let peeked = d.peek(80.0);
        let pushed = d.push(80.0);
        assert!((peeked - pushed.z).abs() < 1e-9);
        assert!(pushed.z > 4.0);
    }
}
