//! Invariants every parser's output keeps, checked by each fuzz target.

use firebreak_connectors::parse::Page;
use firebreak_core::wire::{decode_jsonl, encode_jsonl};
use firebreak_core::{ChannelId, Mention};

/// The channel every target parses into.
pub fn channel() -> ChannelId {
    ChannelId::new("@velora")
}

/// A mention from `platform`: ids carry the platform's prefix, and Mention JSONL v1 reads
/// the mention back unchanged (so the store and every tool can take it).
pub fn check_mention(m: &Mention, platform: &str) {
    let prefix = format!("{platform}:");
    assert_eq!(m.platform.as_str(), platform, "platform of {}", m.id);
    assert!(m.id.as_str().starts_with(&prefix), "id {}", m.id);
    assert!(
        m.id.as_str().len() > prefix.len(),
        "empty native id {}",
        m.id
    );
    assert!(
        m.author.id.as_str().starts_with(&prefix),
        "author id {}",
        m.author.id
    );
    for related in [&m.in_reply_to, &m.reshare_of].into_iter().flatten() {
        assert!(
            related.as_str().starts_with(&prefix),
            "related id {related}"
        );
    }
    assert_eq!(m.channel, channel());
    assert!(!m.text.contains('\0'), "NUL in text of {}", m.id);
    if let Some(lang) = &m.lang {
        assert!(
            lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()),
            "lang {lang:?}"
        );
    }
    check_wire(m);
}

/// Mention JSONL v1 reads the mention back unchanged.
pub fn check_wire(m: &Mention) {
    let line = encode_jsonl(m);
    match decode_jsonl(line.as_bytes()) {
        Ok(back) => assert_eq!(&back, m, "round trip of {line}"),
        Err(e) => panic!("{} does not decode: {e}\n{line}", m.id),
    }
}

/// Every mention of a page.
pub fn check_page(page: &Page, platform: &str) {
    for m in &page.mentions {
        check_mention(m, platform);
    }
    for s in &page.skipped {
        assert!(!s.reason.is_empty(), "a skipped item without a reason");
    }
}
