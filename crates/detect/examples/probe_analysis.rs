//! `cargo run --release -p firebreak-detect --example probe_analysis -- TEXT...`:
//! prints firebreak-analyze's analysis and the detector's polarity of each TEXT.

use firebreak_core::Analysis;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let analyzer = firebreak_analyze::Analyzer::load_default()?;
    for text in std::env::args().skip(1) {
        let a = analyzer.analyze(&text, None);
        let core: Option<Analysis> = serde_json::to_value(&a)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok());
        let lex = firebreak_detect::text::lexicon_polarity(&text);
        println!(
            "{text}\n  analysis: {}\n  lexicon (neg, pos): {lex:?}",
            serde_json::to_string(&core)?
        );
    }
    Ok(())
}
