//! `firebreak bench ingest`: generates a stream of realistic mentions to a
//! temporary JSONL file, then measures the real import path (parse, pipeline,
//! batched upsert) on it. Prints mentions/s, the batch size and peak RSS.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use firebreak_core::wire::decode_jsonl;
use firebreak_pipeline::source::{Line, LineReader};
use serde_json::json;

use crate::commands::{open_store, run_input};
use crate::config::Config;
use crate::files::{Feed, Input};

/// A small deterministic generator (xorshift64*), so every run measures the same stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const OPENERS: [&str; 10] = [
    "@velora my order",
    "Ciao @velora, il bollitore",
    "Hola @velora, el pedido",
    "Cześć @velora, czajnik",
    "Hallo @velora, der Wasserkocher",
    "Hey @velora the new kettle",
    "@velora ancora nessuna risposta sul",
    "@velora llevo tres días esperando el",
    "@velora zamówienie",
    "@velora seit Tagen warte ich auf den",
];
const MIDDLES: [&str; 10] = [
    "arrived broken and support has not answered in two days",
    "è arrivato in ritardo ma funziona benissimo, grazie",
    "llegó tarde y nadie responde a mis correos",
    "przyszedł uszkodzony, proszę o kontakt",
    "ist kaputt angekommen und der Kundenservice meldet sich nicht",
    "works great, best purchase this year!",
    "rimborso promesso mai arrivato",
    "¿cuándo vuelve a estar disponible?",
    "czy jest gwarancja na wymianę?",
    "wie entkalke ich das Gerät richtig?",
];
const TAILS: [&str; 8] = [
    "#fail",
    "😡😡",
    "grazie mille",
    "¡gracias!",
    "dzięki",
    "danke!",
    "please help",
    "",
];
const LANGS: [&str; 5] = ["en", "it", "es", "pl", "de"];
const PLATFORMS: [&str; 4] = ["mastodon", "bluesky", "reddit", "x"];
const KINDS: [&str; 4] = ["mention", "reply", "reshare", "quote"];

/// Writes `count` Mention JSONL v1 lines with ids prefixed by `run`.
fn generate(path: &std::path::Path, count: u64, run: &str) -> Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z")?.timestamp();
    let mut bytes = 0u64;
    for i in 0..count {
        let platform = rng.pick(&PLATFORMS);
        let kind = rng.pick(&KINDS);
        let author = rng.below(200_000);
        let followers = match rng.below(100) {
            0 => 100_000 + rng.below(2_000_000),
            1..=9 => 1_000 + rng.below(50_000),
            _ => rng.below(1_000),
        };
        let at = chrono::DateTime::from_timestamp(start + (i as i64) / 20, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let text = format!(
            "{} {} {} #{}",
            rng.pick(&OPENERS),
            rng.pick(&MIDDLES),
            rng.pick(&TAILS),
            i % 97
        );
        let parent =
            (kind == "reply" && i > 0).then(|| format!("{platform}:{run}-{}", rng.below(i)));
        let line = json!({
            "id": format!("{platform}:{run}-{i}"),
            "platform": platform,
            "channel": if i % 3 == 0 { "@velora" } else { "@velora_help" },
            "kind": kind,
            "created_at": at,
            "author": {"id": format!("u{author}"), "handle": format!("@user{author}"), "followers": followers, "verified": followers > 500_000},
            "text": text,
            "in_reply_to": parent,
            "reshare_of": null,
            "url": format!("https://social.example/{platform}/{i}"),
            "lang": rng.pick(&LANGS),
        });
        let line = line.to_string();
        bytes += line.len() as u64 + 1;
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(bytes)
}

/// Peak resident set size of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak RSS counter so that a phase is measured alone (Linux).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub async fn ingest(
    config: &Config,
    db: Option<String>,
    count: u64,
    batch_size: usize,
    json_out: bool,
) -> Result<std::process::ExitCode> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let path = dir.path().join("stream.jsonl");
    let run = format!("{:x}", chrono::Utc::now().timestamp_millis());
    eprintln!("generating {count} mentions...");
    let gen_path = path.clone();
    let gen_run = run.clone();
    let bytes = tokio::task::spawn_blocking(move || generate(&gen_path, count, &gen_run)).await??;

    // The ceiling: one thread decoding lines, no store.
    let parse_path = path.clone();
    let parse_secs = tokio::task::spawn_blocking(move || -> Result<f64> {
        let file = std::fs::File::open(&parse_path)?;
        let mut reader = LineReader::new(std::io::BufReader::with_capacity(1 << 20, file), 1 << 20);
        let mut buf = Vec::new();
        let start = Instant::now();
        let mut ok = 0u64;
        while let Some(line) = reader.next_line(&mut buf)? {
            if line == Line::Ok && decode_jsonl(&buf).is_ok() {
                ok += 1;
            }
        }
        anyhow::ensure!(ok > 0 || buf.is_empty(), "nothing decoded");
        Ok(start.elapsed().as_secs_f64())
    })
    .await??;

    let url = db.unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = open_store(url.clone()).await?;
    let backend = store.backend().to_string();
    let mut config = config.clone();
    config.pipeline.batch_size = batch_size;
    eprintln!("importing into {backend} (batch size {batch_size})...");
    reset_peak_rss();
    let start = Instant::now();
    let input = Input::Files(Feed {
        files: vec![path.display().to_string()],
        format: None,
        batch_size,
        pace: None,
        progress: false,
        stop: None,
    });
    let (source, report) = run_input(&config, store.clone(), input, Vec::new(), None).await?;
    let secs = start.elapsed().as_secs_f64();
    let rss = peak_rss();
    tokio::task::spawn_blocking(move || drop(store)).await?;
    let rate = report.inserted as f64 / secs;
    let figures = json!({
        "backend": backend,
        "mentions": count,
        "bytes": bytes,
        "batch_size": batch_size,
        "analysis": config.analysis.enabled,
        "inserted": report.inserted,
        "rejected": source.rejected,
        "commits": report.commits,
        "seconds": secs,
        "mentions_per_sec": rate.round(),
        "parse_only_mentions_per_sec": (count as f64 / parse_secs).round(),
        "peak_rss_bytes": rss,
    });
    if json_out {
        println!("{figures}");
    } else {
        println!(
            "ingest benchmark ({backend}, analysis {})",
            if config.analysis.enabled { "on" } else { "off" }
        );
        println!(
            "  mentions            {count} ({:.1} MiB of JSONL)",
            bytes as f64 / 1048576.0
        );
        println!(
            "  batch size          {batch_size} ({} commits)",
            report.commits
        );
        println!("  stored              {} in {secs:.2}s", report.inserted);
        println!(
            "  throughput          {rate:.0} mentions/s (parse{} + pipeline + upsert)",
            if config.analysis.enabled {
                " + analysis"
            } else {
                ""
            }
        );
        println!(
            "  parse-only ceiling  {:.0} mentions/s (one thread, no store)",
            count as f64 / parse_secs
        );
        println!(
            "  ratio               {:.2} of the parse-only rate",
            rate / (count as f64 / parse_secs)
        );
        match rss {
            Some(r) => println!(
                "  peak RSS            {:.1} MiB (during the import)",
                r as f64 / 1048576.0
            ),
            None => println!("  peak RSS            unavailable (not Linux)"),
        }
    }
    if report.inserted != count {
        anyhow::bail!(
            "stored {} of {count} mentions: the benchmark's stream was not fully stored",
            report.inserted
        );
    }
    Ok(std::process::ExitCode::SUCCESS)
}
