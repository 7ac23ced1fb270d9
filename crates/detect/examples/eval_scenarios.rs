//! `cargo run --release -p firebreak-detect --example eval_scenarios -- DIR [--lexicon] [--alerts-out OUT] [--config JSON]`
//!
//! Replays every labelled scenario of DIR through analysis (firebreak-analyze's
//! default model, or with `--lexicon` no analysis, so the detector's built-in
//! lexicon decides negativity) and the default detectors; prints per-scenario
//! rows and the metrics table.

use std::path::PathBuf;

use firebreak_core::{Analysis, Mention};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .ok_or("usage: eval_scenarios DIR [--lexicon] [--alerts-out OUT]")?,
    );
    let lexicon = args.iter().any(|a| a == "--lexicon");
    let out = args
        .iter()
        .position(|a| a == "--alerts-out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    if let Some(o) = &out {
        std::fs::create_dir_all(o)?;
    }
    let analyzer = if lexicon {
        None
    } else {
        Some(firebreak_analyze::Analyzer::load_default()?)
    };
    let mut analyze = |m: &Mention| -> Option<Analysis> {
        let a = analyzer.as_ref()?;
        let r = a.analyze(&m.text, m.lang.as_deref());
        // firebreak-analyze mirrors firebreak_core::Analysis field for field.
        serde_json::to_value(r)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    };
    // `--config JSON`: override DetectConfig fields (for experiments; the
    // reported figures use the defaults).
    let cfg: firebreak_detect::DetectConfig = match args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
    {
        Some(json) => {
            let mut base = serde_json::to_value(firebreak_detect::DetectConfig::default())?;
            let patch: serde_json::Value = serde_json::from_str(json)?;
            if let (Some(b), Some(p)) = (base.as_object_mut(), patch.as_object()) {
                for (k, v) in p {
                    b.insert(k.clone(), v.clone());
                }
            }
            serde_json::from_value(base)?
        }
        None => firebreak_detect::DetectConfig::default(),
    };
    let make = || firebreak_detect::detectors_with(cfg.clone());
    let started = std::time::Instant::now();
    let results =
        firebreak_detect::scenarios::evaluate_dir(&dir, &mut analyze, &make, out.as_deref())?;
    let rows: Vec<_> = results.iter().map(|(r, _)| r.clone()).collect();
    for r in &rows {
        println!("{}", serde_json::to_string(r)?);
    }
    println!(
        "analysis: {}",
        if lexicon {
            "none (built-in lexicon fallback)"
        } else {
            "firebreak-analyze default model"
        }
    );
    println!(
        "{}",
        serde_json::to_string(&firebreak_detect::scenarios::summarise(&rows))?
    );
    println!("{}", firebreak_detect::scenarios::table(&rows));
    eprintln!("replayed in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}
