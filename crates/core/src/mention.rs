//! Mentions, authors and channels.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id. Ids are opaque: any non-empty string is accepted.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

id_type!(
    /// Globally unique, stable id of a mention, conventionally `platform:native_id`.
    /// Re-importing a mention with the same id never creates a second one.
    MentionId
);
id_type!(
    /// The platform's id of an author (an account), unique within the platform.
    AuthorId
);
id_type!(
    /// The brand's account, page or monitored query a mention belongs to, e.g. `@velora`.
    ChannelId
);

/// Where a mention was published: `mastodon`, `bluesky`, `reddit`, `x`, `rss`, ...
///
/// The set is open (new platforms arrive with webhooks), so this is a
/// normalised lower-case name rather than a closed enum.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Platform(String);

/// The longest platform name accepted.
pub const MAX_PLATFORM_LEN: usize = 32;

impl Platform {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Platform {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Platform> for String {
    fn from(p: Platform) -> String {
        p.0
    }
}

impl FromStr for Platform {
    type Err = String;
    /// Accepts a short name made of letters, digits, `_`, `-` and `.`;
    /// upper case is folded to lower case.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("platform is empty".into());
        }
        if s.len() > MAX_PLATFORM_LEN {
            return Err(format!("platform is longer than {MAX_PLATFORM_LEN} bytes"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        {
            return Err(format!(
                "platform {s:?} may only contain letters, digits, '_', '-' and '.'"
            ));
        }
        Ok(Platform(s.to_ascii_lowercase()))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What sort of message a mention is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MentionKind {
    /// A top-level post: a new thread (by a customer or by the brand).
    Post,
    /// A message that names the brand.
    Mention,
    /// A reply in a thread (see [`Mention::in_reply_to`]).
    Reply,
    /// A plain reshare (boost, retweet, repost) of another mention.
    Reshare,
    /// A reshare with a comment of its own.
    Quote,
    /// A review on a review site or app store.
    Review,
    /// A private direct message.
    Dm,
}

impl MentionKind {
    pub const ALL: [MentionKind; 7] = [
        MentionKind::Post,
        MentionKind::Mention,
        MentionKind::Reply,
        MentionKind::Reshare,
        MentionKind::Quote,
        MentionKind::Review,
        MentionKind::Dm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MentionKind::Post => "post",
            MentionKind::Mention => "mention",
            MentionKind::Reply => "reply",
            MentionKind::Reshare => "reshare",
            MentionKind::Quote => "quote",
            MentionKind::Review => "review",
            MentionKind::Dm => "dm",
        }
    }
}

impl FromStr for MentionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        MentionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown kind {s:?}; expected one of post, mention, reply, reshare, quote, review, dm"
                )
            })
    }
}

impl fmt::Display for MentionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who wrote a mention, as the platform described them when it was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: AuthorId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Followers at the time of the mention: the author's reach.
    #[serde(default)]
    pub followers: u64,
    #[serde(default)]
    pub verified: bool,
}

/// One message about the brand, from any platform. Mentions are facts: once
/// stored they are never deleted (see `ARCHITECTURE.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub id: MentionId,
    pub platform: Platform,
    pub channel: ChannelId,
    pub kind: MentionKind,
    /// Event time: when the platform says the mention was published.
    pub created_at: DateTime<Utc>,
    pub author: Author,
    /// May be empty (a plain reshare).
    pub text: String,
    /// ISO 639-1 code when the platform supplied one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<MentionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reshare_of: Option<MentionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What analysis found, once the analysis transform has run. Never read
    /// from input files: Firebreak computes it.
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub analysis: Option<crate::analysis::Analysis>,
}

/// A brand's account, page or monitored query on one platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub platform: Platform,
}
