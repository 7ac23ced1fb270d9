//! The analysis of a mention as flat, nullable columns (migration 0002), and back.

use firebreak_core::{Analysis, Category, Intent, Register, Sentiment, SentimentLabel, Toxicity};

use crate::StoreError;

/// The analysis columns, in table order after the mention's own columns.
pub(crate) const COLUMNS: &str = "analysis_lang, lang_confidence, sentiment, sentiment_score, \
     p_negative, p_neutral, p_positive, toxic, insult, threat, identity_hate, intent, \
     intent_confidence, category, register, emotional";

pub(crate) const COUNT: usize = 16;

/// One mention's analysis columns; all `None` when it was not analysed.
#[derive(Debug, Default)]
pub(crate) struct Flat<'a> {
    pub lang: Option<&'a str>,
    pub lang_confidence: Option<f32>,
    pub sentiment: Option<&'static str>,
    pub sentiment_score: Option<f32>,
    pub p: [Option<f32>; 3],
    pub toxic: Option<f32>,
    pub insult: Option<f32>,
    pub threat: Option<f32>,
    pub identity_hate: Option<f32>,
    pub intent: Option<&'static str>,
    pub intent_confidence: Option<f32>,
    pub category: Option<&'static str>,
    pub register: Option<&'static str>,
    pub emotional: Option<f32>,
}

pub(crate) fn flatten(analysis: Option<&Analysis>) -> Flat<'_> {
    let Some(a) = analysis else {
        return Flat::default();
    };
    Flat {
        lang: a.lang.as_deref(),
        lang_confidence: Some(a.lang_confidence),
        sentiment: Some(a.sentiment.label.as_str()),
        sentiment_score: Some(a.sentiment.score),
        p: a.sentiment.probs.map(Some),
        toxic: Some(a.toxicity.toxic),
        insult: Some(a.toxicity.insult),
        threat: Some(a.toxicity.threat),
        identity_hate: Some(a.toxicity.identity_hate),
        intent: Some(a.intent.as_str()),
        intent_confidence: Some(a.intent_confidence),
        category: a.category.map(Category::as_str),
        register: Some(a.register.as_str()),
        emotional: Some(a.emotional),
    }
}

/// Owned column values as read from a row.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub lang: Option<String>,
    pub lang_confidence: Option<f32>,
    pub sentiment: Option<String>,
    pub sentiment_score: Option<f32>,
    pub p: [Option<f32>; 3],
    pub toxic: Option<f32>,
    pub insult: Option<f32>,
    pub threat: Option<f32>,
    pub identity_hate: Option<f32>,
    pub intent: Option<String>,
    pub intent_confidence: Option<f32>,
    pub category: Option<String>,
    pub register: Option<String>,
    pub emotional: Option<f32>,
}

/// Rebuilds the analysis; `None` when the row has none.
pub(crate) fn rebuild(id: &str, r: Read) -> Result<Option<Analysis>, StoreError> {
    let Some(sentiment) = r.sentiment else {
        return Ok(None);
    };
    let bad = |what: &str| StoreError::CorruptRow(format!("mention {id}: unknown {what}"));
    let f = |v: Option<f32>| v.unwrap_or(0.0);
    Ok(Some(Analysis {
        lang: r.lang,
        lang_confidence: f(r.lang_confidence),
        sentiment: Sentiment {
            label: SentimentLabel::parse(&sentiment).ok_or_else(|| bad("sentiment"))?,
            score: f(r.sentiment_score),
            probs: r.p.map(f),
        },
        toxicity: Toxicity {
            toxic: f(r.toxic),
            insult: f(r.insult),
            threat: f(r.threat),
            identity_hate: f(r.identity_hate),
        },
        intent: r
            .intent
            .as_deref()
            .and_then(Intent::parse)
            .ok_or_else(|| bad("intent"))?,
        intent_confidence: f(r.intent_confidence),
        category: r
            .category
            .as_deref()
            .map(|c| Category::parse(c).ok_or_else(|| bad("category")))
            .transpose()?,
        register: r
            .register
            .as_deref()
            .and_then(Register::parse)
            .ok_or_else(|| bad("register"))?,
        emotional: f(r.emotional),
    }))
}
