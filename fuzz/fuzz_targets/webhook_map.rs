//! Generic webhooks: a body through the Facebook and Instagram mappings of the tests; an
//! input `MAPPING-JSON\n---\nBODY` through its own mapping; the signature check.
#![no_main]

use firebreak_connectors::parse::webhook::{self, Mapping};
use firebreak_fuzz::{channel, check_mention, check_page, check_wire};
use libfuzzer_sys::fuzz_target;

const FACEBOOK: &str = r#"{"items":["/entry","/changes"],"only":[{"pointer":"/field","equals":"feed"},{"pointer":"/value/item","equals":"comment"},{"pointer":"/value/verb","one_of":["add","edited"]}],"fields":{"platform":{"value":"facebook"},"id":"/value/comment_id","created_at":"/value/created_time","author_id":"/value/from/id","author_handle":"/value/from/name","text":"/value/message","in_reply_to":"/value/parent_id","url":"/value/post/permalink_url"}}"#;
const INSTAGRAM: &str = r#"{"items":["/entry","/changes"],"only":[{"pointer":"/field","equals":"comments"}],"fields":{"platform":{"value":"instagram"},"id":"/value/id","created_at":{"pointer":"/time","scope":"parent"},"author_id":"/value/from/id","author_handle":"/value/from/username","text":"/value/text","in_reply_to":{"pointer":["/value/parent_id","/value/media/id"]}}}"#;

fuzz_target!(|data: &[u8]| {
    let c = channel();
    for (json, platform) in [(FACEBOOK, "facebook"), (INSTAGRAM, "instagram")] {
        let Ok(mapping) = serde_json::from_str::<Mapping>(json) else {
            panic!("the {platform} mapping must deserialize");
        };
        if let Ok(page) = webhook::map(data, &mapping, &c) {
            check_page(&page, platform);
        }
    }

    let sep = b"\n---\n";
    if let Some(at) = data.windows(sep.len()).position(|w| w == sep) {
        let (head, body) = (&data[..at], &data[at + sep.len()..]);
        if let Ok(mapping) = serde_json::from_slice::<Mapping>(head) {
            let valid = mapping.validate().is_ok();
            if let Ok(page) = webhook::map(body, &mapping, &c) {
                assert!(valid, "map() accepted a mapping validate() refuses");
                for m in &page.mentions {
                    if mapping.id_prefix.is_none() {
                        check_mention(m, m.platform.as_str());
                    } else {
                        check_wire(m);
                    }
                }
            }
        }
    }

    // The signature check: never panics, and accepts nothing made up.
    let header = String::from_utf8_lossy(data.get(..72).unwrap_or(data));
    let secret = data.get(..8).unwrap_or(b"secret");
    let _ = webhook::verify_signature(secret, &header, data, "sha256=");
    assert!(webhook::verify_signature(b"k", "sha256=00", data, "sha256=").is_err());
});
