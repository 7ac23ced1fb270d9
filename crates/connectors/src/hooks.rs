//! Inbound webhooks for platforms without a connector (Facebook and Instagram through
//! Meta's webhooks or a relay, review sites, in-house tools). Each `[[hooks]]` entry has a
//! name (its URL is `/api/v1/hooks/{name}`), the channel its mentions belong to, the
//! HMAC secret and header the sender signs with, and a field [`Mapping`].
//!
//! The sender learns the outcome only after the mentions are committed: a 2xx means
//! stored, anything else means "send it again", so nothing is lost; a resend is absorbed
//! by the store's idempotent upsert.

use firebreak_core::ChannelId;
use serde::Deserialize;

use crate::notify::Secret;
use crate::parse::webhook::{self, Mapping};
use crate::parse::{Page, ParseError};

/// `[[hooks]]` in `firebreak.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// The last segment of the hook's URL: letters, digits, `-` and `_`.
    pub name: String,
    pub channel: String,
    /// The HMAC-SHA256 secret the sender signs the body with.
    pub secret: Secret,
    /// The header holding the signature (Meta: `X-Hub-Signature-256`).
    #[serde(default = "default_header")]
    pub signature_header: String,
    /// What precedes the hex digest in that header.
    #[serde(default = "default_prefix")]
    pub signature_prefix: String,
    /// Meta's subscription check (`GET ?hub.mode=subscribe&hub.verify_token=...`).
    #[serde(default)]
    pub verify_token: Option<Secret>,
    pub mapping: Mapping,
}

fn default_header() -> String {
    "x-hub-signature-256".into()
}
fn default_prefix() -> String {
    "sha256=".into()
}

impl HookConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "hook name {:?}: use letters, digits, - and _ (it is the last part of the URL)",
                self.name
            ));
        }
        self.secret.validate("secret")?;
        if let Some(t) = &self.verify_token {
            t.validate("verify_token")?;
        }
        self.mapping.validate().map_err(|e| format!("mapping: {e}"))
    }
}

/// A hook ready to take requests: its secrets read.
#[derive(Debug)]
pub struct Hook {
    pub name: String,
    pub channel: ChannelId,
    secret: String,
    pub signature_header: String,
    signature_prefix: String,
    verify_token: Option<String>,
    mapping: Mapping,
}

/// Why a hook request was refused.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("{0}")]
    Signature(String),
    #[error("{0}")]
    Payload(String),
}

impl Hook {
    pub fn from_config(c: &HookConfig) -> Result<Hook, String> {
        c.validate()?;
        let secret = c.secret.read("secret").map_err(|e| e.to_string())?;
        if secret.len() < 16 {
            return Err(format!(
                "hook {:?}: the secret is shorter than 16 characters; use a long random one",
                c.name
            ));
        }
        let verify_token = match &c.verify_token {
            Some(t) => Some(t.read("verify_token").map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Hook {
            name: c.name.clone(),
            channel: ChannelId::new(c.channel.clone()),
            secret,
            signature_header: c.signature_header.to_ascii_lowercase(),
            signature_prefix: c.signature_prefix.clone(),
            verify_token,
            mapping: c.mapping.clone(),
        })
    }

    /// Checks the signature, then maps the body to mentions.
    pub fn accept(&self, signature: Option<&str>, body: &[u8]) -> Result<Page, HookError> {
        let signature = signature.ok_or_else(|| {
            HookError::Signature(format!(
                "missing {} header: sign the body with HMAC-SHA256 and send {}<hex>",
                self.signature_header, self.signature_prefix
            ))
        })?;
        webhook::verify_signature(
            self.secret.as_bytes(),
            signature,
            body,
            &self.signature_prefix,
        )
        .map_err(|e: ParseError| HookError::Signature(e.to_string()))?;
        webhook::map(body, &self.mapping, &self.channel)
            .map_err(|e| HookError::Payload(e.to_string()))
    }

    /// Meta's subscription check: the challenge to echo, when the token matches.
    pub fn challenge<'a>(
        &self,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&'a str>,
    ) -> Option<&'a str> {
        let expected = self.verify_token.as_deref()?;
        (mode == Some("subscribe") && token == Some(expected)).then_some(challenge?)
    }
}
