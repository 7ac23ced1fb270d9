//! What analysis says about a mention: language, sentiment, toxicity, intent,
//! complaint category and register. `firebreak-analyze` computes it; detectors
//! and the inbox read it. Plain data, no I/O.

use serde::{Deserialize, Serialize};

/// Sentiment label.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// Negative.
    Negative,
    /// Neutral.
    Neutral,
    /// Positive.
    Positive,
}

/// Sentiment with calibrated probabilities.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sentiment {
    /// Most probable label.
    pub label: SentimentLabel,
    /// Probability of `label`.
    pub score: f32,
    /// Probabilities of negative, neutral, positive.
    pub probs: [f32; 3],
}

/// Toxicity probabilities.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Toxicity {
    /// Any toxicity: the maximum of the three below.
    pub toxic: f32,
    /// Insult / offensive language.
    pub insult: f32,
    /// Threat of violence.
    pub threat: f32,
    /// Hate against an identity group.
    pub identity_hate: f32,
}

/// What the author wants.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Complaint.
    Complaint,
    /// Question.
    Question,
    /// Suggestion.
    Suggestion,
    /// Praise.
    Praise,
    /// Anything else.
    Other,
}

impl Intent {
    /// All intents in model order.
    pub const ALL: [Intent; 5] = [
        Intent::Complaint,
        Intent::Question,
        Intent::Suggestion,
        Intent::Praise,
        Intent::Other,
    ];

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Complaint => "complaint",
            Intent::Question => "question",
            Intent::Suggestion => "suggestion",
            Intent::Praise => "praise",
            Intent::Other => "other",
        }
    }

    /// Parse a snake_case name.
    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s)
    }
}

/// Complaint category.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Product defect or safety.
    ProductDefectSafety,
    /// Delivery or logistics.
    DeliveryLogistics,
    /// Conduct of customer service.
    CustomerServiceConduct,
    /// Billing or pricing.
    BillingPricing,
    /// Data, privacy or security.
    DataPrivacySecurity,
    /// Outage or technical problem.
    OutageTechnical,
    /// Offensive content or campaign.
    OffensiveContentCampaign,
    /// Other.
    Other,
}

impl Category {
    /// All categories in model order.
    pub const ALL: [Category; 8] = [
        Category::ProductDefectSafety,
        Category::DeliveryLogistics,
        Category::CustomerServiceConduct,
        Category::BillingPricing,
        Category::DataPrivacySecurity,
        Category::OutageTechnical,
        Category::OffensiveContentCampaign,
        Category::Other,
    ];

    /// snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::ProductDefectSafety => "product_defect_safety",
            Category::DeliveryLogistics => "delivery_logistics",
            Category::CustomerServiceConduct => "customer_service_conduct",
            Category::BillingPricing => "billing_pricing",
            Category::DataPrivacySecurity => "data_privacy_security",
            Category::OutageTechnical => "outage_technical",
            Category::OffensiveContentCampaign => "offensive_content_campaign",
            Category::Other => "other",
        }
    }

    /// Parse a snake_case name.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Register of the text.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Register {
    /// Emotional.
    Emotional,
    /// Factual.
    Factual,
}

/// Enrichment of one mention.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Analysis {
    /// ISO 639-1 language code (None for text without letters).
    pub lang: Option<String>,
    /// Confidence of `lang` (1.0 when taken from the hint).
    pub lang_confidence: f32,
    /// Sentiment.
    pub sentiment: Sentiment,
    /// Toxicity.
    pub toxicity: Toxicity,
    /// Intent.
    pub intent: Intent,
    /// Probability of `intent`.
    pub intent_confidence: f32,
    /// Complaint category, set when the intent is a complaint.
    pub category: Option<Category>,
    /// Register.
    pub register: Register,
    /// Probability that the register is emotional.
    pub emotional: f32,
}

impl SentimentLabel {
    pub const ALL: [SentimentLabel; 3] = [
        SentimentLabel::Negative,
        SentimentLabel::Neutral,
        SentimentLabel::Positive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    pub fn parse(s: &str) -> Option<SentimentLabel> {
        SentimentLabel::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

impl Register {
    pub fn as_str(self) -> &'static str {
        match self {
            Register::Emotional => "emotional",
            Register::Factual => "factual",
        }
    }

    pub fn parse(s: &str) -> Option<Register> {
        [Register::Emotional, Register::Factual]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// Reach of a mention, from platform metadata (not from the text).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Reach {
    /// Author's follower count.
    pub followers: u64,
    /// Author is verified.
    pub verified: bool,
    /// Reshare depth (0 = original post, 1 = reshare of it, ...).
    pub reshare_depth: u32,
    /// Heuristic reach score in [0, 1]: `log10(1 + followers) / 7` (10 M
    /// followers = 1), plus 0.1 when verified, times `0.8^reshare_depth`
    /// (deeper reshares reach fewer new people). A ranking aid, not a model.
    pub score: f32,
}

impl Reach {
    /// Compute the reach of a mention.
    pub fn new(followers: u64, verified: bool, reshare_depth: u32) -> Reach {
        let base =
            ((1.0 + followers as f64).log10() / 7.0) as f32 + if verified { 0.1 } else { 0.0 };
        let score = (base * 0.8f32.powi(reshare_depth.min(64) as i32)).clamp(0.0, 1.0);
        Reach {
            followers,
            verified,
            reshare_depth,
            score,
        }
    }
}
