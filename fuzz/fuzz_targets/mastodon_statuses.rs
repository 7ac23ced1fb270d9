//! Mastodon REST payloads: statuses, notifications, search, context, the posted status and
//! the Link header.
#![no_main]

use firebreak_connectors::parse::mastodon;
use firebreak_fuzz::{channel, check_page};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let c = channel();
    for brand in [None, Some("109871234567890123")] {
        for page in [
            mastodon::statuses(data, &c, brand),
            mastodon::notifications(data, &c, brand),
            mastodon::search(data, &c, brand),
            mastodon::context(data, &c, brand),
        ]
        .into_iter()
        .flatten()
        {
            check_page(&page, "mastodon");
            assert!(page.next.is_none(), "Mastodon pages by the Link header");
        }
    }
    if let Ok(id) = mastodon::posted_id(data) {
        assert!(!id.is_empty());
    }
    let header = String::from_utf8_lossy(data);
    for link in [mastodon::next_link(&header), mastodon::prev_link(&header)]
        .into_iter()
        .flatten()
    {
        assert!(
            header.contains(link.as_str()),
            "{link:?} is not in the header"
        );
    }
});
