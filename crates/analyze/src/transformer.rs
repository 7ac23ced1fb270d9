//! The optional transformer backend (cargo feature `transformer`): an
//! XLM-RoBERTa sequence classifier for sentiment, run on the CPU with candle
//! (pure Rust). It loads a directory the user supplies, in the Hugging Face
//! layout, for example a local copy of `cardiffnlp/twitter-xlm-roberta-base-sentiment`
//! (XLM-T, the multilingual tweet model of the xlm-t-sentiment benchmark):
//!
//! - `config.json`: the model configuration, with `id2label` naming the classes;
//! - `model.safetensors`: the weights (`roberta.*`, `classifier.*`);
//! - `tokenizer.json`: the tokenizer.
//!
//! Nothing is downloaded, ever. The hashed n-gram models stay the default: a
//! transformer is 100-1000x slower (tens to hundreds of mentions/s on a CPU),
//! so it suits low-volume channels or a second opinion, not the hot path.

use std::path::Path;

// The libraries, for callers (and tests) that build or inspect models.
pub use {candle_core, candle_nn, candle_transformers, tokenizers};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::xlm_roberta::{Config, XLMRobertaForSequenceClassification};
use tokenizers::Tokenizer;

use crate::{AnalyzeError, Sentiment, SentimentLabel};

/// The model configuration a model directory must hold.
pub const CONFIG_FILE: &str = "config.json";
/// The weights a model directory must hold.
pub const WEIGHTS_FILE: &str = "model.safetensors";
/// The tokenizer a model directory must hold.
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// A sentiment classifier loaded from a local model directory.
pub struct TransformerSentiment {
    model: XLMRobertaForSequenceClassification,
    tokenizer: Tokenizer,
    device: Device,
    /// Output index of negative, neutral, positive.
    order: [usize; 3],
    max_tokens: usize,
}

impl std::fmt::Debug for TransformerSentiment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformerSentiment")
            .field("order", &self.order)
            .field("max_tokens", &self.max_tokens)
            .finish_non_exhaustive()
    }
}

fn model_err(e: impl std::fmt::Display) -> AnalyzeError {
    AnalyzeError::Format(format!("transformer: {e}"))
}

/// Finds negative/neutral/positive among `id2label` (names compared by prefix,
/// case-insensitive: "Negative", "NEG", "negative" all match).
fn label_order(config: &serde_json::Value) -> Result<([usize; 3], usize), AnalyzeError> {
    let labels = config
        .get("id2label")
        .and_then(|v| v.as_object())
        .ok_or_else(|| {
            model_err("config.json has no id2label: the classifier's classes must be named")
        })?;
    let mut order = [usize::MAX; 3];
    for (id, name) in labels {
        let id: usize = id
            .parse()
            .map_err(|_| model_err(format!("id2label key {id:?} is not a number")))?;
        let name = name.as_str().unwrap_or("").to_ascii_lowercase();
        let slot = if name.starts_with("neg") {
            0
        } else if name.starts_with("neu") {
            1
        } else if name.starts_with("pos") {
            2
        } else {
            continue;
        };
        order[slot] = id;
    }
    if order.contains(&usize::MAX) {
        return Err(model_err(
            "id2label must name a negative, a neutral and a positive class",
        ));
    }
    Ok((order, labels.len()))
}

impl TransformerSentiment {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<TransformerSentiment, AnalyzeError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| AnalyzeError::io(&path, e))
        };
        let config_bytes = read(CONFIG_FILE)?;
        let raw: serde_json::Value = serde_json::from_slice(&config_bytes)?;
        let config: Config = serde_json::from_slice(&config_bytes).map_err(|e| {
            model_err(format!(
                "{CONFIG_FILE} is not an XLM-RoBERTa configuration: {e}"
            ))
        })?;
        let (order, num_labels) = label_order(&raw)?;
        let tokenizer_path = dir.join(TOKENIZER_FILE);
        if !tokenizer_path.is_file() {
            return Err(AnalyzeError::io(
                &tokenizer_path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "missing"),
            ));
        }
        let tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|e| model_err(format!("{}: {e}", tokenizer_path.display())))?;
        let weights = read(WEIGHTS_FILE)?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| model_err(format!("{WEIGHTS_FILE}: {e}")))?;
        let model = XLMRobertaForSequenceClassification::new(num_labels, &config, vb)
            .map_err(|e| model_err(format!("{WEIGHTS_FILE} does not match {CONFIG_FILE}: {e}")))?;
        // Positions start after the padding index in RoBERTa models.
        let max_tokens = config
            .max_position_embeddings
            .saturating_sub(config.pad_token_id as usize + 1)
            .clamp(2, 512);
        Ok(TransformerSentiment {
            model,
            tokenizer,
            device,
            order,
            max_tokens,
        })
    }

    /// Sentiment of one text.
    pub fn sentiment(&self, text: &str) -> Result<Sentiment, AnalyzeError> {
        let encoding = self.tokenizer.encode(text, true).map_err(model_err)?;
        let mut ids: Vec<u32> = encoding.get_ids().to_vec();
        ids.truncate(self.max_tokens);
        let len = ids.len();
        let input = Tensor::new(ids.as_slice(), &self.device)
            .and_then(|t| t.unsqueeze(0))
            .map_err(model_err)?;
        let mask = Tensor::ones((1, len), DType::U32, &self.device).map_err(model_err)?;
        let types = Tensor::zeros((1, len), DType::U32, &self.device).map_err(model_err)?;
        let logits = self
            .model
            .forward(&input, &mask, &types)
            .map_err(model_err)?;
        let logits: Vec<f32> = logits
            .squeeze(0)
            .and_then(|t| t.to_vec1())
            .map_err(model_err)?;
        let pick = |i: usize| logits.get(i).copied().unwrap_or(f32::NEG_INFINITY);
        let raw = [
            pick(self.order[0]),
            pick(self.order[1]),
            pick(self.order[2]),
        ];
        let max = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp = raw.map(|x| (x - max).exp());
        let sum: f32 = exp.iter().sum();
        let probs = exp.map(|x| x / sum);
        let (best, score) = probs
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::MIN),
                |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
            );
        Ok(Sentiment {
            label: SentimentLabel::ALL[best],
            score,
            probs,
        })
    }
}
