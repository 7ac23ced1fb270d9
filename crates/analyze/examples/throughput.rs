//! Throughput of the complete enrichment on one core:
//! `cargo run --release -p firebreak-analyze --example throughput [DATA_DIR]`.
//! Uses tweet-length texts from the xlm-t / poleval *test* files (inference only),
//! without language hints, so language identification is included.
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(firebreak_analyze::data::default_data_dir);
    let analyzer = firebreak_analyze::Analyzer::load_default()?;
    let mut texts: Vec<String> = Vec::new();
    for (folder, _) in firebreak_analyze::data::XLMT_LANGS {
        texts.extend(
            firebreak_analyze::data::xlmt(&data, folder, "test")?
                .into_iter()
                .map(|x| x.0),
        );
    }
    texts.extend(
        firebreak_analyze::data::poleval(&data, "task1", "test")?
            .into_iter()
            .map(|x| x.0),
    );
    let avg_chars =
        texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len() as f64;
    let items: Vec<(&str, Option<&str>)> = texts.iter().map(|t| (t.as_str(), None)).collect();
    // Warm-up.
    let _ = analyzer.analyze_batch(&items);
    let rounds = 10;
    let start = Instant::now();
    let mut n = 0usize;
    let mut emotional = 0usize;
    for _ in 0..rounds {
        for a in analyzer.analyze_batch(&items) {
            n += 1;
            emotional += usize::from(a.register == firebreak_analyze::Register::Emotional);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} mentions (avg {:.0} chars) in {:.2}s on one thread: {:.0} mentions/s ({} emotional)",
        n,
        avg_chars,
        secs,
        n as f64 / secs,
        emotional
    );
    Ok(())
}
