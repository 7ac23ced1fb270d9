//! Firebreak's domain model: what a mention is, who wrote it, which channel it
//! belongs to, and what an alert says. This crate does no I/O: it turns bytes
//! into validated values and values into bytes, and nothing else.
//!
//! The two interchange formats of `shared/spec` live in [`wire`]: Mention JSONL v1
//! (and its CSV sibling) as input, Alert JSONL v1 as output.

pub mod alert;
pub mod analysis;
pub mod mention;
pub mod wire;

pub use alert::{Alert, AlertKind};
pub use analysis::{
    Analysis, Category, Intent, Reach, Register, Sentiment, SentimentLabel, Toxicity,
};
pub use mention::{
    Author, AuthorId, Channel, ChannelId, Mention, MentionId, MentionKind, Platform,
};
pub use wire::{DecodeError, MAX_LINE_BYTES};
