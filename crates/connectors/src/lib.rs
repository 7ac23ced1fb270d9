//! Firebreak's edges to the outside world:
//! - [`sources`]: platform connectors (Mastodon, Bluesky, Reddit, RSS/Atom) that send
//!   mentions into the pipeline, each resumable from a saved cursor;
//! - [`parse`]: the platforms' payloads turned into mentions (pure functions, fuzzed);
//! - [`http`]: rate-limit-aware HTTP with transient/permanent error classes;
//! - [`outbound`]: replies and direct messages posted on the platforms, with a dry run;
//! - [`notify`]: the notifiers (signed webhook, Slack- and Matrix-compatible webhooks,
//!   email over SMTP).

pub mod hooks;
pub mod http;
pub mod notify;
pub mod outbound;
pub mod parse;
pub mod sources;

/// The User-Agent of every request Firebreak makes.
pub const USER_AGENT: &str = concat!("firebreak/", env!("CARGO_PKG_VERSION"));
