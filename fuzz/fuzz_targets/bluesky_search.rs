//! Bluesky XRPC responses: searchPosts, getPostThread, createRecord, createSession.
#![no_main]

use firebreak_connectors::parse::bluesky;
use firebreak_fuzz::{channel, check_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = channel();
    if let Ok(page) = bluesky::search_posts(data, &c) {
        check_page(&page, "bluesky");
        if let Some(next) = &page.next {
            assert!(!next.is_empty());
        }
    }
    if let Ok(page) = bluesky::thread(data, &c) {
        check_page(&page, "bluesky");
        let mut ids: Vec<&str> = page.mentions.iter().map(|m| m.id.as_str()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "a post appears twice in a thread");
    }
    if let Ok(uri) = bluesky::created_record(data) {
        assert!(uri.starts_with("at://"));
    }
    if let Ok((jwt, did)) = bluesky::session(data) {
        assert!(!jwt.is_empty() && did.starts_with("did:"));
    }
});
