//! The HTTP API of `firebreak serve`, driven over real HTTP.

mod support;

use firebreak_core::wire::encode_jsonl;
use firebreak_server::signature_for;
use firebreak_testkit::mentions;
use reqwest::{Client, Response};
use serde_json::Value;
use support::Server;

const SECRET: &str = "a-long-test-secret-0123456789";

fn jsonl(n: u32) -> String {
    mentions(n).iter().map(|m| encode_jsonl(m) + "\n").collect()
}

/// POSTs `body` to the ingest endpoint, signed with `secret` when given.
async fn post(
    server: &Server,
    body: &str,
    content_type: Option<&str>,
    secret: Option<&[u8]>,
) -> Response {
    let mut request = Client::new()
        .post(format!("{}/api/v1/mentions", server.base))
        .body(body.to_owned());
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    if let Some(secret) = secret {
        request = request.header(
            "x-firebreak-signature",
            signature_for(secret, body.as_bytes()),
        );
    }
    request.send().await.expect("post")
}

async fn get(server: &Server, path_and_query: &str) -> Response {
    Client::new()
        .get(format!("{}{path_and_query}", server.base))
        .send()
        .await
        .expect("get")
}

async fn get_json(server: &Server, path_and_query: &str) -> Value {
    get(server, path_and_query)
        .await
        .json()
        .await
        .expect("json")
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
    let key = Some(SECRET.as_bytes());

    let health = get_json(&server, "/health").await;
    assert_eq!(
        (health["status"].as_str(), health["store"].as_str()),
        (Some("ok"), Some("sqlite"))
    );

    // Unsigned and wrongly signed bodies are refused.
    let body = jsonl(30) + "{broken\n";
    assert_eq!(post(&server, &body, None, None).await.status(), 401);
    assert_eq!(
        post(&server, &body, None, Some(b"wrong-secret-0123456789"))
            .await
            .status(),
        401
    );

    // A signed JSONL body: 30 stored, the broken line reported by number.
    let r = post(&server, &body, Some("application/x-ndjson"), key).await;
    assert_eq!(r.status(), 200);
    let reply: Value = r.json().await.expect("json");
    assert_eq!(
        (reply["imported"].as_u64(), reply["rejected"].as_u64()),
        (Some(30), Some(1))
    );
    assert_eq!(reply["errors"][0]["line"], 31);

    // The same body again: all duplicates.
    let reply: Value = post(&server, &body, None, key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(reply["duplicates"], 30);

    // A JSON array with one bad item, reported by index.
    let mut items: Vec<Value> = mentions(32)
        .iter()
        .skip(30)
        .map(|m| serde_json::to_value(m).expect("value"))
        .collect();
    items.push(serde_json::json!({"id": "x"}));
    let array = serde_json::to_string(&items).expect("array");
    let reply: Value = post(&server, &array, Some("application/json"), key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (
            reply["imported"].as_u64(),
            reply["errors"][0]["index"].as_u64()
        ),
        (Some(2), Some(2))
    );

    // Over the body limit: 413 with a JSON error.
    let r = post(&server, &"x".repeat(70_000), None, key).await;
    assert_eq!(r.status(), 413);
    let e: Value = r.json().await.expect("json");
    assert!(e["error"].as_str().is_some_and(|s| s.contains("limit")));

    // Everything bad: 422.
    assert_eq!(
        post(&server, "{\"id\":\"only\"}\n", None, key)
            .await
            .status(),
        422
    );

    // Search with filters and pages.
    let page = get_json(&server, "/api/v1/mentions?channel=@velora&limit=5").await;
    assert_eq!(page["mentions"].as_array().map(Vec::len), Some(5));
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let next = get_json(
        &server,
        &format!("/api/v1/mentions?channel=@velora&limit=50&after={cursor}"),
    )
    .await;
    assert_eq!(
        next["mentions"].as_array().map(Vec::len),
        Some(11),
        "16 mentions on @velora, 5 on the first page"
    );
    assert!(next["next_cursor"].is_null());
    let q = get_json(&server, "/api/v1/mentions?q=NUMBER%2017").await;
    assert_eq!(q["mentions"][0]["id"], "mastodon:17");
    assert_eq!(
        get(&server, "/api/v1/mentions?since=yesterday")
            .await
            .status(),
        400
    );
    assert_eq!(
        get(&server, "/api/v1/mentions?chanel=x").await.status(),
        400
    );
    let one = get_json(&server, "/api/v1/mentions/mastodon:3").await;
    assert_eq!(one["author"]["id"], "u3");
    assert!(
        one["analysis"]["sentiment"]["label"].is_string(),
        "ingested mentions are analysed"
    );
    assert_eq!(get(&server, "/api/v1/mentions/nope").await.status(), 404);
    assert_eq!(get_json(&server, "/api/v1/stats").await["mentions"], 32);

    // The overview page escapes hostile text and forbids inline script.
    let hostile = serde_json::json!({"id":"x:evil","platform":"x","channel":"@velora","kind":"mention",
        "created_at":"2030-01-01T00:00:00Z","author":{"id":"e","handle":"<b>evil</b>"},"text":"<script>alert(1)</script>"})
    .to_string();
    assert_eq!(post(&server, &hostile, None, key).await.status(), 200);
    let page = get(&server, "/").await;
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Scripts only from the app itself: nothing inline, nothing evaluated.
    assert!(
        csp.contains("default-src 'none'")
            && !csp.contains("unsafe-inline")
            && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    // `/` is the web app now: without a session it shows the sign-in form. Hostile text on
    // its pages is checked in a real browser (tests/browser.rs, the XSS corpus).
    let html = page.text().await.expect("html");
    assert!(
        html.contains("id=\"login-form\"") && !html.contains("<script>"),
        "{html}"
    );

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
    let one = encode_jsonl(&mentions(1)[0]);
    assert_eq!(
        post(&server, &one, Some("application/json"), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        post(&server, "<a/>", Some("application/xml"), None)
            .await
            .status(),
        415
    );
    assert_eq!(get(&server, "/nowhere").await.status(), 404);
    assert!(server.stop());
}
