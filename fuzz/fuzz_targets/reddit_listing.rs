//! Reddit: listings (and comment trees), the token response, the posted comment.
#![no_main]

use firebreak_connectors::parse::reddit;
use firebreak_core::MentionKind;
use firebreak_fuzz::{channel, check_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = reddit::listing(data, &channel()) {
        check_page(&page, "reddit");
        for m in &page.mentions {
            let id = m.id.as_str();
            match m.kind {
                MentionKind::Post => assert!(id.starts_with("reddit:t3_"), "{id}"),
                MentionKind::Reply => {
                    assert!(id.starts_with("reddit:t1_"), "{id}");
                    assert!(m.in_reply_to.is_some(), "a comment without a parent");
                }
                other => panic!("kind {other} from Reddit"),
            }
        }
    }
    if let Ok((token, _)) = reddit::token(data) {
        assert!(!token.is_empty());
    }
    if let Ok(name) = reddit::posted_id(data) {
        assert!(!name.is_empty());
    }
});
