//! The transformer backend on a tiny XLM-RoBERTa model that this test creates:
//! random weights saved as safetensors, a word-level tokenizer, a config.
//! Nothing is downloaded.
#![cfg(feature = "transformer")]

use std::collections::HashMap;
use std::path::Path;

use firebreak_analyze::transformer::candle_core::{DType, Device, Tensor};
use firebreak_analyze::transformer::candle_nn::{VarBuilder, VarMap};
use firebreak_analyze::transformer::candle_transformers::models::xlm_roberta::{
    Config, XLMRobertaForSequenceClassification,
};
use firebreak_analyze::transformer::tokenizers::models::wordlevel::WordLevel;
use firebreak_analyze::transformer::tokenizers::pre_tokenizers::whitespace::Whitespace;
use firebreak_analyze::transformer::tokenizers::processors::roberta::RobertaProcessing;
use firebreak_analyze::transformer::tokenizers::Tokenizer;
use firebreak_analyze::transformer::TransformerSentiment;
use firebreak_analyze::{Analyzer, SentimentLabel};

const WORDS: [&str; 10] = [
    "<s>", "<pad>", "</s>", "<unk>", "the", "kettle", "melted", "great", "service", "bad",
];

fn config_json(labels: [&str; 3]) -> serde_json::Value {
    serde_json::json!({
        "model_type": "xlm-roberta",
        "hidden_size": 8,
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "intermediate_size": 16,
        "hidden_act": "gelu",
        "vocab_size": WORDS.len(),
        "max_position_embeddings": 34,
        "type_vocab_size": 1,
        "pad_token_id": 1,
        "layer_norm_eps": 1e-5,
        "attention_probs_dropout_prob": 0.1,
        "hidden_dropout_prob": 0.1,
        "position_embedding_type": "absolute",
        "id2label": {"0": labels[0], "1": labels[1], "2": labels[2]},
    })
}

/// Writes a tiny model whose classifier bias favours output `favoured`.
fn write_model(dir: &Path, labels: [&str; 3], favoured: usize) {
    let config = config_json(labels);
    std::fs::write(dir.join("config.json"), config.to_string()).expect("config");
    let cfg: Config = serde_json::from_value(config).expect("config type");
    let mut varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    XLMRobertaForSequenceClassification::new(3, &cfg, vb).expect("build model");
    let mut bias = [0f32; 3];
    bias[favoured] = 20.0;
    varmap
        .set_one(
            "classifier.out_proj.bias",
            Tensor::new(&bias, &Device::Cpu).expect("tensor"),
        )
        .expect("set bias");
    varmap
        .save(dir.join("model.safetensors"))
        .expect("save weights");

    let vocab: HashMap<String, u32> = WORDS
        .iter()
        .enumerate()
        .map(|(i, w)| (w.to_string(), i as u32))
        .collect();
    let model = WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("<unk>".into())
        .build()
        .expect("wordlevel");
    let mut tokenizer = Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(Whitespace {}));
    tokenizer.with_post_processor(Some(RobertaProcessing::new(
        ("</s>".into(), 2),
        ("<s>".into(), 0),
    )));
    tokenizer
        .save(dir.join("tokenizer.json"), false)
        .expect("save tokenizer");
}

#[test]
fn a_local_model_classifies_and_its_weights_decide() {
    let dir = tempfile::tempdir().expect("tmp");
    // Labels in an unusual order and spelling: the loader must map them by name.
    let labels = ["Positive", "NEGATIVE", "neutral"];
    write_model(dir.path(), labels, 1);
    let model = TransformerSentiment::load(dir.path()).expect("load");
    let s = model.sentiment("the kettle melted").expect("classify");
    assert_eq!(s.label, SentimentLabel::Negative);
    assert!((s.probs.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    assert!(s.score > 0.99);
    // Unknown words, empty and very long texts are fine.
    assert!(model.sentiment("zzz qqq").is_ok());
    assert!(model.sentiment("").is_ok());
    assert!(
        model.sentiment(&"great ".repeat(200)).is_ok(),
        "long texts are truncated"
    );

    // Same architecture, other weights: the answer follows the file.
    write_model(dir.path(), labels, 0);
    let model = TransformerSentiment::load(dir.path()).expect("reload");
    assert_eq!(
        model
            .sentiment("the kettle melted")
            .expect("classify")
            .label,
        SentimentLabel::Positive
    );

    // The analyzer uses it for sentiment and keeps its fast models for the rest.
    let analyzer = Analyzer::load_default()
        .expect("default")
        .with_transformer_sentiment(model);
    let a = analyzer.analyze("the kettle melted, terrible service", None);
    assert_eq!(a.sentiment.label, SentimentLabel::Positive);
    assert_eq!(a.lang.as_deref(), Some("en"));
}

#[test]
fn missing_or_wrong_files_are_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let err = TransformerSentiment::load(dir.path()).expect_err("empty dir");
    assert!(err.to_string().contains("config.json"), "{err}");

    write_model(dir.path(), ["negative", "neutral", "positive"], 0);
    std::fs::remove_file(dir.path().join("tokenizer.json")).expect("rm");
    let err = TransformerSentiment::load(dir.path()).expect_err("no tokenizer");
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    write_model(dir.path(), ["angry", "calm", "happy"], 0);
    let err = TransformerSentiment::load(dir.path()).expect_err("unknown labels");
    assert!(err.to_string().contains("id2label"), "{err}");
}
