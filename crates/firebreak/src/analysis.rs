//! Analysis at the binary edge: the pipeline transform that enriches every
//! mention, and the `analyze`, `train` and `eval analysis` commands.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use firebreak_analyze::Analyzer;
use firebreak_core::Mention;
use firebreak_pipeline::Transform;

/// Enriches each mention that has no analysis yet.
pub struct AnalyzeMentions {
    analyzer: Arc<Analyzer>,
}

impl AnalyzeMentions {
    pub fn new(analyzer: Arc<Analyzer>) -> Self {
        AnalyzeMentions { analyzer }
    }
}

impl Transform for AnalyzeMentions {
    fn name(&self) -> &'static str {
        "analyze"
    }

    fn apply(&self, batch: &mut [Mention]) {
        for m in batch.iter_mut().filter(|m| m.analysis.is_none()) {
            m.analysis = Some(self.analyzer.analyze(&m.text, m.lang.as_deref()));
        }
    }
}

/// Loads the embedded model, or the one in `dir` (written by `firebreak train`),
/// with the transformer sentiment backend when `transformer` names a model directory.
pub fn load(dir: Option<&Path>, transformer: Option<&Path>) -> Result<Arc<Analyzer>> {
    // The embedded model is loaded once per process (the pipeline and the linter share it).
    static EMBEDDED: std::sync::OnceLock<Arc<Analyzer>> = std::sync::OnceLock::new();
    if dir.is_none() && transformer.is_none() {
        if let Some(a) = EMBEDDED.get() {
            return Ok(a.clone());
        }
        let a =
            Arc::new(Analyzer::load_default().context("cannot load the embedded analysis model")?);
        return Ok(EMBEDDED.get_or_init(|| a).clone());
    }
    let analyzer = match dir {
        Some(dir) => Analyzer::load_from_dir(dir)
            .with_context(|| format!("cannot load the analysis model from {}", dir.display()))?,
        None => Analyzer::load_default().context("cannot load the embedded analysis model")?,
    };
    let analyzer = with_transformer(analyzer, transformer)?;
    Ok(Arc::new(analyzer))
}

#[cfg(feature = "transformer")]
fn with_transformer(analyzer: Analyzer, dir: Option<&Path>) -> Result<Analyzer> {
    let Some(dir) = dir else { return Ok(analyzer) };
    let t = firebreak_analyze::transformer::TransformerSentiment::load(dir).with_context(|| {
        format!(
            "cannot load the transformer model from {}: it needs config.json, model.safetensors and tokenizer.json",
            dir.display()
        )
    })?;
    Ok(analyzer.with_transformer_sentiment(t))
}

#[cfg(not(feature = "transformer"))]
fn with_transformer(analyzer: Analyzer, dir: Option<&Path>) -> Result<Analyzer> {
    match dir {
        None => Ok(analyzer),
        Some(dir) => anyhow::bail!(
            "analysis.transformer_dir is set ({}) but this build has no transformer backend: \
             rebuild with `cargo build --release -p firebreak --features transformer`, or unset it",
            dir.display()
        ),
    }
}

/// `firebreak analyze`: Mention JSONL or plain text (one per line) on stdin,
/// one result per line on stdout.
pub fn analyze_stdin(
    models: Option<&Path>,
    transformer: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let analyzer = load(models, transformer)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (i, line) in stdin.lock().split(b'\n').enumerate() {
        let line = line.context("reading stdin")?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        // A line that is a mention is analysed as one; anything else is plain text.
        let (id, body, hint) = match firebreak_core::wire::decode_json_str(text) {
            Ok(m) => (Some(m.id.to_string()), m.text, m.lang),
            Err(_) => (None, text.to_owned(), None),
        };
        let a = analyzer.analyze(&body, hint.as_deref());
        if json {
            let mut obj = serde_json::json!({
                "lang": a.lang,
                "sentiment": {"label": a.sentiment.label, "score": a.sentiment.score, "probs": a.sentiment.probs},
                "toxicity": a.toxicity,
                "intent": a.intent,
                "category": a.category,
                "register": a.register,
            });
            if let Some(id) = id {
                obj["id"] = serde_json::Value::String(id);
            }
            writeln!(out, "{obj}")?;
        } else {
            let short: String = body.chars().take(60).collect();
            writeln!(
                out,
                "{:>5}  {:<2}  {:<8} {:.2}  toxic {:.2}  {:<10} {:<26} {:<9}  {}",
                i + 1,
                a.lang.as_deref().unwrap_or("??"),
                a.sentiment.label.as_str(),
                a.sentiment.score,
                a.toxicity.toxic,
                a.intent.as_str(),
                a.category.map(|c| c.as_str()).unwrap_or("-"),
                a.register.as_str(),
                short.replace('\n', " "),
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `firebreak train`: trains every model from the train splits in `data`.
pub fn train(data: &Path, out: &Path) -> Result<ExitCode> {
    anyhow::ensure!(
        data.is_dir(),
        "{} is not a directory: pass the shared data sets with --data (e.g. ../shared/data)",
        data.display()
    );
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let report = firebreak_analyze::train::train_all(data, out, &mut |msg| eprintln!("{msg}"))
        .context("training failed")?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// `firebreak eval analysis`: one table, test splits only.
pub fn eval(data: &Path, models: Option<&Path>, transformer: Option<&Path>) -> Result<ExitCode> {
    anyhow::ensure!(
        data.is_dir(),
        "{} is not a directory: pass the shared data sets with --data (e.g. ../shared/data)",
        data.display()
    );
    let analyzer = load(models, transformer)?;
    let report =
        firebreak_analyze::eval::evaluate_all(data, &analyzer).context("evaluation failed")?;
    println!("{report}");
    Ok(ExitCode::SUCCESS)
}

/// The reply linter, with the configured analyzer for language identification.
pub fn linter(config: &crate::config::Config) -> Result<Arc<firebreak_respond::lint::Linter>> {
    let analyzer = load(config.analysis.models_dir.as_deref(), None)?;
    Ok(Arc::new(firebreak_respond::lint::Linter::new(Some(
        analyzer,
    ))))
}

/// `firebreak lint-reply`: prints the findings; exits 1 when there are any.
pub fn lint_reply(
    config: &crate::config::Config,
    text: &str,
    ctx: &firebreak_respond::lint::LintContext,
    json: bool,
) -> Result<std::process::ExitCode> {
    if text.trim().is_empty() {
        anyhow::bail!("the draft is empty: give the reply text as the argument");
    }
    let linter = linter(config)?;
    let findings = linter.lint(text, ctx);
    if json {
        println!(
            "{}",
            serde_json::to_string(&firebreak_respond::lint::LintOutput {
                findings: findings.clone()
            })?
        );
    } else if findings.is_empty() {
        println!("no findings");
    } else {
        let chars: Vec<char> = text.chars().collect();
        for f in &findings {
            let span: String = chars
                .get(f.start..f.end.min(chars.len()))
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            println!("{} [{}..{}] {:?}", f.rule.id(), f.start, f.end, span);
            println!("  {}", f.message);
            println!("  fix: {}", f.suggestion);
        }
    }
    Ok(if findings.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
