//! Sources: where mentions enter the pipeline.
//!
//! [`file`] reads Mention JSONL v1 or CSV from a file or stdin (import and
//! replay). The HTTP ingest endpoint (in `firebreak-server`) and the platform
//! connectors send [`crate::Envelope`]s through the same channel.

pub mod file;
pub mod lines;

pub use file::{read_mentions, Format, Pace, ReadOptions, Rejection, SourceStats};
pub use lines::{Line, LineReader};
