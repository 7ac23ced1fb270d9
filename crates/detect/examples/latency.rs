//! `cargo run --release -p firebreak-detect --example latency -- [RATE] [SECONDS] [CHANNELS] [EVENT_HOURS]`
//!
//! Latency benchmark of the default detectors. A synthetic stream of many
//! channels flows at RATE mentions/s (default 10,000) of wall clock for
//! SECONDS (default 10), with event time spanning 30 hours (so channels warm
//! up) and crises injected on some
//! channels. Prints the detector's cost per mention (mean, p99, max) and, for
//! every crisis alert, the wall time from the start of the triggering
//! mention's `observe()` to the alert being handed back (the detector's part
//! of the 1 s budget), plus the lag of the paced loop behind schedule.

use std::time::{Duration, Instant};

use firebreak_core::{Alert, Mention};

fn mention(
    i: u64,
    channel: usize,
    event_ms: i64,
    author: String,
    text: &str,
    followers: u64,
) -> Option<Mention> {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(1_767_225_600_000 + event_ms)?;
    let v = serde_json::json!({
        "id": format!("bench:{i}"), "platform": "x", "channel": format!("@brand{channel}"),
        "kind": "mention", "created_at": at.to_rfc3339(),
        "author": {"id": author, "followers": followers, "verified": false}, "text": text,
    });
    firebreak_core::wire::decode_json_str(&v.to_string()).ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rate: f64 = args
        .first()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000.0);
    let seconds: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
    let channels: usize = args
        .get(2)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50)
        .max(1);
    // Event time spans EVENT_HOURS (default 30) whatever the run length, so
    // that channels warm up (24 h) and crises can page; EVENT_HOURS equal to
    // SECONDS/3600 replays in real time (dense windows: the worst case for cost).
    let span_hours: f64 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(30.0);
    let speedup = span_hours * 3600.0 / seconds;
    let total = (rate * seconds) as u64;
    let mut dets = firebreak_detect::default_detectors();
    let chatter = [
        "anyone tried the new colour range",
        "what time does the shop open",
        "bought a gift for my sister",
        "the app looks different today",
        "do you ship abroad",
        "nice weather for a walk to the store",
    ];
    let complaint = "my order never arrived, terrible, where is my parcel";
    let mut costs: Vec<Duration> = Vec::with_capacity(total as usize);
    let mut alert_lat: Vec<Duration> = Vec::new();
    let mut max_behind = Duration::ZERO;
    let mut alerts: Vec<Alert> = Vec::new();
    let start = Instant::now();
    // Pre-build mentions in chunks so that JSON decoding is not timed.
    let chunk = 10_000u64;
    let mut i = 0u64;
    while i < total {
        let batch: Vec<Mention> = (i..(i + chunk).min(total))
            .filter_map(|k| {
                let event_ms = (k as f64 / rate * speedup * 1000.0) as i64;
                let ch = (k as usize) % channels;
                // From 80% of the run, channels 0..5 have a crisis: every 40th of their mentions is a complaint.
                let crisis =
                    ch < 5 && k > total * 8 / 10 && (k / channels as u64).rem_euclid(40) == 0;
                let text = if crisis {
                    complaint
                } else {
                    chatter[(k / 7) as usize % chatter.len()]
                };
                mention(
                    k,
                    ch,
                    event_ms,
                    format!("u{}", k % 100_000),
                    text,
                    100 + k % 1000,
                )
            })
            .collect();
        for m in &batch {
            let due = Duration::from_secs_f64(i as f64 / rate);
            let now = start.elapsed();
            if now < due {
                std::thread::sleep(due - now);
            } else {
                max_behind = max_behind.max(now - due);
            }
            let t = Instant::now();
            let before = alerts.len();
            for d in dets.iter_mut() {
                d.observe(m, &mut alerts);
            }
            let c = t.elapsed();
            costs.push(c);
            if alerts[before..].iter().any(|a| a.crisis) {
                alert_lat.push(c);
            }
            i += 1;
        }
    }
    let wall = start.elapsed();
    costs.sort();
    let pct = |v: &[Duration], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    let mean = costs.iter().sum::<Duration>() / costs.len().max(1) as u32;
    println!(
        "mentions: {total} over {:.1} s wall ({:.0}/s achieved, target {rate}/s)",
        wall.as_secs_f64(),
        total as f64 / wall.as_secs_f64()
    );
    println!(
        "detector cost per mention: mean {:?}, p50 {:?}, p99 {:?}, max {:?} (capacity ≈ {:.0} mentions/s on one core)",
        mean,
        pct(&costs, 0.5),
        pct(&costs, 0.99),
        costs.last().copied().unwrap_or_default(),
        1.0 / mean.as_secs_f64().max(1e-12)
    );
    println!("max lag of the paced loop behind schedule: {max_behind:?}");
    let crisis = alerts.iter().filter(|a| a.crisis).count();
    alert_lat.sort();
    println!(
        "crisis alert lines: {crisis}; observe()->alert wall time: max {:?}, p50 {:?}; worst case incl. queueing lag ≈ {:?} (budget 1 s)",
        alert_lat.last().copied().unwrap_or_default(),
        pct(&alert_lat, 0.5),
        alert_lat.last().copied().unwrap_or_default() + max_behind
    );
    Ok(())
}
