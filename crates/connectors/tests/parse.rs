//! The platform payload parsers, specified by the platforms' own documented payloads
//! (`tests/fixtures/`, shaped like the APIs' responses).

use chrono::{DateTime, TimeZone, Utc};
use firebreak_connectors::parse::bluesky::{self, Watch};
use firebreak_connectors::parse::mastodon::{self, SseEvent, SseParser};
use firebreak_connectors::parse::webhook::{self, Mapping};
use firebreak_connectors::parse::{feed, reddit, Page, ParseError};
use firebreak_core::wire::{decode_jsonl, encode_jsonl};
use firebreak_core::{ChannelId, Mention, MentionKind};

const BRAND_MASTODON: &str = "109871234567890123";
const BRAND_DID: &str = "did:plc:velorazq7xk2m4npw3ty5hsb";
const BRAND_POST: &str = "at://did:plc:velorazq7xk2m4npw3ty5hsb/app.bsky.feed.post/3lqbrandpost22";

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

fn channel() -> ChannelId {
    ChannelId::new("@velora")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("test timestamp")
        .with_timezone(&Utc)
}

/// Every mention a parser makes is one that Mention JSONL v1 reads back unchanged.
fn assert_wire_clean(page: &Page) {
    for m in &page.mentions {
        let line = encode_jsonl(m);
        let back = decode_jsonl(line.as_bytes())
            .unwrap_or_else(|e| panic!("{} does not decode: {e}\n{line}", m.id));
        assert_eq!(&back, m, "round trip of {}", m.id);
    }
}

fn ids(page: &Page) -> Vec<&str> {
    page.mentions.iter().map(|m| m.id.as_str()).collect()
}

fn by_id<'a>(page: &'a Page, id: &str) -> &'a Mention {
    page.mentions
        .iter()
        .find(|m| m.id.as_str() == id)
        .unwrap_or_else(|| panic!("no mention {id} in {:?}", ids(page)))
}

// ---------------------------------------------------------------------------------------
// Mastodon

fn mastodon_statuses() -> Page {
    let page = mastodon::statuses(
        &fixture("mastodon/statuses.json"),
        &channel(),
        Some(BRAND_MASTODON),
    )
    .expect("statuses parse");
    assert_wire_clean(&page);
    page
}

#[test]
fn mastodon_status_naming_the_brand_is_a_mention_in_plain_text() {
    let page = mastodon_statuses();
    assert_eq!(page.mentions.len(), 6);
    assert!(page.skipped.is_empty(), "{:?}", page.skipped);
    assert_eq!(page.next, None);
    let m = by_id(&page, "mastodon:113500000000000201");
    assert_eq!(m.kind, MentionKind::Mention);
    assert_eq!(m.platform.as_str(), "mastodon");
    assert_eq!(m.channel.as_str(), "@velora");
    assert_eq!(
        m.text,
        "@velora la batteria della mia Velora E3 si è spenta in salita, di nuovo. \
         È la terza volta questa settimana. Qualcuno ha lo stesso problema? #velora"
    );
    assert_eq!(m.lang.as_deref(), Some("it"));
    assert_eq!(m.created_at, at("2026-05-23T09:14:07.512Z"));
    assert_eq!(m.author.id.as_str(), "mastodon:110234567890123456");
    assert_eq!(m.author.handle.as_deref(), Some("marta_rossi@mastodon.uno"));
    assert_eq!(m.author.followers, 1834);
    assert_eq!(
        m.url.as_deref(),
        Some("https://mastodon.uno/@marta_rossi/113500000000000201")
    );
    assert_eq!(
        (m.in_reply_to.as_ref(), m.reshare_of.as_ref()),
        (None, None)
    );
}

#[test]
fn mastodon_reply_becomes_a_reply_with_its_parent() {
    let page = mastodon_statuses();
    let m = by_id(&page, "mastodon:113500000000000202");
    assert_eq!(m.kind, MentionKind::Reply);
    assert_eq!(
        m.in_reply_to.as_ref().map(|p| p.as_str()),
        Some("mastodon:113500000000000100")
    );
    assert_eq!(m.lang.as_deref(), Some("es"));
    // Entities are decoded.
    assert!(
        m.text
            .ends_with("tres semanas esperando & nadie responde al correo."),
        "{}",
        m.text
    );
}

#[test]
fn mastodon_boost_is_a_reshare_of_the_original_without_text() {
    let page = mastodon_statuses();
    let m = by_id(&page, "mastodon:113500000000000203");
    assert_eq!(m.kind, MentionKind::Reshare);
    assert_eq!(
        m.reshare_of.as_ref().map(|r| r.as_str()),
        Some("mastodon:113500000000000100")
    );
    assert_eq!(m.text, "");
    assert_eq!(m.author.handle.as_deref(), Some("jonas@chaos.social"));
    assert_eq!(m.author.followers, 7420);
    // A boost has no url of its own: its uri is the link.
    assert_eq!(
        m.url.as_deref(),
        Some("https://chaos.social/users/jonas/statuses/113500000000000203")
    );
}

#[test]
fn mastodon_direct_status_is_a_dm() {
    let page = mastodon_statuses();
    let m = by_id(&page, "mastodon:113500000000000204");
    assert_eq!(m.kind, MentionKind::Dm);
    assert_eq!(m.lang.as_deref(), Some("pl"));
    assert!(m.text.contains("zamówienie nr 48213 nadal nie dotarło"));
}

#[test]
fn mastodon_content_warning_leads_and_paragraphs_and_breaks_are_kept() {
    let page = mastodon_statuses();
    let m = by_id(&page, "mastodon:113500000000000205");
    assert_eq!(m.kind, MentionKind::Post);
    assert_eq!(
        m.text,
        "Akku-Ärger\n\nZweimal in einer Woche ist der Akku meines Velora-Rads auf der \
         Autobahnbrücke ausgegangen.\nDas ist kein Einzelfall, schaut euch die Foren an.\n\n\
         Ich fahre ab jetzt wieder mit dem Zug."
    );
}

#[test]
fn mastodon_quote_post_is_a_quote_of_the_quoted_status() {
    let page = mastodon_statuses();
    let m = by_id(&page, "mastodon:113500000000000206");
    assert_eq!(m.kind, MentionKind::Quote);
    assert_eq!(
        m.reshare_of.as_ref().map(|r| r.as_str()),
        Some("mastodon:113500000000000100")
    );
    assert_eq!(m.lang, None, "language null stays unknown");
    assert!(m.text.contains("\"better range in cold weather\""));
    assert!(m.text.contains("> 30% early"));
}

#[test]
fn mastodon_without_the_brand_account_a_naming_status_is_a_post() {
    let page = mastodon::statuses(&fixture("mastodon/statuses.json"), &channel(), None)
        .expect("statuses parse");
    assert_eq!(
        by_id(&page, "mastodon:113500000000000201").kind,
        MentionKind::Post
    );
    // Other kinds do not depend on it.
    assert_eq!(
        by_id(&page, "mastodon:113500000000000202").kind,
        MentionKind::Reply
    );
}

#[test]
fn malformed_item_in_a_page_is_skipped_and_named() {
    let page = mastodon::statuses(
        &fixture("mastodon/statuses_malformed.json"),
        &channel(),
        Some(BRAND_MASTODON),
    )
    .expect("the page as a whole parses");
    assert_eq!(ids(&page), ["mastodon:113500000000000205"]);
    assert_eq!(page.skipped.len(), 3);
    assert_eq!(
        page.skipped[0].native_id.as_deref(),
        Some("113500000000000301")
    );
    assert_eq!(page.skipped[0].reason, "missing field `account`");
    assert_eq!(
        page.skipped[1].native_id.as_deref(),
        Some("113500000000000302")
    );
    assert!(
        page.skipped[1]
            .reason
            .starts_with("field `created_at`: \"yesterday\""),
        "{}",
        page.skipped[1].reason
    );
    assert_eq!(page.skipped[2].native_id, None);
    assert!(page.skipped[2].reason.contains("found a number"));
}

#[test]
fn mastodon_notifications_keep_only_the_mentions() {
    // Even without the brand's account id: a mention notification is a mention.
    let page = mastodon::notifications(&fixture("mastodon/notifications.json"), &channel(), None)
        .expect("notifications parse");
    assert_wire_clean(&page);
    assert_eq!(
        ids(&page),
        ["mastodon:113500000000000401", "mastodon:113500000000000402"]
    );
    assert!(
        page.skipped.is_empty(),
        "favourites, follows and reblogs are not faults"
    );
    assert_eq!(page.mentions[0].kind, MentionKind::Mention);
    assert_eq!(page.mentions[0].lang.as_deref(), Some("de"));
    assert_eq!(page.mentions[1].kind, MentionKind::Reply);
    assert_eq!(
        page.mentions[1].in_reply_to.as_ref().map(|p| p.as_str()),
        Some("mastodon:113500000000000150")
    );
}

#[test]
fn mastodon_notification_without_its_status_is_skipped_naming_it() {
    let body = br#"[{"id":"1","type":"mention","created_at":"2026-05-23T11:00:00.000Z","account":{"id":"5","acct":"x"}}]"#;
    let page = mastodon::notifications(body, &channel(), None).expect("parses");
    assert!(page.mentions.is_empty());
    assert_eq!(page.skipped[0].reason, "missing field `status`");
    let body = br#"[{"id":"1","type":"mention","status":{"id":"9","created_at":"2026-05-23T11:00:00Z","account":{}}}]"#;
    let page = mastodon::notifications(body, &channel(), None).expect("parses");
    assert_eq!(page.skipped[0].native_id.as_deref(), Some("9"));
    assert_eq!(page.skipped[0].reason, "missing field `status.account.id`");
}

#[test]
fn mastodon_search_gives_its_statuses() {
    let body = fixture("mastodon/search.json");
    let page = mastodon::search(&body, &channel(), Some(BRAND_MASTODON)).expect("search parses");
    assert_wire_clean(&page);
    assert_eq!(
        ids(&page),
        ["mastodon:113500000000000501", "mastodon:113500000000000201"]
    );
    // The full URL comes back from Mastodon's shortened link markup.
    assert!(page.mentions[0]
        .text
        .ends_with("battery range. https://ebike-news.example/velora-e3-firmware"));
    let raw: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert!(mastodon::author_is_bot(&raw["statuses"][0]));
    assert!(!mastodon::author_is_bot(&raw["statuses"][1]));
}

#[test]
fn mastodon_context_lists_ancestors_then_descendants() {
    let page = mastodon::context(
        &fixture("mastodon/context.json"),
        &channel(),
        Some(BRAND_MASTODON),
    )
    .expect("context parses");
    assert_wire_clean(&page);
    assert_eq!(
        ids(&page),
        [
            "mastodon:113500000000000100",
            "mastodon:113500000000000202",
            "mastodon:113500000000000601"
        ]
    );
    let kinds: Vec<MentionKind> = page.mentions.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [MentionKind::Post, MentionKind::Reply, MentionKind::Reply]
    );
    assert_eq!(page.mentions[0].author.followers, 48210);
    assert!(page.mentions[2]
        .text
        .contains("l'app dice \"nessun aggiornamento disponibile\""));
}

#[test]
fn mastodon_link_header_gives_the_next_and_previous_pages() {
    let h = "<https://mastodon.social/api/v1/notifications?max_id=90001>; rel=\"next\", \
             <https://mastodon.social/api/v1/notifications?min_id=90005>; rel=\"prev\"";
    assert_eq!(
        mastodon::next_link(h).as_deref(),
        Some("https://mastodon.social/api/v1/notifications?max_id=90001")
    );
    assert_eq!(
        mastodon::prev_link(h).as_deref(),
        Some("https://mastodon.social/api/v1/notifications?min_id=90005")
    );
    // The last page has only a prev link.
    let last = "<https://mastodon.social/api/v1/notifications?min_id=3>; rel=\"prev\"";
    assert_eq!(mastodon::next_link(last), None);
    assert_eq!(mastodon::next_link("garbage, <>; rel=next"), None);
}

#[test]
fn mastodon_error_bodies_and_wrong_shapes_are_errors() {
    let err = mastodon::statuses(
        br#"{"error":"The access token is invalid"}"#,
        &channel(),
        None,
    )
    .expect_err("an error body");
    assert!(matches!(err, ParseError::Api(ref e) if e == "The access token is invalid"));
    let err = mastodon::statuses(b"<html>502</html>", &channel(), None).expect_err("not JSON");
    assert!(matches!(err, ParseError::Json { .. }), "{err}");
    let err = mastodon::context(br#"{"ancestors":[]}"#, &channel(), None).expect_err("shape");
    assert_eq!(err.to_string(), "missing field `descendants`");
    let err = mastodon::search(br#"{"statuses":{}}"#, &channel(), None).expect_err("shape");
    assert_eq!(
        err.to_string(),
        "field `statuses`: expected an array, found an object"
    );
}

#[test]
fn mastodon_posted_status_gives_its_id() {
    assert_eq!(
        mastodon::posted_id(&fixture("mastodon/posted_status.json")).expect("posted"),
        "113500000000000700"
    );
    let err = mastodon::posted_id(br#"{"error":"Validation failed: Text can't be blank"}"#)
        .expect_err("error body");
    assert!(err.to_string().contains("Text can't be blank"));
    assert!(mastodon::posted_id(b"{}").is_err());
}

fn stream_events(chunks: &[&[u8]]) -> (Vec<SseEvent>, SseParser) {
    let mut p = SseParser::default();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    (out, p)
}

#[test]
fn sse_stream_fixture_gives_each_event_and_stream_event_maps_them() {
    let body = fixture("mastodon/stream.txt");
    let (events, _) = stream_events(&[&body]);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "update",
            "notification",
            "notification",
            "delete",
            "status.update",
            "filters_changed"
        ]
    );
    let mapped: Vec<Option<Mention>> = events
        .iter()
        .map(|e| {
            mastodon::stream_event(&e.event, &e.data, &channel(), Some(BRAND_MASTODON))
                .expect("each event parses")
        })
        .collect();
    let update = mapped[0].as_ref().expect("an update is a status");
    assert_eq!(update.id.as_str(), "mastodon:113500000000000201");
    assert_eq!(update.kind, MentionKind::Mention);
    let mention = mapped[1].as_ref().expect("a mention notification");
    assert_eq!(mention.id.as_str(), "mastodon:113500000000000402");
    assert!(mapped[2].is_none(), "a favourite is no mention");
    assert!(mapped[3].is_none(), "a delete is no mention");
    assert_eq!(events[3].data, "113500000000000205");
    let edited = mapped[4].as_ref().expect("an edit is the status again");
    assert!(edited.text.contains("aggiornato: anche oggi"));
    assert!(mapped[5].is_none());
    // A payload that is not the expected JSON is an error, not a silent None.
    assert!(mastodon::stream_event("update", "{", &channel(), None).is_err());
}

#[test]
fn sse_parser_handles_an_event_split_across_chunks() {
    let stream = "event: update\ndata: {\"text\":\"Łódź – żółć\"}\n\n:thump\nevent: delete\r\ndata: 42\r\n\r\n";
    let (whole, _) = stream_events(&[stream.as_bytes()]);
    assert_eq!(whole.len(), 2);
    assert_eq!(whole[0].data, "{\"text\":\"Łódź – żółć\"}");
    assert_eq!(whole[1].event, "delete");
    // Split at every byte, including inside multi-byte characters and CRLF.
    let bytes = stream.as_bytes();
    for cut in 0..=bytes.len() {
        let (events, _) = stream_events(&[&bytes[..cut], &bytes[cut..]]);
        assert_eq!(events, whole, "split at byte {cut}");
    }
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(stream_events(&singles).0, whole, "one byte at a time");
}

#[test]
fn sse_parser_joins_data_lines_and_accepts_every_line_end() {
    let (events, p) = stream_events(&[
        b"\xEF\xBB\xBFid: 7\rretry: 3000\rdata: first\rdata:second\r\rdata: third\n\n",
    ]);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event, "message");
    assert_eq!(events[0].data, "first\nsecond");
    assert_eq!(events[0].id.as_deref(), Some("7"));
    // The id persists until the server sends another.
    assert_eq!(events[1].id.as_deref(), Some("7"));
    assert_eq!(p.retry_ms(), Some(3000));
    // Heartbeats and an event with no data dispatch nothing.
    let (events, _) = stream_events(&[b":thump\n:thump\n\nevent: update\n\n"]);
    assert!(events.is_empty());
}

#[test]
fn sse_parser_drops_an_event_over_the_limit_and_goes_on() {
    let mut p = SseParser::default();
    let big = vec![b'x'; 64 * 1024];
    assert!(p.push(b"event: update\ndata: ").is_empty());
    for _ in 0..40 {
        assert!(p.push(&big).is_empty()); // 2.5 MiB in one line
    }
    let events = p.push(b"\n\nevent: delete\ndata: 1\n\n");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].event.as_str(), events[0].data.as_str()),
        ("delete", "1")
    );
    assert_eq!(p.dropped(), 1);
}

#[test]
fn sse_heartbeats_over_hours_never_fill_the_buffer() {
    let mut p = SseParser::default();
    // 200,000 heartbeats (1.4 MB, more than a month of them) between two events.
    let beats = ":thump\n".repeat(10_000);
    for _ in 0..20 {
        assert!(p.push(beats.as_bytes()).is_empty());
    }
    let events = p.push(b"event: delete\ndata: 1\n\n");
    assert_eq!(events.len(), 1);
    assert_eq!(p.dropped(), 0);
}

// ---------------------------------------------------------------------------------------
// Bluesky

fn watch() -> Watch {
    Watch {
        dids: vec![BRAND_DID.into()],
        handles: vec!["@velora.bsky.social".into()],
        keywords: vec!["Velora".into()],
    }
}

fn jetstream_fixture(w: &Watch) -> Vec<bluesky::JetstreamEvent> {
    let body = fixture("bluesky/jetstream.jsonl");
    body.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| bluesky::jetstream(l, &channel(), w).expect("each event parses"))
        .collect()
}

#[test]
fn jetstream_events_that_concern_the_brand_become_mentions() {
    let events = jetstream_fixture(&watch());
    assert_eq!(events.len(), 12);
    let page = Page {
        mentions: events.iter().filter_map(|e| e.mention.clone()).collect(),
        ..Page::default()
    };
    assert_wire_clean(&page);
    let kinds: Vec<Option<MentionKind>> = events
        .iter()
        .map(|e| e.mention.as_ref().map(|m| m.kind))
        .collect();
    use MentionKind::*;
    assert_eq!(
        kinds,
        [
            Some(Post),    // the brand's own post
            Some(Reply),   // a reply to it
            Some(Mention), // a mention facet of the brand
            Some(Mention), // the brand's handle in the text
            Some(Mention), // the keyword
            Some(Reshare), // a repost of the brand's post
            None,          // unrelated
            None,          // a like
            Some(Quote),   // a quote of the brand's post
            None,          // a delete
            None,          // identity
            None,          // account
        ]
    );
    let own = events[0].mention.as_ref().expect("own post");
    assert_eq!(own.id.as_str(), format!("bluesky:{BRAND_POST}"));
    assert_eq!(own.author.id.as_str(), format!("bluesky:{BRAND_DID}"));
    assert_eq!(own.author.handle, None);
    assert_eq!(own.created_at, at("2026-05-23T08:00:00Z"));
    assert_eq!(
        own.url.as_deref(),
        Some("https://bsky.app/profile/did:plc:velorazq7xk2m4npw3ty5hsb/post/3lqbrandpost22")
    );
    let reply = events[1].mention.as_ref().expect("reply");
    assert_eq!(
        reply.in_reply_to.as_ref().map(|p| p.as_str().to_owned()),
        Some(format!("bluesky:{BRAND_POST}"))
    );
    assert_eq!(reply.lang.as_deref(), Some("es"));
    let repost = events[5].mention.as_ref().expect("repost");
    assert_eq!(
        repost.reshare_of.as_ref().map(|p| p.as_str().to_owned()),
        Some(format!("bluesky:{BRAND_POST}"))
    );
    assert_eq!(repost.text, "");
    assert!(repost.id.as_str().contains("/app.bsky.feed.repost/"));
    assert_eq!(
        events[2].mention.as_ref().map(|m| m.lang.clone()),
        Some(Some("it".into()))
    );
    // Every event, mention or not, gives its cursor.
    assert_eq!(events[6].time_us, 1779528600000007);
    assert_eq!(events[11].time_us, 1779530100000012);
}

#[test]
fn jetstream_post_unrelated_to_the_brand_is_only_a_cursor() {
    let line = fixture("bluesky/jetstream.jsonl");
    let unrelated = line.split(|&b| b == b'\n').nth(6).expect("seventh line");
    // "veloradio" contains the keyword but not as a word.
    let e = bluesky::jetstream(unrelated, &channel(), &watch()).expect("parses");
    assert_eq!((e.time_us, e.mention), (1779528600000007, None));
}

#[test]
fn jetstream_watch_decides_what_is_a_mention() {
    // Watching nothing: only nothing concerns the brand.
    let events = jetstream_fixture(&Watch::default());
    assert!(events.iter().all(|e| e.mention.is_none()));
    // Watching only the DID: handles and keywords in text no longer count, facets do.
    let did_only = Watch {
        dids: vec![BRAND_DID.into()],
        ..Watch::default()
    };
    let events = jetstream_fixture(&did_only);
    let mentions: Vec<bool> = events.iter().map(|e| e.mention.is_some()).collect();
    assert_eq!(
        mentions,
        [true, true, true, false, false, true, false, false, true, false, false, false]
    );
}

#[test]
fn jetstream_malformed_events_are_errors_naming_the_field() {
    let w = watch();
    assert!(matches!(
        bluesky::jetstream(b"{not json", &channel(), &w),
        Err(ParseError::Json { .. })
    ));
    let err = bluesky::jetstream(br#"{"did":"did:plc:x","kind":"commit"}"#, &channel(), &w)
        .expect_err("no time_us");
    assert_eq!(err.to_string(), "missing field `time_us`");
    let err = bluesky::jetstream(
        br#"{"did":"not-a-did","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3abc","record":{"text":"velora","createdAt":"2026-05-23T08:00:00Z"}}}"#,
        &channel(),
        &w,
    )
    .expect_err("bad did");
    assert!(err.to_string().starts_with("field `did`"), "{err}");
    let err = bluesky::jetstream(
        br#"{"did":"did:plc:abc","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"3abc","record":{"text":"hi","reply":{"parent":{"uri":"https://bsky.app/x"},"root":{"uri":"at://did:plc:abc/app.bsky.feed.post/1"}}}}}"#,
        &channel(),
        &w,
    )
    .expect_err("bad parent uri");
    assert!(
        err.to_string()
            .starts_with("field `commit.record.reply.parent.uri`"),
        "{err}"
    );
}

#[test]
fn jetstream_post_with_unreadable_created_at_uses_the_event_time() {
    let line = br#"{"did":"did:plc:abc","time_us":1779526800000000,"kind":"commit","commit":{"rev":"x","operation":"create","collection":"app.bsky.feed.post","rkey":"3abc","record":{"$type":"app.bsky.feed.post","text":"Velora!","createdAt":"yesterday","langs":["en-US"]}}}"#;
    let e = bluesky::jetstream(line, &channel(), &watch()).expect("parses");
    let m = e.mention.expect("keyword");
    assert_eq!(
        m.created_at,
        Utc.with_ymd_and_hms(2026, 5, 23, 9, 0, 0).unwrap()
    );
    assert_eq!(m.lang.as_deref(), Some("en"));
}

#[test]
fn bluesky_search_posts_gives_mentions_and_the_next_cursor() {
    let page = bluesky::search_posts(&fixture("bluesky/search_posts.json"), &channel())
        .expect("search parses");
    assert_wire_clean(&page);
    assert_eq!(page.next.as_deref(), Some("25"));
    assert_eq!(page.mentions.len(), 3);
    let m = &page.mentions[0];
    assert_eq!(
        m.id.as_str(),
        "bluesky:at://did:plc:m4rt4r0ss1q7kxw2ezlcn5bd/app.bsky.feed.post/3lqmartament1"
    );
    assert_eq!(m.kind, MentionKind::Mention);
    assert_eq!(m.author.handle.as_deref(), Some("martarossi.bsky.social"));
    assert_eq!(m.lang.as_deref(), Some("it"));
    assert_eq!(page.mentions[1].lang.as_deref(), Some("pl"));
    assert_eq!(page.mentions[2].kind, MentionKind::Reply);
    let last = bluesky::search_posts(&fixture("bluesky/search_posts_last.json"), &channel())
        .expect("last page");
    assert_eq!(last.next, None, "no cursor: the last page");
}

#[test]
fn bluesky_thread_is_walked_from_its_root_passing_over_missing_posts() {
    let page = bluesky::thread(&fixture("bluesky/thread.json"), &channel()).expect("thread");
    assert_wire_clean(&page);
    let rkeys: Vec<&str> = page
        .mentions
        .iter()
        .map(|m| m.id.as_str().rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(
        rkeys,
        [
            "3lqbrandpost22",
            "3lqjavireply1",
            "3lqmartarepl2",
            "3lqbrandrepl3"
        ]
    );
    assert!(
        page.skipped.is_empty(),
        "not-found and blocked posts are not faults"
    );
    let brand = &page.mentions[0];
    assert_eq!(brand.kind, MentionKind::Post);
    assert!(brand.author.verified);
    assert_eq!(brand.author.handle.as_deref(), Some("velora.bsky.social"));
    assert!(page.mentions[1..]
        .iter()
        .all(|m| m.kind == MentionKind::Reply && m.in_reply_to.is_some()));
}

#[test]
fn bluesky_created_record_and_session() {
    assert_eq!(
        bluesky::created_record(&fixture("bluesky/create_record.json")).expect("uri"),
        "at://did:plc:velorazq7xk2m4npw3ty5hsb/app.bsky.feed.post/3lqbrandrepl9"
    );
    let (jwt, did) = bluesky::session(&fixture("bluesky/session.json")).expect("session");
    assert!(jwt.starts_with("eyJ0eXAiOiJhdCtqd3Qi"));
    assert_eq!(did, BRAND_DID);
    let err = bluesky::session(&fixture("bluesky/session_error.json")).expect_err("error");
    assert_eq!(
        err.to_string(),
        "the platform answered with an error: AuthenticationRequired: Invalid identifier or password"
    );
}

#[test]
fn bluesky_profiles_give_followers_and_verification() {
    let body = br#"{"profiles": [
        {"did": "did:plc:star0000000000000000000", "handle": "star.bsky.social",
         "followersCount": 812345, "verification": {"verifiedStatus": "valid"}},
        {"did": "did:plc:someone0000000000000000", "handle": "someone.bsky.social"},
        {"handle": "no-did.bsky.social", "followersCount": 5}
    ]}"#;
    let reach = bluesky::profiles(body).expect("profiles");
    assert_eq!(reach.len(), 2, "a profile without a DID is passed over");
    assert_eq!((reach[0].followers, reach[0].verified), (812_345, true));
    assert_eq!((reach[1].followers, reach[1].verified), (0, false));
    assert!(
        bluesky::profiles(b"{\"error\": \"RateLimitExceeded\", \"message\": \"slow down\"}")
            .is_err()
    );
    assert!(bluesky::profiles(b"[1, 2]").is_err());
}

// ---------------------------------------------------------------------------------------
// Reddit

#[test]
fn reddit_search_listing_gives_links_and_the_after_cursor() {
    let page = reddit::listing(&fixture("reddit/search.json"), &channel()).expect("listing");
    assert_wire_clean(&page);
    assert_eq!(page.next.as_deref(), Some("t3_1kx8x7c"));
    assert_eq!(
        ids(&page),
        [
            "reddit:t3_1kx9a2b",
            "reddit:t3_1kx8zzq",
            "reddit:t3_1kx8y01",
            "reddit:t3_1kx8x7c"
        ]
    );
    let m = &page.mentions[0];
    assert_eq!(m.kind, MentionKind::Post);
    assert_eq!(
        m.text,
        "Velora E3: batteria che si spegne in salita?\n\nDa quando ho aggiornato l'app, la mia \
         Velora E3 si spegne sotto sforzo con il 40% di batteria. Qualcun altro?"
    );
    assert_eq!(m.author.id.as_str(), "reddit:t2_8xk2m4n");
    assert_eq!(m.author.handle.as_deref(), Some("u/marta_rossi"));
    assert_eq!(m.created_at, at("2026-05-23T09:03:20Z"));
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.reddit.com/r/ebikes/comments/1kx9a2b/velora_e3:_batteria_che_si_spegne/")
    );
    // A link post without selftext is its title.
    assert_eq!(
        page.mentions[1].text,
        "¿Alguien ha recibido el firmware 2.4 de Velora en España?"
    );
    // A deleted author has no fullname.
    assert_eq!(page.mentions[2].author.id.as_str(), "reddit:[deleted]");
    // Fractions of a second are kept.
    assert_eq!(page.mentions[3].created_at, at("2026-05-23T07:40:00.500Z"));
    let last = reddit::listing(&fixture("reddit/search_last.json"), &channel()).expect("last");
    assert_eq!(last.next, None);
}

#[test]
fn reddit_comment_tree_is_walked_depth_first_as_replies() {
    let page = reddit::listing(&fixture("reddit/comments.json"), &channel()).expect("comments");
    assert_wire_clean(&page);
    assert_eq!(
        ids(&page),
        [
            "reddit:t3_1kx9a2b",
            "reddit:t1_mq3c001",
            "reddit:t1_mq3c002",
            "reddit:t1_mq3c003",
            "reddit:t1_mq3c004"
        ]
    );
    assert!(page.skipped.is_empty(), "`more` stubs are not faults");
    let parents: Vec<Option<&str>> = page
        .mentions
        .iter()
        .map(|m| m.in_reply_to.as_ref().map(|p| p.as_str()))
        .collect();
    assert_eq!(
        parents,
        [
            None,
            Some("reddit:t3_1kx9a2b"),
            Some("reddit:t1_mq3c001"),
            Some("reddit:t1_mq3c002"),
            Some("reddit:t3_1kx9a2b")
        ]
    );
    assert!(page.mentions[1..]
        .iter()
        .all(|m| m.kind == MentionKind::Reply));
    assert_eq!(
        page.mentions[2].url.as_deref(),
        Some("https://www.reddit.com/r/ebikes/comments/1kx9a2b/comment/mq3c002/")
    );
    assert_eq!(page.mentions[4].text, "[removed]");
}

#[test]
fn reddit_thing_without_a_time_is_skipped_and_named() {
    let body = br#"{"kind":"Listing","data":{"after":null,"children":[
        {"kind":"t3","data":{"name":"t3_a","title":"Velora","author":"x","created_utc":1779527000}},
        {"kind":"t3","data":{"name":"t3_b","title":"Velora?","author":"y"}},
        {"kind":"t5","data":{"name":"t5_c"}}]}}"#;
    let page = reddit::listing(body, &channel()).expect("listing");
    assert_eq!(ids(&page), ["reddit:t3_a"]);
    assert_eq!(page.skipped[0].native_id.as_deref(), Some("t3_b"));
    assert_eq!(page.skipped[0].reason, "missing field `data.created_utc`");
    assert!(page.skipped[1].reason.contains("\"t5\""));
    let err = reddit::listing(br#"{"kind":"t3"}"#, &channel()).expect_err("not a listing");
    assert!(err.to_string().contains("expected \"Listing\""), "{err}");
    let err = reddit::listing(br#"{"message":"Forbidden","error":403}"#, &channel())
        .expect_err("error body");
    assert_eq!(
        err.to_string(),
        "the platform answered with an error: 403 (Forbidden)"
    );
}

#[test]
fn reddit_token_and_posted_comment() {
    let (token, expires) = reddit::token(&fixture("reddit/token.json")).expect("token");
    assert!(token.starts_with("eyJhbGciOiJSUzI1NiIs"));
    assert_eq!(expires, 86400);
    let err = reddit::token(&fixture("reddit/token_error.json")).expect_err("error");
    assert!(
        matches!(err, ParseError::Api(ref e) if e == "invalid_grant"),
        "{err}"
    );
    assert_eq!(
        reddit::posted_id(&fixture("reddit/comment_posted.json")).expect("posted"),
        "t1_mq3c0zz"
    );
    let err = reddit::posted_id(&fixture("reddit/comment_ratelimited.json")).expect_err("limited");
    assert!(
        err.to_string()
            .contains("RATELIMIT: Looks like you've been doing that a lot"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// RSS and Atom

fn fetched_at() -> DateTime<Utc> {
    at("2026-05-23T12:00:00Z")
}

#[test]
fn rss_items_become_mentions_of_the_given_kind() {
    let page = feed::feed(
        &fixture("feed/rss2.xml"),
        &channel(),
        MentionKind::Review,
        fetched_at(),
    )
    .expect("rss parses");
    assert_wire_clean(&page);
    assert_eq!(page.mentions.len(), 3);
    assert!(page.mentions.iter().all(|m| m.kind == MentionKind::Review));
    let m = &page.mentions[0];
    assert_eq!(m.id.as_str(), "rss:https://recensioni.example.it/?p=48213");
    assert_eq!(m.author.id.as_str(), "rss:Marta Rossi");
    assert_eq!(m.author.handle.as_deref(), Some("Marta Rossi"));
    assert_eq!(
        m.text,
        "Velora E3: batteria inaffidabile in salita\n\nDue stelle. La bici è bella, ma la \
         batteria si spegne in salita al 40% di carica.\n\nL’assistenza mi ha risposto dopo \
         dieci giorni."
    );
    assert_eq!(m.created_at, at("2026-05-23T07:30:00Z"));
    assert_eq!(m.lang.as_deref(), Some("it"));
    assert_eq!(
        m.url.as_deref(),
        Some("https://recensioni.example.it/recensione/velora-e3-batteria-48213")
    );
    assert!(page.mentions[1]
        .text
        .ends_with("La bici es genial & ligera. El envío a Valencia tardó tres semanas."));
    // No guid: the link is the id; no author: the feed's host; no date: when it was fetched.
    let m = &page.mentions[2];
    assert_eq!(
        m.id.as_str(),
        "rss:https://recensioni.example.it/recensione/velora-e3-firmware-48215"
    );
    assert_eq!(m.author.id.as_str(), "rss:recensioni.example.it");
    assert_eq!(m.created_at, fetched_at());
    // Neither guid nor link: skipped, with the reason.
    assert_eq!(page.skipped.len(), 1);
    assert!(page.skipped[0].reason.contains("missing field `id"));
}

#[test]
fn atom_entries_use_published_then_updated_and_the_feed_author() {
    let page = feed::feed(
        &fixture("feed/atom.xml"),
        &channel(),
        MentionKind::Post,
        fetched_at(),
    )
    .expect("atom parses");
    assert_wire_clean(&page);
    assert_eq!(page.mentions.len(), 2);
    let m = &page.mentions[0];
    assert_eq!(
        m.id.as_str(),
        "rss:tag:radforum.example.de,2026-05-23:/t/8812"
    );
    assert_eq!(m.author.id.as_str(), "rss:jonas_b");
    assert_eq!(m.created_at, at("2026-05-23T08:02:55Z"));
    assert_eq!(
        m.text,
        "Velora-Akku zweimal ausgefallen\n\nZweimal in einer Woche ist der Akku auf der Brücke \
         ausgegangen.\nKein Einzelfall!"
    );
    assert_eq!(m.lang.as_deref(), Some("de"));
    let m = &page.mentions[1];
    assert_eq!(m.author.id.as_str(), "rss:Radforum Redaktion");
    assert_eq!(m.created_at, at("2026-05-23T09:45:19Z"));
    // The content's own xml:lang wins over the feed's.
    assert_eq!(m.lang.as_deref(), Some("pl"));
    assert!(m
        .text
        .starts_with("Velora: zwrot pieniędzy po trzech tygodniach?\n\nZamówiłam"));
}

#[test]
fn a_document_that_is_no_feed_is_an_error() {
    for body in [
        &b"<html><body>Not found</body></html>"[..],
        b"",
        b"\xff\xfe",
    ] {
        let err =
            feed::feed(body, &channel(), MentionKind::Post, fetched_at()).expect_err("no feed");
        assert!(matches!(err, ParseError::Xml(_)), "{err}");
    }
}

// ---------------------------------------------------------------------------------------
// Webhooks

fn mapping(name: &str) -> Mapping {
    let text = String::from_utf8(fixture(name)).expect("utf-8");
    let m: Mapping = toml::from_str(&text).expect("mapping deserializes");
    m.validate().expect("mapping is valid");
    m
}

#[test]
fn facebook_page_comment_webhook_maps_to_replies() {
    let page = webhook::map(
        &fixture("webhook/facebook_feed_comment.json"),
        &mapping("webhook/facebook.toml"),
        &channel(),
    )
    .expect("maps");
    assert_wire_clean(&page);
    // The reaction is passed over by `only`; the comment without `from` is skipped.
    assert_eq!(
        ids(&page),
        [
            "facebook:987654321098765_1122334455667788",
            "facebook:987654321098765_1122334455667799"
        ]
    );
    let m = &page.mentions[0];
    assert_eq!(m.platform.as_str(), "facebook");
    assert_eq!(m.kind, MentionKind::Reply);
    assert_eq!(
        m.in_reply_to.as_ref().map(|p| p.as_str()),
        Some("facebook:104567891234567_987654321098765")
    );
    assert_eq!(m.author.id.as_str(), "facebook:7312345678901234");
    assert_eq!(m.author.handle.as_deref(), Some("Giulia Bianchi"));
    assert_eq!(m.created_at, at("2026-05-23T09:59:58Z"));
    assert!(m.text.starts_with("Terza batteria in due mesi"));
    assert_eq!(
        m.url.as_deref(),
        Some("https://www.facebook.com/velora/posts/pfbid02Xk9aQ7")
    );
    assert_eq!(
        page.mentions[1].in_reply_to.as_ref().map(|p| p.as_str()),
        Some("facebook:987654321098765_1122334455667788")
    );
    assert_eq!(page.skipped.len(), 1);
    assert_eq!(
        page.skipped[0].native_id.as_deref(),
        Some("987654321098765_1122334455667800")
    );
    assert_eq!(
        page.skipped[0].reason,
        "missing field `author_id at /value/from/id`"
    );
}

#[test]
fn instagram_comment_webhook_takes_the_time_from_its_entry() {
    let page = webhook::map(
        &fixture("webhook/instagram_comments.json"),
        &mapping("webhook/instagram.toml"),
        &channel(),
    )
    .expect("maps");
    assert_wire_clean(&page);
    assert_eq!(
        ids(&page),
        ["instagram:17987654321098765", "instagram:17987654321098766"]
    );
    assert_eq!(page.mentions[0].created_at, at("2026-05-23T10:01:40Z"));
    assert_eq!(page.mentions[1].created_at, at("2026-05-23T10:02:40Z"));
    // A top-level comment answers the media; a reply its parent comment.
    let parents: Vec<&str> = page
        .mentions
        .iter()
        .filter_map(|m| m.in_reply_to.as_ref().map(|p| p.as_str()))
        .collect();
    assert_eq!(
        parents,
        ["instagram:18034567890123456", "instagram:17987654321098765"]
    );
    assert_eq!(
        page.mentions[0].author.handle.as_deref(),
        Some("kasia.rowerowa")
    );
    assert!(page.mentions.iter().all(|m| m.kind == MentionKind::Reply));
}

fn flat_mapping(extra: &str) -> Mapping {
    let text = format!(
        "[fields]\nplatform = {{ value = \"trustpilot\" }}\nid = \"/id\"\ncreated_at = \"/t\"\nauthor_id = \"/user\"\n{extra}"
    );
    toml::from_str(&text).expect("mapping")
}

#[test]
fn webhook_timestamps_in_every_documented_form() {
    let m = flat_mapping("text = \"/text\"\nkind = { pointer = \"/k\", default = \"review\" }");
    let expect = at("2026-05-23T10:00:00Z");
    for t in [
        r#""2026-05-23T10:00:00Z""#,
        r#""2026-05-23T12:00:00+02:00""#,
        r#""2026-05-23T10:00:00+0000""#,
        "1779530400",
        "1779530400.0",
        r#""1779530400""#,
        "1779530400000",
    ] {
        let body = format!(r#"{{"id": 5, "t": {t}, "user": "u1", "text": "Ottimo"}}"#);
        let page = webhook::map(body.as_bytes(), &m, &channel()).expect("maps");
        assert_eq!(page.mentions.len(), 1, "{t}: {:?}", page.skipped);
        assert_eq!(page.mentions[0].created_at, expect, "{t}");
        assert_eq!(page.mentions[0].kind, MentionKind::Review, "default kind");
        assert_eq!(page.mentions[0].id.as_str(), "trustpilot:5");
    }
    let page = webhook::map(br#"{"id":"5","t":"soon","user":"u"}"#, &m, &channel()).expect("maps");
    assert!(page.skipped[0]
        .reason
        .starts_with("field `created_at at /t`"));
}

#[test]
fn webhook_mapping_is_checked_before_use() {
    let bad_pointer = flat_mapping("text = \"text\"");
    let err = bad_pointer.validate().expect_err("pointer without /");
    assert!(err.to_string().contains("fields.text"), "{err}");
    let bad_escape = flat_mapping("text = \"/a~2b\"");
    assert!(bad_escape.validate().is_err());
    let missing: Mapping =
        toml::from_str("[fields]\nplatform = { value = \"x\" }\nid = \"/id\"\ncreated_at = \"/t\"")
            .expect("deserializes");
    let err = missing.validate().expect_err("author_id missing");
    assert!(
        err.to_string().contains("fields.author_id is required"),
        "{err}"
    );
    // map() refuses an invalid mapping too.
    assert!(webhook::map(b"{}", &missing, &channel()).is_err());
    let bad_platform = toml::from_str::<Mapping>(
        "[fields]\nplatform = { value = \"my platform!\" }\nid = \"/id\"\ncreated_at = \"/t\"\nauthor_id = \"/u\"",
    )
    .expect("deserializes");
    assert!(bad_platform.validate().is_err());
    // Typos are refused when the mapping is read.
    let typo = toml::from_str::<Mapping>("[fields]\nplatfrom = { value = \"x\" }");
    assert!(typo.is_err());
    let both = toml::from_str::<Mapping>("[fields]\nid = { pointer = \"/a\", value = \"b\" }");
    assert!(both.is_err());
}

#[test]
fn webhook_body_that_is_not_json_or_lacks_its_items_is_an_error() {
    let m = mapping("webhook/facebook.toml");
    assert!(matches!(
        webhook::map(b"entry=1", &m, &channel()),
        Err(ParseError::Json { .. })
    ));
    let err = webhook::map(br#"{"object":"page"}"#, &m, &channel()).expect_err("no entry");
    assert_eq!(err.to_string(), "missing field `items /entry`");
    // An entry without changes is skipped, the others still map.
    let body = fixture("webhook/facebook_feed_comment.json");
    let mut v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    v["entry"][0]
        .as_object_mut()
        .expect("entry")
        .remove("changes");
    let page = webhook::map(v.to_string().as_bytes(), &m, &channel()).expect("maps");
    assert_eq!(page.mentions.len(), 1);
    assert!(page
        .skipped
        .iter()
        .any(|s| s.reason == "missing field `items /changes`"));
}

#[test]
fn webhook_signature_is_checked_in_constant_time() {
    // The example of GitHub's webhook documentation.
    let secret = b"It's a Secret to Everybody";
    let body = b"Hello, World!";
    let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    webhook::verify_signature(secret, sig, body, "sha256=").expect("valid");
    webhook::verify_signature(
        secret,
        &sig.to_uppercase().replace("SHA256=", "sha256="),
        body,
        "sha256=",
    )
    .expect("upper-case hex");
    for (header, why) in [
        (sig.replace("757107", "757108"), "does not match"),
        (
            sig.trim_start_matches("sha256=").to_owned(),
            "does not start with",
        ),
        ("sha256=xyz".to_owned(), "not hex"),
        ("sha256=abcd".to_owned(), "32"),
    ] {
        let err = webhook::verify_signature(secret, &header, body, "sha256=").expect_err(why);
        assert!(err.to_string().contains(why), "{header}: {err}");
    }
    assert!(webhook::verify_signature(b"other secret", sig, body, "sha256=").is_err());
    assert!(webhook::verify_signature(secret, sig, b"Hello, World?", "sha256=").is_err());
}

// ---------------------------------------------------------------------------------------
// Robustness: every parser on every prefix of every fixture, without panicking.

#[test]
fn truncated_payloads_never_panic() {
    let fixtures = [
        "mastodon/statuses.json",
        "mastodon/notifications.json",
        "mastodon/search.json",
        "mastodon/context.json",
        "mastodon/stream.txt",
        "bluesky/jetstream.jsonl",
        "bluesky/search_posts.json",
        "bluesky/thread.json",
        "reddit/search.json",
        "reddit/comments.json",
        "feed/rss2.xml",
        "feed/atom.xml",
        "webhook/facebook_feed_comment.json",
        "webhook/instagram_comments.json",
    ];
    let fb = mapping("webhook/facebook.toml");
    let w = watch();
    let c = channel();
    for name in fixtures {
        let body = fixture(name);
        let step = (body.len() / 97).max(1);
        for cut in (0..body.len()).step_by(step) {
            let b = &body[..cut];
            let _ = mastodon::statuses(b, &c, Some(BRAND_MASTODON));
            let _ = mastodon::notifications(b, &c, None);
            let _ = mastodon::context(b, &c, None);
            let _ = mastodon::search(b, &c, None);
            let _ = mastodon::stream_event("update", &String::from_utf8_lossy(b), &c, None);
            let _ = SseParser::default().push(b);
            let _ = bluesky::jetstream(b, &c, &w);
            let _ = bluesky::search_posts(b, &c);
            let _ = bluesky::thread(b, &c);
            let _ = reddit::listing(b, &c);
            let _ = feed::feed(b, &c, MentionKind::Post, fetched_at());
            let _ = webhook::map(b, &fb, &c);
        }
    }
}
