//! RSS, Atom and JSON Feed documents.
#![no_main]

use chrono::{TimeZone, Utc};
use firebreak_connectors::parse::feed;
use firebreak_core::MentionKind;
use firebreak_fuzz::{channel, check_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(fetched) = Utc.with_ymd_and_hms(2026, 5, 23, 12, 0, 0).single() else {
        return;
    };
    if let Ok(page) = feed::feed(data, &channel(), MentionKind::Review, fetched) {
        check_page(&page, "rss");
        assert!(page.mentions.iter().all(|m| m.kind == MentionKind::Review));
        assert!(page.next.is_none());
    }
});
