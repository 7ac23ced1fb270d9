//! Firebreak's streaming crisis detectors and their evaluation.
//!
//! * [`crisis::CrisisDetector`]: the composite live detector (volume bursts of
//!   all and of negative mentions, negative share shift, amplification,
//!   emerging topic with near-duplicate grouping, one escalating alert per
//!   incident), configured by [`DetectConfig`]; [`default_detectors`] gives
//!   the pipeline's set.
//! * [`volume`]: the online burst detector on fixed buckets, shared by the
//!   live detector and [`series`] (NAB-style series).
//! * [`nab`]: NAB scoring (agrees with `shared/tools/nab_score.py`).
//! * [`scenarios`]: replay and scoring of labelled crisis scenarios (agrees
//!   with `shared/tools/score_scenarios.py`).
//! * [`text`]: tokenising, stopwords, the fallback sentiment lexicon.

pub mod crisis;
pub mod nab;
pub mod scenarios;
pub mod series;
pub mod text;
pub mod volume;

pub use crisis::{CrisisDetector, DetectConfig};
pub use volume::{BurstConfig, BurstDetector};

use firebreak_pipeline::Detector;

/// The detectors the pipeline runs by default: one [`CrisisDetector`] with
/// [`DetectConfig::default`].
pub fn default_detectors() -> Vec<Box<dyn Detector>> {
    vec![Box::new(CrisisDetector::default())]
}

/// Detectors with a given configuration.
pub fn detectors_with(cfg: DetectConfig) -> Vec<Box<dyn Detector>> {
    vec![Box::new(CrisisDetector::new(cfg))]
}
