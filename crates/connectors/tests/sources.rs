//! The platform sources against local fake servers that speak the platforms' documented
//! APIs, with a real SQLite store and the real pipeline behind them.
//!
//! Each source is checked for the two promises a connector makes: a restart (or a kill)
//! in the middle of a stream loses nothing and stores nothing twice, and the platform's
//! limits and failures are honoured (rate-limit headers, transient and permanent errors).

mod support;

use std::time::Duration;

use firebreak_connectors::sources::{SourceConfig, Supervision};
use firebreak_store::ConnectorHealth;
use firebreak_testkit::jetstream::{identity_event, post_event, FakeJetstream};
use support::Rig;

const BRAND: &str = "did:plc:velorabrand000000000000";
const T0: i64 = 1_790_000_000_000_000;

/// `n` Jetstream events, one second apart: every `every`-th one mentions the brand
/// (alternately a keyword and a reply to the brand's post); the rest are unrelated posts
/// and identity events.
fn jetstream_events(n: usize, every: usize) -> (Vec<(i64, String)>, Vec<String>) {
    let brand_post = format!("at://{BRAND}/app.bsky.feed.post/3kbrandpost01");
    let mut events = Vec::new();
    let mut wanted = Vec::new();
    for i in 0..n {
        let t = T0 + i as i64 * 1_000_000;
        let did = format!("did:plc:user{:020}", i % 97);
        let rkey = format!("3k{i:011}");
        let line = if i % every == 0 {
            wanted.push(format!("bluesky:at://{did}/app.bsky.feed.post/{rkey}"));
            if (i / every).is_multiple_of(2) {
                post_event(
                    &did,
                    &rkey,
                    t,
                    "Il mio ordine Velora è arrivato rotto",
                    "it",
                    None,
                )
            } else {
                post_event(
                    &did,
                    &rkey,
                    t,
                    "Same here, no answer for a week",
                    "en",
                    Some(&brand_post),
                )
            }
        } else if i % 5 == 0 {
            identity_event(&did, t)
        } else {
            post_event(&did, &rkey, t, "what a lovely day at the beach", "en", None)
        };
        events.push((t, line));
    }
    (events, wanted)
}

fn bluesky_config(url: &str) -> SourceConfig {
    let toml = format!(
        r#"
platform = "bluesky"
name = "bsky-velora"
channel = "@velora.bsky.social"
jetstream = "{url}"
dids = ["{BRAND}"]
keywords = ["velora"]
fetch_threads = false
fetch_profiles = false
rewind_secs = 3
batch_ms = 20
"#
    );
    toml::from_str(&toml).expect("bluesky config")
}

async fn wait_until(f: impl Fn() -> bool) {
    for _ in 0..1000 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition never held");
}

fn fast() -> Supervision {
    Supervision {
        backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        after_permanent: Duration::from_secs(3600),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_resumes_after_dropped_connections_and_stores_each_post_once() {
    let (events, wanted) = jetstream_events(3000, 4);
    // The first three connections are cut after 400 messages each, without a close frame.
    let fake = FakeJetstream::start(vec![], 3, 400).await;
    let rig = Rig::new().await;
    let config = bluesky_config(&fake.url);
    let handle = rig.spawn(&config, fast());
    // A new connector starts live: the events arrive once it is connected.
    wait_until(|| fake.connections() == 1).await;
    for (t, line) in events {
        fake.push(t, line);
    }

    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(60))
        .await;
    rig.stop(handle).await;

    assert!(fake.connections() >= 4, "reconnected after each drop");
    let cursors = fake.cursors();
    assert_eq!(cursors[0], None, "the first connection starts live");
    assert!(
        cursors[1..].iter().all(|c| c.is_some()),
        "every reconnection resumes from a cursor: {cursors:?}"
    );
    rig.assert_exactly(&wanted);
    let states = rig.handles.connectors.connectors().expect("states");
    let me = states
        .iter()
        .find(|s| s.name == "bsky-velora")
        .expect("row");
    assert!(me.cursor.is_some());
    assert_eq!(me.health, ConnectorHealth::Stopped);
    assert!(
        me.last_error.as_deref().unwrap_or("").contains("Jetstream"),
        "the drops are recorded for the dashboard: {:?}",
        me.last_error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_killed_mid_stream_and_restarted_loses_nothing_and_doubles_nothing() {
    let (events, wanted) = jetstream_events(4000, 3);
    let (first, rest) = events.split_at(2000);
    let fake = FakeJetstream::start(vec![], 0, 0).await;
    let rig = Rig::new().await;
    let config = bluesky_config(&fake.url);

    // Run until some, not all, of the first half is committed, then kill the task.
    let handle = rig.spawn(&config, fast());
    wait_until(|| fake.connections() == 1).await;
    for (t, line) in first {
        fake.push(*t, line.clone());
    }
    rig.wait_for_count(200, Duration::from_secs(30)).await;
    handle.abort();
    let _ = handle.await;
    let at_kill = rig.count();
    assert!(at_kill < wanted.len() as u64);

    // The stream goes on while the connector is down.
    for (t, line) in rest {
        fake.push(*t, line.clone());
    }
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(60))
        .await;
    rig.stop(handle).await;

    let cursors = fake.cursors();
    assert_eq!(cursors.len(), 2);
    assert!(
        cursors[1].is_some(),
        "the restart resumes from the saved cursor"
    );
    rig.assert_exactly(&wanted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_refused_subscription_is_a_permanent_failure_on_the_dashboard() {
    let server = support::http_status_server(404).await;
    let rig = Rig::new().await;
    let config = bluesky_config(&format!("ws://{server}/subscribe"));
    let handle = rig.spawn(&config, fast());
    let state = rig
        .wait_for_health(
            "bsky-velora",
            ConnectorHealth::Failed,
            Duration::from_secs(20),
        )
        .await;
    rig.stop(handle).await;
    let error = state.last_error.unwrap_or_default();
    assert!(error.contains("404"), "{error}");
    assert!(error.contains("check the jetstream URL"), "{error}");
}

#[test]
fn a_config_that_watches_nothing_is_refused_with_the_fix() {
    let config: SourceConfig = toml::from_str(
        r#"
platform = "bluesky"
name = "b"
channel = "@x"
"#,
    )
    .expect("parses");
    let error = config.validate().expect_err("watches nothing");
    assert!(error.contains("give dids, handles or keywords"), "{error}");
    let bad: Result<SourceConfig, _> = toml::from_str(
        r#"
platform = "bluesky"
name = "b"
channel = "@x"
keywords = ["x"]
jetstrem = "wss://typo"
"#,
    );
    let error = bad.expect_err("unknown field").to_string();
    assert!(error.contains("jetstrem"), "{error}");
}

// ------------------------------------------------------------------ Mastodon

fn secret_file(dir: &std::path::Path, name: &str, value: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, format!("{value}\n")).expect("secret file");
    p.display().to_string()
}

fn mastodon_config(url: &str, token_file: &str) -> SourceConfig {
    toml::from_str(&format!(
        r#"
platform = "mastodon"
name = "masto-velora"
channel = "@velora@mastodon.social"
instance = "{url}"
token = {{ file = "{token_file}" }}
own_statuses = false
streaming = false
poll_secs = 1
"#
    ))
    .expect("mastodon config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_pages_forward_from_its_cursor_through_429_and_503_and_survives_a_kill() {
    // Request 3 is rate limited (Retry-After: 1), request 5 finds the server down.
    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults {
        rate_limited: vec![3],
        unavailable: vec![5],
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let token = secret_file(dir.path(), "token", "test-token");
    let rig = Rig::new().await;
    let config = mastodon_config(&fake.url, &token);

    // A new connector takes the newest page, then follows from there.
    let mut wanted = fake.add(5);
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(5, Duration::from_secs(20)).await;
    wanted.extend(fake.add(130));
    rig.wait_for_count(60, Duration::from_secs(30)).await;
    handle.abort();
    let _ = handle.await;
    assert!(rig.count() < wanted.len() as u64, "killed mid-way");

    wanted.extend(fake.add(37));
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(30))
        .await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);
    assert!(fake.requests() >= 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_refused_token_is_a_permanent_failure_that_names_the_fix() {
    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults::default()).await;
    fake.add(3);
    let dir = tempfile::tempdir().expect("tmp");
    let token = secret_file(dir.path(), "token", "wrong-token");
    let rig = Rig::new().await;
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "mastodon"
name = "masto-velora"
channel = "@velora@mastodon.social"
instance = "{}"
token = {{ file = "{token}" }}
account_id = "109871234567890123"
own_statuses = false
streaming = false
"#,
        fake.url
    ))
    .expect("config");
    let handle = rig.spawn(&config, fast());
    let state = rig
        .wait_for_health(
            "masto-velora",
            ConnectorHealth::Failed,
            Duration::from_secs(20),
        )
        .await;
    rig.stop(handle).await;
    let error = state.last_error.unwrap_or_default();
    assert!(error.contains("401"), "{error}");
    assert!(error.contains("credentials were refused"), "{error}");
    assert!(
        !error.contains("wrong-token"),
        "the token is never shown: {error}"
    );
    assert_eq!(rig.count(), 0);
}

// ------------------------------------------------------------------ Reddit

fn reddit_config(url: &str, secret: &str) -> SourceConfig {
    toml::from_str(&format!(
        r#"
platform = "reddit"
name = "reddit-ebikes"
channel = "r/ebikes"
client_id = "app"
client_secret = {{ file = "{secret}" }}
user_agent = "linux:firebreak-test:0.1 (by /u/velora)"
subreddits = ["ebikes"]
keywords = ["velora"]
comments = true
poll_secs = 1
overlap_secs = 5
auth_url = "{url}/api/v1/access_token"
api_url = "{url}"
"#
    ))
    .expect("reddit config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reddit_walks_back_through_pages_after_a_kill_and_stores_each_comment_once() {
    let fake = support::fakes::FakeReddit::start(support::fakes::Faults {
        rate_limited: vec![2],
        unavailable: vec![4],
    })
    .await;
    let dir = tempfile::tempdir().expect("tmp");
    let secret = secret_file(dir.path(), "secret", "s3cret-s3cret-s3cret");
    let rig = Rig::new().await;
    // The fake's search finds no posts: the comments carry the test.
    let config = reddit_config(&fake.url, &secret);
    let t0 = 1_790_000_000;
    let mut wanted = fake.add(20, t0);
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(20, Duration::from_secs(20)).await;
    handle.abort();
    let _ = handle.await;

    // 350 comments arrive while it is down: more than three pages of 100.
    wanted.extend(fake.add(350, t0 + 100));
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(30))
        .await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);
    assert!(fake.tokens_issued() >= 2, "each start signs in");
}

// ------------------------------------------------------------------ feeds

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_is_polled_with_its_etag_and_new_entries_are_stored_once() {
    let fake = support::fakes::FakeFeed::start(support::fakes::fixture("feed/rss2.xml")).await;
    let rig = Rig::new().await;
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "feed"
name = "reviews"
channel = "reviews:velora"
url = "{}"
kind = "review"
poll_secs = 1
"#,
        fake.url
    ))
    .expect("feed config");
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(1, Duration::from_secs(20)).await;
    let first = rig.count();
    // Unchanged: answered 304, nothing new.
    while fake.not_modified() < 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rig.count(), first);
    // A changed feed (the Atom fixture) adds its entries.
    fake.replace(support::fakes::fixture("feed/atom.xml"), "\"v2\"");
    rig.wait_for_count(first + 1, Duration::from_secs(20)).await;
    rig.stop(handle).await;
    assert!(fake.requests() >= 4);
    let stored = rig.count();
    // A restart refetches the feed: nothing is stored twice.
    let handle = rig.spawn(&config, fast());
    while fake.requests() < 6 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    rig.stop(handle).await;
    assert_eq!(rig.count(), stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_stream_cut_mid_event_reconnects_and_stores_each_status_once() {
    use firebreak_connectors::parse::{mastodon, sse::SseParser};
    use firebreak_core::ChannelId;
    // What the stream fixture holds, by the parser's reading.
    let body = support::fakes::fixture("mastodon/stream.txt");
    let mut parser = SseParser::new();
    let channel = ChannelId::new("@velora@mastodon.social");
    let mut wanted: Vec<String> = parser
        .push(body.as_bytes())
        .iter()
        .filter_map(|e| {
            mastodon::stream_event(&e.event, &e.data, &channel, Some("109871234567890123"))
                .ok()
                .flatten()
        })
        .map(|m| m.id.as_str().to_owned())
        .collect();
    wanted.sort();
    wanted.dedup();
    assert!(
        wanted.len() >= 2,
        "the fixture carries statuses: {wanted:?}"
    );

    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults::default()).await;
    let dir = tempfile::tempdir().expect("tmp");
    let token = secret_file(dir.path(), "token", "test-token");
    let rig = Rig::new().await;
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "mastodon"
name = "masto-stream"
channel = "@velora@mastodon.social"
instance = "{}"
token = {{ file = "{token}" }}
account_id = "109871234567890123"
own_statuses = false
streaming = true
poll_secs = 30
"#,
        fake.url
    ))
    .expect("config");
    let handle = rig.spawn(&config, fast());
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(20))
        .await;
    // The cut stream is reopened (after a REST catch-up), and sends everything again.
    wait_until(|| fake.streams() >= 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bluesky_fetches_the_thread_around_a_reply_and_searches_its_keywords() {
    use firebreak_connectors::parse::bluesky as parse;
    use firebreak_core::ChannelId;
    let channel = ChannelId::new("@velora.bsky.social");
    let thread_ids: Vec<String> = parse::thread(
        support::fakes::fixture("bluesky/thread.json").as_bytes(),
        &channel,
    )
    .expect("thread fixture")
    .mentions
    .iter()
    .map(|m| m.id.as_str().to_owned())
    .collect();
    let search_ids: Vec<String> = parse::search_posts(
        support::fakes::fixture("bluesky/search_posts.json").as_bytes(),
        &channel,
    )
    .expect("search fixture")
    .mentions
    .iter()
    .map(|m| m.id.as_str().to_owned())
    .collect();
    assert!(!thread_ids.is_empty() && !search_ids.is_empty());

    let appview = support::fakes::FakeAppView::start().await;
    let fake = FakeJetstream::start(vec![], 0, 0).await;
    let rig = Rig::new().await;
    let config: SourceConfig = toml::from_str(&format!(
        r#"
platform = "bluesky"
name = "bsky"
channel = "@velora.bsky.social"
jetstream = "{}"
appview = "{}"
dids = ["{BRAND}"]
keywords = ["velora"]
fetch_threads = true
search_every_secs = 10
batch_ms = 20
"#,
        fake.url, appview.url
    ))
    .expect("config");
    let handle = rig.spawn(&config, fast());
    wait_until(|| fake.connections() == 1).await;
    let brand_post = format!("at://{BRAND}/app.bsky.feed.post/3kbrandpost01");
    let reply = post_event(
        "did:plc:someone0000000000000000",
        "3kreply00001",
        T0,
        "Nessuna risposta da giorni",
        "it",
        Some(&brand_post),
    );
    fake.push(T0, reply);
    // A multiplier replies too: its reach comes from the AppView's profiles.
    let star = "did:plc:star0000000000000000000";
    fake.push(
        T0 + 1000,
        post_event(
            star,
            "3kstar000001",
            T0 + 1000,
            "Velora, rispondete!",
            "it",
            Some(&brand_post),
        ),
    );
    let mut wanted: Vec<String> = thread_ids.clone();
    wanted.extend(search_ids.iter().cloned());
    wanted.push(
        "bluesky:at://did:plc:someone0000000000000000/app.bsky.feed.post/3kreply00001".into(),
    );
    let star_post = format!("bluesky:at://{star}/app.bsky.feed.post/3kstar000001");
    wanted.push(star_post.clone());
    wanted.sort();
    wanted.dedup();
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(20))
        .await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);
    assert_eq!(appview.threads.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Each author's reach was looked up once (cached), and stored with the mention.
    let stored = rig
        .handles
        .mentions
        .get_mention(&star_post.as_str().into())
        .expect("read")
        .expect("the multiplier's reply");
    assert_eq!(stored.mention.author.followers, 750_000);
    assert!(stored.mention.author.verified);
    let calls = appview.profile_calls.lock().expect("lock").clone();
    let looked_up: Vec<&String> = calls.iter().flatten().collect();
    assert!(looked_up.iter().any(|d| d.as_str() == star), "{calls:?}");
    let mut unique = looked_up.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        looked_up.len(),
        "an author is looked up once: {calls:?}"
    );
    assert!(calls.iter().all(|c| c.len() <= 25));
    let searches = appview.searches.lock().expect("lock").clone();
    assert_eq!(searches[0].get("q").map(String::as_str), Some("velora"));
    assert_eq!(searches[0].get("sort").map(String::as_str), Some("latest"));
    let states = rig.handles.connectors.connectors().expect("states");
    assert!(
        states
            .iter()
            .any(|s| s.name == "bsky/search:velora" && s.cursor.is_some()),
        "the search keeps its own cursor: {states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_items_are_skipped_and_the_rest_of_the_stream_is_stored() {
    // Mastodon: a page with a broken status in the middle.
    let fake = support::fakes::FakeMastodon::start(support::fakes::Faults::default()).await;
    let dir = tempfile::tempdir().expect("tmp");
    let token = secret_file(dir.path(), "token", "test-token");
    let rig = Rig::new().await;
    let mut wanted = fake.add(2);
    let handle = rig.spawn(&mastodon_config(&fake.url, &token), fast());
    rig.wait_for_count(2, Duration::from_secs(20)).await;
    wanted.extend(fake.add(3));
    fake.add_malformed();
    wanted.extend(fake.add(4));
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(20))
        .await;
    // The cursor has moved past the broken item: new ones still arrive.
    wanted.extend(fake.add(2));
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(20))
        .await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);

    // Jetstream: garbage lines between good events.
    let (events, wanted) = jetstream_events(200, 4);
    let jet = FakeJetstream::start(vec![], 0, 0).await;
    let rig = Rig::new().await;
    let handle = rig.spawn(&bluesky_config(&jet.url), fast());
    wait_until(|| jet.connections() == 1).await;
    for (i, (t, line)) in events.into_iter().enumerate() {
        if i % 50 == 7 {
            jet.push(t, "{\"kind\":\"commit\",\"did\":".into());
            jet.push(t, "[1,2,3]".into());
            jet.push(t, format!("{{\"kind\":\"commit\",\"time_us\":\"{t}\"}}"));
        }
        jet.push(t, line);
    }
    rig.wait_for_count(wanted.len() as u64, Duration::from_secs(20))
        .await;
    rig.stop(handle).await;
    rig.assert_exactly(&wanted);
}
