//! The SSE parser under arbitrary chunking, then each event through `stream_event`.
//! Invariant: how the stream is cut into chunks never changes the events.
#![no_main]

use firebreak_connectors::parse::mastodon::{self, SseParser};
use firebreak_fuzz::{channel, check_mention};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut whole = SseParser::default();
    let expected = whole.push(data);

    // Chunk sizes drawn from the data itself (1 to 13 bytes), so the corpus stays plain
    // SSE text.
    let mut chunked = SseParser::default();
    let mut events = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < data.len() {
        let size = usize::from(data[(i * 7) % data.len()] % 13) + 1;
        let end = (at + size).min(data.len());
        events.extend(chunked.push(&data[at..end]));
        at = end;
        i += 1;
    }
    assert_eq!(events, expected, "chunking changed the events");
    assert_eq!(chunked.last_event_id(), whole.last_event_id());
    assert_eq!(chunked.dropped(), whole.dropped());

    let c = channel();
    for e in &expected {
        assert!(!e.event.is_empty());
        if let Ok(Some(m)) =
            mastodon::stream_event(&e.event, &e.data, &c, Some("109871234567890123"))
        {
            check_mention(&m, "mastodon");
        }
        // Every payload is also tried as each of the events that carry one.
        for name in ["update", "status.update", "notification"] {
            if let Ok(Some(m)) = mastodon::stream_event(name, &e.data, &c, None) {
                check_mention(&m, "mastodon");
            }
        }
    }
});
