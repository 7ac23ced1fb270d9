//! Subject-safe tokens for channel names. A NATS subject token may not hold `.`, `*`,
//! `>` or whitespace; channels are free text (`@velora`, `r/velora`, `drill:@velora`).
//! Every byte outside `[A-Za-z0-9_-]` becomes `~XX` (hex), so the mapping is one-to-one
//! and the token is readable for ordinary names.

/// The subject token of a channel.
pub fn channel_token(channel: &str) -> String {
    if channel.is_empty() {
        return "~".into();
    }
    let mut out = String::with_capacity(channel.len() + 8);
    for b in channel.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("~{b:02X}"));
        }
    }
    out
}

/// The subject a mention of `channel` is published on: `PREFIX.<token>`.
pub fn mention_subject(prefix: &str, channel: &str) -> String {
    format!("{prefix}.{}", channel_token(channel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hold_no_subject_syntax_or_whitespace() {
        for channel in [
            "@velora",
            "r/velora",
            "drill:@velora",
            "a.b",
            "*",
            ">",
            "a b\tc",
            "é~",
        ] {
            let t = channel_token(channel);
            assert!(
                !t.is_empty() && !t.contains(['.', '*', '>', ' ', '\t', '\n']),
                "{channel:?} -> {t:?}"
            );
        }
    }

    #[test]
    fn distinct_channels_get_distinct_tokens() {
        let channels = ["a.b", "a~2Eb", "a_b", "a-b", "ab", "", "~"];
        let tokens: std::collections::HashSet<String> =
            channels.iter().map(|c| channel_token(c)).collect();
        assert_eq!(tokens.len(), channels.len());
    }

    #[test]
    fn plain_names_stay_readable() {
        assert_eq!(channel_token("velora_help"), "velora_help");
        assert_eq!(mention_subject("mentions", "@velora"), "mentions.~40velora");
    }
}
