//! Per-rule precision and recall of the reply linter on the labelled drafts.
//!
//! ```text
//! cargo run -p firebreak-respond --example lint_eval [-- --split train|test|all] [--errors] [--no-model] [--data DIR]
//! ```
//!
//! Tune on `train`; `test` is the held-out acceptance figure.

use std::path::PathBuf;
use std::process::ExitCode;

use firebreak_respond::lint::eval::{self, Split};
use firebreak_respond::lint::Linter;

fn main() -> ExitCode {
    let mut split = Split::Test;
    let mut errors = false;
    let mut model = true;
    let mut dir: PathBuf = eval::default_data_dir();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--split" => match args.next().as_deref().and_then(Split::parse) {
                Some(s) => split = s,
                None => {
                    eprintln!("--split takes train, test or all");
                    return ExitCode::from(2);
                }
            },
            "--errors" => errors = true,
            "--no-model" => model = false,
            "--data" => match args.next() {
                Some(d) => dir = PathBuf::from(d),
                None => {
                    eprintln!("--data takes a directory");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("unknown argument {other:?}");
                return ExitCode::from(2);
            }
        }
    }
    let linter = if model {
        match Linter::with_default_analyzer() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot load the language identifier: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Linter::new(None)
    };
    let examples = match eval::load(&dir) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let t = std::time::Instant::now();
    let report = eval::score(&linter, &examples, split);
    let per_draft = t.elapsed().as_secs_f64() * 1e6 / report.drafts.max(1) as f64;
    print!("{}", report.table());
    println!("\nmean lint time: {per_draft:.1} µs per draft (this build)");
    if errors {
        println!("\nmismatches: {}", report.mismatches.len());
        for m in &report.mismatches {
            let missed: Vec<&str> = m.missed.iter().map(|r| r.id()).collect();
            println!("{}:{} missed={:?} {}", m.lang, m.line, missed, m.text);
            for (r, msg) in &m.spurious {
                println!("    spurious {}: {}", r.id(), msg);
            }
        }
    }
    ExitCode::SUCCESS
}
