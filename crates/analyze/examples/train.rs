//! Train every head: `cargo run --release -p firebreak-analyze --example train [DATA_DIR] [OUT_DIR]`.
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(firebreak_analyze::data::default_data_dir);
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    let report = firebreak_analyze::train::train_all(&data, &out, &mut |m| eprintln!("{m}"))?;
    println!("{report}");
    Ok(())
}
