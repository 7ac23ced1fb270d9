//! `cargo run --release -p firebreak-detect --example nab -- DATA_DIR [--profile P] [--csv OUT.csv]`
//!
//! Scores the live volume detector (default settings, fixed threshold 0.5 on
//! its anomaly score) on every labelled NAB series present in DATA_DIR
//! (`labels_realTweets.json` there), prints per-file and total NAB scores, and
//! optionally writes the per-row scores as `file,timestamp,anomaly_score`
//! (the input of `shared/tools/nab_score.py`).

use std::io::Write;
use std::path::PathBuf;

use firebreak_detect::nab;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .ok_or("usage: nab DATA_DIR [--profile P] [--csv OUT.csv]")?,
    );
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let pname = flag("--profile").unwrap_or_else(|| "standard".into());
    let prof = nab::Profile::by_name(&pname).ok_or("unknown profile")?;
    // `--burst JSON`: override BurstConfig fields (experiments; the reported
    // figures use the defaults).
    let mut cfg = serde_json::to_value(firebreak_detect::BurstConfig::default())?;
    if let Some(json) = flag("--burst") {
        let patch: serde_json::Value = serde_json::from_str(&json)?;
        if let (Some(b), Some(p)) = (cfg.as_object_mut(), patch.as_object()) {
            for (k, v) in p {
                b.insert(k.clone(), v.clone());
            }
        }
    }
    let cfg: firebreak_detect::BurstConfig = serde_json::from_value(cfg)?;
    let (files, raw, windows, score, rows) =
        nab::evaluate_dir_with(&dir, &dir.join("labels_realTweets.json"), prof, &cfg)?;
    println!("| file | raw | windows | detected | fp rows |\n|---|---|---|---|---|");
    for f in &files {
        println!(
            "| {} | {:.6} | {} | {} | {} |",
            f.file, f.score.raw, f.score.windows, f.score.detected, f.score.fp_rows
        );
    }
    println!("profile {pname}: raw {raw:.6}, windows {windows}, NAB score {score:.2}");
    if let Some(out) = flag("--csv") {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
        writeln!(w, "file,timestamp,anomaly_score")?;
        for (f, t, s) in rows {
            writeln!(w, "{f},{t},{s}")?;
        }
    }
    Ok(())
}
