//! Soak: the Bluesky source against a fake Jetstream that generates `--rate` events per
//! second for `--minutes`, with the real pipeline and an SQLite store behind it. Every
//! minute it prints the process's resident memory (the fake server included), what was
//! sent and what was stored; the fake cuts the connection every `--drop-every-min`
//! minutes, so resumption under load is part of the run. At the end it checks that every
//! matching event was stored exactly once.
//!
//! ```text
//! cargo run --release -p firebreak-connectors --example soak -- --minutes 60 --rate 1000
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use firebreak_connectors::sources::{self, SourceConfig, SourceContext, Supervision};
use firebreak_pipeline::{Components, Pipeline, PipelineConfig};
use firebreak_testkit::jetstream::{post_event, FakeJetstream};
use tokio_util::sync::CancellationToken;

const BRAND: &str = "did:plc:velorabrand000000000000";

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let minutes = arg("--minutes", 60.0);
    let rate = arg("--rate", 1000.0).max(1.0) as u64;
    let drop_every = arg("--drop-every-min", 10.0);
    let share = arg("--match-percent", 5.0) / 100.0;
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("soak.db").display());
    let handles = firebreak_store::open_handles(&url)?;

    let drops = (minutes / drop_every).floor().max(0.0) as usize;
    let drop_after = (drop_every * 60.0 * rate as f64) as usize;
    let fake = Arc::new(FakeJetstream::start(vec![], drops, drop_after.max(1)).await);
    let pipeline = Pipeline::start(
        PipelineConfig::default(),
        Components {
            store: handles.mentions.clone(),
            transforms: vec![],
            detectors: vec![],
            sinks: vec![],
        },
    );
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "bluesky"
name = "soak"
channel = "@velora.bsky.social"
jetstream = "{}"
dids = ["{BRAND}"]
keywords = ["velora"]
fetch_threads = false
"#,
        fake.url
    ))?;
    let shutdown = CancellationToken::new();
    let source = config.build(shutdown.clone())?;
    let ctx = SourceContext::new(
        "soak",
        "bluesky",
        pipeline.sender(),
        handles.connectors.clone(),
        shutdown.clone(),
    );
    let task = sources::spawn(source, ctx.clone(), Supervision::default());
    while fake.connections() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The generator: `rate` events a second in 10 ms ticks; the replay log keeps 30 s.
    let matching = Arc::new(AtomicU64::new(0));
    let pushed = Arc::new(AtomicU64::new(0));
    let stop_gen = CancellationToken::new();
    let generator = {
        let (fake, matching, pushed, stop) = (
            fake.clone(),
            matching.clone(),
            pushed.clone(),
            stop_gen.clone(),
        );
        tokio::spawn(async move {
            let start = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            let mut n: u64 = 0;
            let every = (1.0 / share.max(1e-6)).round().max(1.0) as u64;
            let t0 = chrono::Utc::now().timestamp_micros();
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.cancelled() => break,
                }
                let due = start.elapsed().as_secs_f64() * rate as f64;
                while (n as f64) < due {
                    let t = t0 + (n as i64) * 1_000_000 / rate as i64;
                    let did = format!("did:plc:user{:020}", n % 5000);
                    let rkey = format!("3k{n:011}");
                    let line = if n.is_multiple_of(every) {
                        matching.fetch_add(1, Ordering::Relaxed);
                        post_event(
                            &did,
                            &rkey,
                            t,
                            "Velora: il mio ordine è arrivato rotto, nessuna risposta",
                            "it",
                            None,
                        )
                    } else {
                        post_event(
                            &did,
                            &rkey,
                            t,
                            "a quiet afternoon with friends and coffee",
                            "en",
                            None,
                        )
                    };
                    fake.push(t, line);
                    n += 1;
                }
                pushed.store(n, Ordering::Relaxed);
                fake.trim((rate * 30) as usize);
            }
        })
    };

    let started = Instant::now();
    let total = Duration::from_secs_f64(minutes * 60.0);
    let mut samples: Vec<u64> = Vec::new();
    println!("minute  sent_events  matching  stored  connections  rss_mib");
    let mut next = Duration::from_secs(60).min(total);
    loop {
        let now = started.elapsed();
        if now >= next {
            let rss = rss_kib();
            samples.push(rss);
            println!(
                "{:6.1}  {:11}  {:8}  {:6}  {:11}  {:7.1}",
                now.as_secs_f64() / 60.0,
                pushed.load(Ordering::Relaxed),
                matching.load(Ordering::Relaxed),
                handles.mentions.count_mentions()?,
                fake.connections(),
                rss as f64 / 1024.0
            );
            if now >= total {
                break;
            }
            next = (next + Duration::from_secs(60)).min(total);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop_gen.cancel();
    generator.await?;
    let expected = matching.load(Ordering::Relaxed);
    // Let the source read the tail and commit it.
    let deadline = Instant::now() + Duration::from_secs(60);
    while handles.mentions.count_mentions()? < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    task.await?;
    drop(ctx);
    let report = pipeline.shutdown().await?;
    let stored = handles.mentions.count_mentions()?;
    let warm: Vec<u64> = samples.iter().skip(2).copied().collect();
    let (lo, hi) = (
        warm.iter().min().copied().unwrap_or(0),
        warm.iter().max().copied().unwrap_or(0),
    );
    println!(
        "\nsent {} events ({} matching) in {:.1} min at {} events/s; {} connections",
        pushed.load(Ordering::Relaxed),
        expected,
        started.elapsed().as_secs_f64() / 60.0,
        rate,
        fake.connections()
    );
    println!(
        "stored {stored} (received {}, new {}, duplicates absorbed {}, failed {})",
        report.received, report.inserted, report.duplicates, report.failed
    );
    println!(
        "resident memory after the first 2 minutes: min {:.1} MiB, max {:.1} MiB, last {:.1} MiB",
        lo as f64 / 1024.0,
        hi as f64 / 1024.0,
        samples.last().copied().unwrap_or(0) as f64 / 1024.0
    );
    if stored != expected {
        eprintln!("FAIL: {expected} matching events were sent but {stored} are stored");
        std::process::exit(1);
    }
    println!("every matching event stored exactly once");
    Ok(())
}
