//! Evaluate: `cargo run --release -p firebreak-analyze --example eval [DATA_DIR] [MODEL_DIR]`.
//! Without MODEL_DIR the embedded weights are evaluated.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(firebreak_analyze::data::default_data_dir);
    let analyzer = match args.next() {
        Some(dir) => firebreak_analyze::Analyzer::load_from_dir(&PathBuf::from(dir))?,
        None => firebreak_analyze::Analyzer::load_default()?,
    };
    let report = firebreak_analyze::eval::evaluate_all(&data, &analyzer)?;
    print!("{report}");
    Ok(())
}
