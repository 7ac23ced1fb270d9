//! The HTTP API of `firebreak serve`, driven over real HTTP.

mod support;

use firebreak_core::wire::encode_jsonl;
use firebreak_server::signature_for;
use firebreak_testkit::mentions;
use serde_json::Value;
use support::Server;

const SECRET: &str = "a-long-test-secret-0123456789";

fn jsonl(n: u32) -> String {
    mentions(n).iter().map(|m| encode_jsonl(m) + "\n").collect()
}

#[tokio::test]
async fn signed_ingest_search_and_graceful_shutdown() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::start(
        dir.path(),
        "sqlite://api.db",
        &[
            ("FIREBREAK_INGEST_SECRET", SECRET),
            ("FIREBREAK_INGEST_MAX_BODY_BYTES", "65536"),
        ],
    );
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.base);

    let health: Value = http
        .get(url("/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["store"], "sqlite");

    // Unsigned and wrongly signed bodies are refused.
    let body = jsonl(30) + "{broken\n";
    let r = http
        .post(url("/api/v1/mentions"))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);
    let r = http
        .post(url("/api/v1/mentions"))
        .header(
            "x-firebreak-signature",
            signature_for(b"wrong-secret-0123456789", body.as_bytes()),
        )
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 401);

    // A signed JSONL body: 30 stored, the broken line reported by number.
    let r = http
        .post(url("/api/v1/mentions"))
        .header("content-type", "application/x-ndjson")
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.expect("json");
    assert_eq!(
        (reply["imported"].as_u64(), reply["rejected"].as_u64()),
        (Some(30), Some(1))
    );
    assert_eq!(reply["errors"][0]["line"], 31);

    // The same body again: all duplicates.
    let r = http
        .post(url("/api/v1/mentions"))
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("post");
    let reply: Value = r.json().await.expect("json");
    assert_eq!(reply["duplicates"], 30);

    // A JSON array with one bad item, reported by index.
    let mut items: Vec<Value> = mentions(32)
        .iter()
        .skip(30)
        .map(|m| serde_json::to_value(m).expect("v"))
        .collect();
    items.push(serde_json::json!({"id": "x"}));
    let array = serde_json::to_string(&items).expect("array");
    let r = http
        .post(url("/api/v1/mentions"))
        .header("content-type", "application/json")
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), array.as_bytes()),
        )
        .body(array)
        .send()
        .await
        .expect("post");
    let reply: Value = r.json().await.expect("json");
    assert_eq!(
        (
            reply["imported"].as_u64(),
            reply["errors"][0]["index"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // Over the body limit: 413 with a JSON error.
    let big = "x".repeat(70_000);
    let r = http
        .post(url("/api/v1/mentions"))
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), big.as_bytes()),
        )
        .body(big)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"].as_str().is_some_and(|s| s.contains("limit")));

    // Everything bad: 422.
    let bad = "{\"id\":\"only\"}\n";
    let r = http
        .post(url("/api/v1/mentions"))
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), bad.as_bytes()),
        )
        .body(bad)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);

    // Search with filters and pages.
    let page: Value = http
        .get(url("/api/v1/mentions?channel=@velora&limit=5"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(page["mentions"].as_array().map(Vec::len), Some(5));
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let next: Value = http
        .get(url("/api/v1/mentions"))
        .query(&[
            ("channel", "@velora"),
            ("limit", "50"),
            ("after", cursor.as_str()),
        ])
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        next["mentions"].as_array().map(Vec::len),
        Some(11),
        "16 mentions on @velora, 5 on the first page"
    );
    assert!(next["next_cursor"].is_null());
    let q: Value = http
        .get(url("/api/v1/mentions?q=NUMBER%2017"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(q["mentions"][0]["id"], "mastodon:17");
    let r = http
        .get(url("/api/v1/mentions?since=yesterday"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
    let r = http
        .get(url("/api/v1/mentions?chanel=x"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
    let one: Value = http
        .get(url("/api/v1/mentions/mastodon:3"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(one["author"]["id"], "u3");
    assert_eq!(
        http.get(url("/api/v1/mentions/nope"))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    let stats: Value = http
        .get(url("/api/v1/stats"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(stats["mentions"], 32);

    // The overview page escapes hostile text and forbids inline script.
    let hostile = serde_json::json!({"id":"x:evil","platform":"x","channel":"@velora","kind":"mention",
        "created_at":"2030-01-01T00:00:00Z","author":{"id":"e","handle":"<b>evil</b>"},"text":"<script>alert(1)</script>"})
    .to_string();
    let r = http
        .post(url("/api/v1/mentions"))
        .header(
            "x-firebreak-signature",
            signature_for(SECRET.as_bytes(), hostile.as_bytes()),
        )
        .body(hostile)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let page = http.get(url("/")).send().await.expect("get");
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"));
    assert!(html.contains("&lt;b&gt;evil&lt;/b&gt;"));

    // SIGTERM: the server drains and exits cleanly; everything acknowledged is there.
    let dir_path = server.dir.clone();
    assert!(server.stop(), "the server did not exit cleanly on SIGTERM");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .current_dir(&dir_path)
        .args(["--db", "sqlite://api.db", "stats", "--json"])
        .output()
        .expect("stats");
    let stats: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(stats["mentions"], 33);
}

#[tokio::test]
async fn without_a_secret_ingest_is_open_and_single_objects_work() {
    let dir = tempfile::tempdir().expect("tmp");
    let server = Server::start(dir.path(), "sqlite://open.db", &[]);
    let http = reqwest::Client::new();
    let one = encode_jsonl(&mentions(1)[0]);
    let r = http
        .post(format!("{}/api/v1/mentions", server.base))
        .header("content-type", "application/json")
        .body(one)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{}/api/v1/mentions", server.base))
        .header("content-type", "application/xml")
        .body("<a/>")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    assert_eq!(
        http.get(format!("{}/nowhere", server.base))
            .send()
            .await
            .expect("get")
            .status(),
        404
    );
    assert!(server.stop());
}
