//! One Jetstream message at a time.
#![no_main]

use firebreak_connectors::parse::bluesky::{self, Watch};
use firebreak_fuzz::{channel, check_mention};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let watch = Watch {
        dids: vec!["did:plc:velorazq7xk2m4npw3ty5hsb".into()],
        handles: vec!["velora.bsky.social".into()],
        keywords: vec!["velora".into(), "Akku".into(), "żółć".into()],
    };
    let c = channel();
    // The fixture corpus is JSONL: each line is one message.
    for line in data.split(|&b| b == b'\n') {
        if let Ok(e) = bluesky::jetstream(line, &c, &watch) {
            if let Some(m) = &e.mention {
                check_mention(m, "bluesky");
                assert!(m.id.as_str().starts_with("bluesky:at://"), "{}", m.id);
                assert!(
                    m.author.id.as_str().starts_with("bluesky:did:"),
                    "{}",
                    m.author.id
                );
            }
        }
    }
    // Nothing watched: nothing is a mention.
    if let Ok(e) = bluesky::jetstream(data, &c, &Watch::default()) {
        assert!(e.mention.is_none(), "a mention without a watch");
    }
});
