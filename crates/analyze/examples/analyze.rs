//! Analyse plain-text mentions, one per line on stdin, printing one JSON object per line:
//! `echo "@acme my parcel is late!!" | cargo run --release -p firebreak-analyze --example analyze`.
use std::io::{BufRead, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = firebreak_analyze::Analyzer::load_default()?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let a = analyzer.analyze(&line, None);
        serde_json::to_writer(&mut out, &a)?;
        writeln!(out)?;
    }
    Ok(())
}
