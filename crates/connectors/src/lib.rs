//! Firebreak's edges to the outside world. Today: [`notify`], the notifiers (signed webhook,
//! Slack- and Matrix-compatible webhooks, email over SMTP). Platform sources (Mastodon,
//! Bluesky, Reddit, RSS) arrive here with their own modules and typed configs.

pub mod notify;
