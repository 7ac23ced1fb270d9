//! Posting replies on the platforms. The inbox decides whether a reply may be sent (role,
//! linter, personal data); an [`Outbound`] only carries it out and says what the platform
//! answered. `firebreak-connectors` implements it per platform, with a dry-run mode for
//! drills and tests.

use firebreak_core::MentionId;

use crate::case::PrivateChannel;
use crate::store::Delivery;

/// One reply to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPost {
    /// A key that stays the same when the same reply is retried (platforms that accept an
    /// idempotency key get it, so a retry does not post twice).
    pub key: String,
    pub platform: String,
    /// The brand's channel the case belongs to: it picks the account to post as.
    pub channel: String,
    /// The mention answered (public replies), or the one that started the conversation.
    pub in_reply_to: Option<MentionId>,
    /// `None`: public, on the thread; `Some(Dm)`: a direct message to the author.
    pub private: Option<PrivateChannel>,
    /// The author's handle, to address them (`@handle`) where the platform needs it.
    pub to_handle: Option<String>,
    /// The author's platform id (`platform:native`).
    pub to_author: String,
    pub text: String,
}

/// Posts replies. Implementations block (the inbox is synchronous).
pub trait Outbound: Send + Sync {
    /// Posts `post`; `Ok` carries how it was delivered (the platform's id, or a dry run).
    /// `Err` says why it could not be posted; the reply is then not recorded as sent.
    fn post(&self, post: &OutboundPost) -> Result<Delivery, String>;
}
