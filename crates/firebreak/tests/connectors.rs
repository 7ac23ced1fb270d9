//! Platform connectors in the running server: a Bluesky source on a fake Jetstream
//! survives `kill -9` of the whole process, an inbound webhook is signed and mapped, and
//! the connectors' health is served for the dashboard.

mod support;

use std::time::{Duration, Instant};

use firebreak_testkit::jetstream::{post_event, FakeJetstream};
use support::Server;

const BRAND: &str = "did:plc:velorabrand000000000000";

/// A blocking GET of JSON (the tests' reqwest has no blocking client).
fn get_json(url: &str) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        reqwest::get(url)
            .await
            .expect("GET")
            .json()
            .await
            .expect("json")
    })
}

fn stored(base: &str) -> u64 {
    get_json(&format!("{base}/api/v1/stats"))["mentions"]
        .as_u64()
        .unwrap_or(0)
}

fn wait_for(base: &str, n: u64, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let c = stored(base);
        if c >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {c} of {n} stored");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn events(from: usize, n: usize) -> (Vec<(i64, String)>, Vec<String>) {
    let t0 = chrono::Utc::now().timestamp_micros();
    let mut out = Vec::new();
    let mut wanted = Vec::new();
    for i in from..from + n {
        let t = t0 + i as i64 * 1000;
        let did = format!("did:plc:user{:020}", i % 89);
        let rkey = format!("3k{i:011}");
        if i % 4 == 0 {
            wanted.push(format!("bluesky:at://{did}/app.bsky.feed.post/{rkey}"));
            out.push((
                t,
                post_event(
                    &did,
                    &rkey,
                    t,
                    "La consegna Velora è in ritardo di due settimane",
                    "it",
                    None,
                ),
            ));
        } else {
            out.push((
                t,
                post_event(&did, &rkey, t, "sunset over the harbour", "en", None),
            ));
        }
    }
    (out, wanted)
}

#[test]
fn a_killed_server_resumes_its_source_from_the_cursor_and_stores_each_post_once() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let fake = rt.block_on(FakeJetstream::start(vec![], 0, 0));
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("firebreak.toml"),
        format!(
            r#"
[[sources]]
platform = "bluesky"
name = "bsky"
channel = "@velora.bsky.social"
jetstream = "{}"
dids = ["{BRAND}"]
keywords = ["velora"]
fetch_threads = false
fetch_profiles = false
batch_ms = 20
"#,
            fake.url
        ),
    )
    .expect("config");
    let server = Server::start(dir.path(), "sqlite://fb.db", &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.connections() == 0 {
        assert!(Instant::now() < deadline, "the source never connected");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (first, mut wanted) = events(0, 4000);
    for (t, line) in first {
        fake.push(t, line);
    }
    wait_for(&server.base, 100, Duration::from_secs(60));
    server.kill();

    // The firehose goes on while the server is down.
    let (more, wanted_more) = events(4000, 2000);
    wanted.extend(wanted_more);
    for (t, line) in more {
        fake.push(t, line);
    }
    let server = Server::start(dir.path(), "sqlite://fb.db", &[]);
    wait_for(&server.base, wanted.len() as u64, Duration::from_secs(60));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        stored(&server.base),
        wanted.len() as u64,
        "nothing stored twice"
    );
    for id in wanted.iter().step_by(37) {
        let url = format!("{}/api/v1/mentions/{}", server.base, urlencode(id));
        assert_eq!(get_json(&url)["id"], serde_json::json!(id), "{id} was lost");
    }
    let cursors = fake.cursors();
    assert_eq!(cursors.len(), 2);
    assert!(
        cursors[1].is_some(),
        "the restart resumed from the saved cursor"
    );
    let connectors = get_json(&format!("{}/api/v1/connectors", server.base));
    let bsky = connectors
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == "bsky"))
        .cloned()
        .expect("the connector is listed");
    assert_eq!(bsky["health"], "running");
    assert_eq!(bsky["platform"], "bluesky");
    assert!(server.stop(), "a clean stop");
    drop(rt);
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn a_signed_facebook_webhook_is_mapped_and_stored_and_a_forged_one_refused() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../connectors/tests/fixtures/webhook");
    let mapping = std::fs::read_to_string(fixtures.join("facebook.toml")).expect("mapping");
    let body = std::fs::read(fixtures.join("facebook_feed_comment.json")).expect("payload");
    let dir = tempfile::tempdir().expect("tmp");
    let secret = "meta-app-secret-0123456789";
    std::fs::write(dir.path().join("fb.key"), secret).expect("key");
    std::fs::write(dir.path().join("fb.verify"), "verify-me").expect("verify");
    let hook = format!(
        "[[hooks]]\nname = \"facebook\"\nchannel = \"fb:velora\"\nsecret = {{ file = \"fb.key\" }}\nverify_token = {{ file = \"fb.verify\" }}\n[hooks.mapping]\n{}",
        mapping.replace("[fields]", "[hooks.mapping.fields]")
    );
    std::fs::write(dir.path().join("firebreak.toml"), hook).expect("config");
    let server = Server::start(dir.path(), "sqlite://fb.db", &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let url = format!("{}/api/v1/hooks/facebook", server.base);
    let signature = firebreak_connectors::notify::signature(secret.as_bytes(), &body);
    let (ok, forged, unknown, challenge, wrong) = rt.block_on(async {
        let c = reqwest::Client::new();
        let ok = c
            .post(&url)
            .header("x-hub-signature-256", &signature)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("post");
        let ok_status = ok.status().as_u16();
        let ok_body: serde_json::Value = ok.json().await.expect("json");
        let forged = c
            .post(&url)
            .header("x-hub-signature-256", "sha256=00")
            .body(body.clone())
            .send()
            .await
            .expect("post")
            .status()
            .as_u16();
        let unknown = c
            .post(format!("{}/api/v1/hooks/nope", server.base))
            .body(body.clone())
            .send()
            .await
            .expect("post")
            .status()
            .as_u16();
        let challenge = c
            .get(format!(
                "{url}?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
            ))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("text");
        let wrong = c
            .get(format!(
                "{url}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"
            ))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16();
        ((ok_status, ok_body), forged, unknown, challenge, wrong)
    });
    assert_eq!(ok.0, 200, "{}", ok.1);
    let accepted = ok.1["accepted"].as_u64().expect("accepted");
    assert!(accepted >= 1, "{}", ok.1);
    assert_eq!(ok.1["imported"].as_u64(), Some(accepted));
    assert_eq!(forged, 401);
    assert_eq!(unknown, 404);
    assert_eq!(challenge, "1158201444");
    assert_eq!(wrong, 403);
    assert_eq!(
        stored(&server.base),
        accepted,
        "only the signed delivery was stored"
    );
    assert!(server.stop());
}
